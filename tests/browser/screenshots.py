"""Pictures for review: every shopper page, every assistant step and the staff screens, in Chromium.

``make screenshots`` (``python -m tests.browser.screenshots``) starts the site with demo data in a
temporary folder and writes ``<lang>/<width>/<js|nojs>/<nn>-<page>.png`` under ``screenshots/``.
It exits with status 1, listing them, when any page logs a console error or throws.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.browser.assistant_paths import (
    PATHS,
    AssistantPath,
    copy_demo_order,
    walk_with_javascript,
    walk_without_javascript,
)
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, serve, sign_in

LOCALES = {"en": "en-GB", "fr": "fr-FR"}
HEIGHTS = {390: 844, 1366: 900}
PASSWORD = "correct horse battery"
STAFF = (("writer@example.com", "writer"), ("agent@example.com", "agent"), ("admin@example.com", "admin"))
SHOPPER_PAGES = (
    ("home", "/{lang}/"), ("article", "/{lang}/articles/{article}"), ("category", "/{lang}/categories/returning"),
    ("hub", "/{lang}/returns"), ("search", "/{lang}/search?q=refund"), ("search-empty", "/{lang}/search?q=zzqxv"),
    ("not-found", "/{lang}/articles/no-such-article"), ("contact", "/{lang}/contact"),
    ("resend", "/{lang}/returns/resend"), ("embed", "/embed/{lang}"), ("login", "/login"),
)
ARTICLE = {"en": "return-window", "fr": "delai-de-retour"}
STAFF_PAGES = (
    ("writer", "studio", "/studio"), ("writer", "studio-new", "/studio/new"),
    ("writer", "studio-edit", "/studio/1/edit"), ("writer", "studio-history", "/studio/1/history"),
    ("agent", "desk", "/desk"), ("agent", "desk-ticket", "/desk/tickets/{reference}"),
    ("admin", "insights", "/insights"), ("admin", "insights-reasons", "/insights/reasons"),
    ("admin", "insights-money", "/insights/money"), ("admin", "insights-gaps", "/insights/gaps"),
    ("admin", "desk-users", "/desk/admin/users"), ("admin", "desk-replies", "/desk/admin/replies"),
)


@contextmanager
def demo_site(folder: Path) -> Iterator[tuple[str, Any]]:
    """The site with the articles, demo orders and staff accounts in ``folder``, on a free port."""
    from kb import create_app, database
    from kb.articles.service import import_articles
    from kb.auth.service import create_user
    from kb.extensions import db
    from kb.orders.records import import_orders
    from kb.returns.demo import demo_orders
    from kb.search import rebuild_index
    from tests.conftest import ARTICLES

    app = create_app({
        "SECRET_KEY": "screenshots", "DATABASE_URL": f"sqlite:///{folder / 'kb.sqlite3'}",
        "SEARCH_INDEX_DIR": str(folder / "index"), "UPLOADS_DIR": str(folder / "uploads"),
        "ARTICLES_DIR": str(ARTICLES), "RATELIMIT_ENABLED": False, "OUTBOX_BACKGROUND": False,
        "RATELIMIT_STORAGE_URI": f"kbsqlite://{folder / 'ratelimits.sqlite3'}", "EVENT_FLUSH_SECONDS": 0.0,
    })
    with app.app_context():
        database.upgrade()
        import_articles(ARTICLES)
        import_orders(demo_orders(datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)))
        for email, role in STAFF:
            create_user(email, PASSWORD, role, email.split("@")[0].title())
        db.session.commit()
        rebuild_index()
    with serve(app) as base:
        yield base, app


class Camera:
    """Screenshots into numbered files per folder, and the console errors seen on the way."""

    def __init__(self, out: Path, init_script: str | None = None) -> None:
        self.out = out
        self.init_script = init_script  # run first on every page (a test injects an error with it)
        self.errors: list[str] = []
        self.taken = 0
        self._counts: dict[Path, int] = {}

    def watch(self, page: Any, where: str) -> Any:
        """Note every console error and uncaught exception of ``page``."""
        def on_console(message: Any) -> None:
            # The not-found page answers 404 on purpose: its own status is no error of the page.
            own_status = message.text.startswith("Failed to load resource") and message.location.get("url") == page.url
            if message.type == "error" and not own_status:
                self.errors.append(f"{where} {page.url}: console error: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{where} {page.url}: page error: {error}"))
        return page

    def shoot(self, page: Any, folder: Path, name: str) -> None:
        """Save the whole page as ``folder/<nn>-<name>.png``."""
        target = self.out / folder
        target.mkdir(parents=True, exist_ok=True)
        number = self._counts[target] = self._counts.get(target, 0) + 1
        page.wait_for_load_state("load")
        page.screenshot(path=str(target / f"{number:02d}-{name}.png"), full_page=True)
        self.taken += 1


def open_page(browser: Any, camera: Camera, lang: str, width: int, javascript: bool = True) -> Any:
    """A page in a fresh context at ``width``, in ``lang``, watched by ``camera``."""
    context = browser.new_context(viewport={"width": width, "height": HEIGHTS[width]}, locale=LOCALES[lang],
                                  java_script_enabled=javascript)
    if camera.init_script:
        context.add_init_script(camera.init_script)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return camera.watch(page, f"[{lang} {width} {'js' if javascript else 'nojs'}]")


def shopper_pictures(browser: Any, camera: Camera, base: str, app: Any, lang: str, width: int,
                     paths: Sequence[AssistantPath]) -> str:
    """Shopper pages and every assistant path, JavaScript on and off; returns a return's reference."""
    reference = ""
    for javascript in (True, False):
        folder = Path(lang, str(width), "js" if javascript else "nojs")
        page = open_page(browser, camera, lang, width, javascript)
        for name, path in SHOPPER_PAGES:
            page.goto(base + path.format(lang=lang, article=ARTICLE[lang]))
            camera.shoot(page, folder, name)
        page.context.close()
        walk = walk_with_javascript if javascript else walk_without_javascript
        for assistant_path in paths:
            page = open_page(browser, camera, lang, width, javascript)
            order = copy_demo_order(app, assistant_path.order)
            walk(page, base, lang, assistant_path, order,
                 lambda step, p=page, a=assistant_path, f=folder: camera.shoot(p, f, f"{a.name}-{step}"))
            slip = page.locator("main a[href*='/slip']")
            if not javascript and slip.count():
                reference = page.url.split("/status/")[1].split("?")[0]
                page.goto(base + (slip.first.get_attribute("href") or ""))
                camera.shoot(page, folder, f"{assistant_path.name}-slip")
            page.context.close()
    return reference


