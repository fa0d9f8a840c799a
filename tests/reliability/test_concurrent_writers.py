"""Two writers saving the same article at the same moment: one wins, the other is told."""

from __future__ import annotations

import html.parser
import http.cookiejar
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kb.auth.service import create_user
from kb.extensions import db
from tests.conftest import make_app
from tests.reliability.server import count_rows, gunicorn, init_site, server_env

PASSWORD = "a long enough password"
ROUNDS = 8


class _Form(html.parser.HTMLParser):
    """The fields of the first form with a csrf_token on a page, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "checkbox", "radio"):
            self.fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields.setdefault(a["name"], "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


class Writer:
    """A browser session of one writer."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        fields = self.form("/login")
        fields.update({"email": email, "password": PASSWORD})
        assert self.post("/login", fields) == 302

    def form(self, path: str) -> dict[str, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            parser = _Form()
            parser.feed(response.read().decode())
            return parser.fields

    def post(self, path: str, fields: dict[str, str]) -> int:
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _save(writer: Writer, i: int, n: int, fields: dict[str, str], barrier: threading.Barrier,
          results: list[int]) -> None:
    fields = dict(fields, body=fields["body"] + f"\n\nEdit {n} by writer {i}.", message=f"round {n}")
    barrier.wait()  # both saves leave at the same moment
    results[i] = writer.post("/studio/1/edit", fields)


@pytest.mark.server
def test_simultaneous_saves_one_wins_and_no_revision_is_lost(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    init_site(env)
    app = make_app(tmp_path / "users", DATABASE_URL=env["KB_DATABASE_URL"])
    with app.app_context():  # in this process: starting `kb users create` twice costs seconds
        for name in ("wren", "rowan"):
            create_user(f"{name}@example.com", PASSWORD, "writer")
        db.session.commit()
    revisions_before = count_rows(env, "article_revision")
    with gunicorn(env, workers=2) as base:
        writers = [Writer(base, "wren@example.com"), Writer(base, "rowan@example.com")]
        outcomes = []
        for n in range(ROUNDS):
            forms = [w.form("/studio/1/edit") for w in writers]
            assert forms[0]["expected_revision"] == forms[1]["expected_revision"]
            barrier = threading.Barrier(2)
            results: list[int] = [0, 0]

            threads = [threading.Thread(target=_save, args=(writers[i], i, n, forms[i], barrier, results))
                       for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            outcomes.append(sorted(results))
    assert outcomes == [[302, 409]] * ROUNDS
    assert count_rows(env, "article_revision") == revisions_before + ROUNDS
