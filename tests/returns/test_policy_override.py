"""A shop that changes its policy file sees the articles and the assistant follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import ARTICLES, make_app, reset_database
from tests.returns.helpers import item, lookup, options


@pytest.fixture
def generous_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An app whose policy gives 45 days and charges 3.50 for a return by carrier."""
    from kb.policy import policy_file

    text = Path(policy_file.__file__).with_name("default_policy.toml").read_text(encoding="utf-8")
    text = text.replace("window_days = 30", "window_days = 45").replace("return_fee = 4.95", "return_fee = 3.50")
    custom = tmp_path / "policy.toml"
    custom.write_text(text, encoding="utf-8")
    app = make_app(tmp_path, POLICY_FILE=str(custom))
    reset_database(app)
    with app.app_context():
        from kb.articles.service import import_articles
        from kb.extensions import db
        from kb.search import rebuild_index

        import_articles(ARTICLES)
        db.session.commit()
        rebuild_index()
        yield app


def test_articles_quote_the_policy_file(generous_app: Flask) -> None:
    client = generous_app.test_client()
    english = client.get("/en/articles/return-window").get_data(as_text=True)
    assert "45 days" in english and "30 days" not in english
    costs = client.get("/en/articles/return-shipping-costs").get_data(as_text=True)
    assert "3.50" in costs and "4.95" not in costs
    french = client.get("/fr/articles/frais-de-retour").get_data(as_text=True)
    assert "3,50" in french and "4,95" not in french


def test_the_assistant_follows_the_policy_file(generous_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from kb.extensions import db
    from kb.orders.records import import_orders
    from kb.policy import shop_today
    from kb.returns import wizard_service
    from kb.returns.demo import demo_orders
    from kb.shop import current_policy

    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    import_orders(demo_orders(now))
    db.session.commit()
    monkeypatch.setattr(wizard_service, "today", lambda: shop_today(current_policy(), now))
    client = generous_app.test_client()
    # A1002 was delivered 45 days ago: expired under the default 30 days, still open under 45.
    line = options(client, lookup(client, "A1002"), [item("THROW-WOOL")])["items"][0]
    assert line["eligible"] is True
    assert line["estimate"]["fee"] == "3.50"
    assert line["estimate"]["total"] == "75.50"