def staff_pictures(browser: Any, camera: Camera, base: str, lang: str, width: int, reference: str) -> None:
    """The studio as a writer, the desk as an agent, insights and the admin pages as an administrator."""
    folder = Path(lang, str(width), "js")
    for role in ("writer", "agent", "admin"):
        page = open_page(browser, camera, lang, width)
        sign_in(page, base, f"{role}@example.com", PASSWORD)
        for who, name, path in STAFF_PAGES:
            if who == role and (reference or "{reference}" not in path):
                page.goto(base + path.format(reference=reference))
                camera.shoot(page, folder, name)
        page.context.close()


def take_screenshots(out: Path, langs: Sequence[str], widths: Sequence[int], init_script: str | None = None,
                     paths: Sequence[AssistantPath] = PATHS, browser: Any = None) -> Camera:
    """Render everything into ``out``; ``init_script`` runs first on every page (tests inject errors).

    ``browser``: a chromium already running (the tests share theirs), else one is launched.
    """
    camera = Camera(out, init_script)
    with (tempfile.TemporaryDirectory(prefix="kb-screenshots-") as folder, demo_site(Path(folder)) as (base, app),
          chromium(browser) as running):
        for lang in langs:
            for width in widths:
                reference = shopper_pictures(running, camera, base, app, lang, width, paths)
                staff_pictures(running, camera, base, lang, width, reference)
    return camera


@contextmanager
def chromium(browser: Any = None) -> Iterator[Any]:
    """``browser`` if given, else Debian's chromium launched headless (and closed after)."""
    if browser is not None:
        yield browser
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Take the pictures; exit 1 when a page logged a console error or threw."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--lang", action="append", choices=sorted(LOCALES), help="default: en and fr")
    parser.add_argument("--width", action="append", type=int, choices=sorted(HEIGHTS), help="default: 390 and 1366")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns the errors
    camera = take_screenshots(args.out, args.lang or list(LOCALES), args.width or list(HEIGHTS))
    print(f"{camera.taken} screenshots in {args.out}/")
    if camera.errors:
        print(f"{len(camera.errors)} browser errors:", *camera.errors, sep="\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
