"""The kb command, migrations from empty, and documentation that keeps up with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, inspect, select

from kb.articles.models import Article
from kb.config import DEFAULTS
from kb.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_init_imports_articles_loads_demo_and_builds_the_index(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    article_files = len(list((ROOT / "articles").glob("*/*.md")))
    assert f"imported {article_files} articles" in result.output
    assert "Demo accounts (shown once" in result.output
    assert re.search(r"agent\s+agent@example.com\s+\S{12,}", result.output)
    assert "ready" in result.output
    # A second run changes nothing and prints no passwords again.
    again = runner.invoke(args=["init", "--demo"])
    assert again.exit_code == 0, again.output
    assert "imported" not in again.output and "Demo accounts" not in again.output
    response = app.test_client().get("/api/v1/search?q=refund&lang=en")
    assert response.get_json()["total"] > 0


def test_articles_import_reports_and_is_idempotent(app: Flask, runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["articles", "import", str(ROOT / "articles")])
    assert first.exit_code == 0, first.output
    files = len(list((ROOT / "articles").glob("*/*.md")))
    assert f"created {files}, updated 0, unchanged 0" in first.output
    second = runner.invoke(args=["articles", "import", str(ROOT / "articles")])
    assert f"created 0, updated 0, unchanged {files}" in second.output


def test_bad_front_matter_names_the_file_and_line(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "broken.md").write_text("---\nkey: broken\nlang: en\ntitle: [unclosed\n---\nBody\n")
    (tmp_path / "en" / "fine.md").write_text(
        "---\nkey: fine\nlang: en\nslug: fine\ntitle: Fine\ncategory: refunds\ntags: [a]\n"
        "status: published\nsummary: A fine article.\n---\nBody text.\n"
    )
    result = runner.invoke(args=["articles", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert "created 1" in result.output and "errors 1" in result.output
    assert re.search(r"en/broken\.md:\d+: invalid front matter", result.output)


def test_export_round_trips_the_articles_folder(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["articles", "import", str(ROOT / "articles")])
    result = runner.invoke(args=["articles", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for original in (ROOT / "articles").rglob("*.md"):
        exported = tmp_path / original.relative_to(ROOT / "articles")
        assert exported.read_text(encoding="utf-8") == original.read_text(encoding="utf-8"), original


def test_users_create_with_password_on_stdin(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "w@example.com", "--role", "writer", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    short = runner.invoke(args=["users", "create", "x@example.com", "--role", "agent", "--password-stdin"],
                          input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output


def test_users_set_password_replaces_it_and_ends_sessions(app: Flask, runner: FlaskCliRunner) -> None:
    from kb.auth.models import User
    from kb.auth.service import authenticate

    runner.invoke(args=["users", "create", "w@example.com", "--role", "writer", "--password-stdin"],
                  input="a long enough password\n")
    before = db.session.scalar(select(User.session_version).where(User.email == "w@example.com"))
    result = runner.invoke(args=["users", "set-password", "W@example.com", "--password-stdin"],
                           input="another long password\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "w@example.com"))
    assert user.session_version != before
    assert authenticate("w@example.com", "another long password") is not None
    assert authenticate("w@example.com", "a long enough password") is None
    unknown = runner.invoke(args=["users", "set-password", "nobody@example.com", "--password-stdin"],
                            input="another long password\n")
    assert unknown.exit_code != 0 and "no user has the e-mail" in unknown.output
    short = runner.invoke(args=["users", "set-password", "w@example.com", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output


def test_tokens_create_shows_the_token_once(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["tokens", "create", "--role", "agent", "--name", "shop"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("kb_")
    from kb.auth.models import ApiToken

    stored = db.session.scalar(select(ApiToken))
    assert token not in (stored.token_hash, stored.prefix)


def test_reindex_reports_the_count(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["articles", "import", str(ROOT / "articles")])
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert f"indexed {len(list((ROOT / 'articles').glob('*/*.md')))} articles" in result.output


def test_migrations_from_empty_match_the_models(app: Flask) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
    tables = set(inspect(db.engine).get_table_names())
    assert {"article", "ticket", "shop_order", "outbox", "wizard_session"} <= tables
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0


def test_healthz_reports_database_and_index(app: Flask) -> None:
    client = app.test_client()
    body = client.get("/healthz").get_json()
    assert body["database"] == "ok"
    assert body["search_index"] in ("ok", "missing", "rebuilding")


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in DEFAULTS if f"`KB_{name}`" not in readme]
    assert not missing


def test_readme_sections_come_in_the_promised_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    order = ["## The two commands", "## Demo data", "## Configuration", "## Layout", "## Adding an article"]
    positions = [readme.index(heading) for heading in order]
    assert positions == sorted(positions)


def test_a_demo_without_smtp_prints_the_whole_email_on_the_console(
    app: Flask, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from kb.mail.service import queue_email, send_pending

    queue_email("ana@example.com", "Your return R-1", "Follow your return: https://shop.test/s/secret")
    db.session.commit()
    app.config["DEMO"] = True
    assert send_pending() == (1, 0)
    printed = capsys.readouterr().err
    assert "To: ana@example.com" in printed and "https://shop.test/s/secret" in printed
    # Outside a demo the secret link never reaches the console or the log at INFO.
    queue_email("ana@example.com", "Your return R-2", "Follow your return: https://shop.test/s/other")
    db.session.commit()
    app.config["DEMO"] = False
    with caplog.at_level("INFO", logger="kb.mail.service"):
        assert send_pending() == (1, 0)
    assert "/s/other" not in capsys.readouterr().err + caplog.text
    assert "Your return R-2" in caplog.text
