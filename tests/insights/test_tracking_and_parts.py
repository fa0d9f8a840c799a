"""Article views are recorded without ever breaking the page; periods and charts on their own."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb import buffers
from kb.articles.models import Article
from kb.extensions import db
from kb.insights.charts import Bar, Point, bar_chart, line_chart
from kb.insights.models import ArticleView
from kb.insights.period import PeriodError, parse_period

TODAY = date(2026, 3, 31)


def _publish() -> Article:
    article = Article(key="exchange", lang="en", slug="exchange", title="Exchanges",
                      category="returning", status="published", body="Swap it.")
    db.session.add(article)
    db.session.commit()
    return article


def test_reading_an_article_records_a_view(app: Flask, client: FlaskClient) -> None:
    article = _publish()
    assert client.get("/en/articles/exchange").status_code == 200
    assert client.get("/en/articles/exchange").status_code == 200
    views = db.session.scalars(select(ArticleView)).all()
    assert [v.article_id for v in views] == [article.id, article.id]
    assert views[0].visit_id and views[0].visit_id == views[1].visit_id  # the visit cookie


def test_missing_articles_record_no_view(app: Flask, client: FlaskClient) -> None:
    assert client.get("/en/articles/nowhere").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ArticleView)) == 0


def test_a_failed_view_write_is_logged_and_the_page_still_shows(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _publish()

    @contextlib.contextmanager
    def locked() -> Iterator[None]:
        raise RuntimeError("database is locked")
        yield  # pragma: no cover

    monkeypatch.setattr(buffers, "write_transaction", locked)
    with caplog.at_level(logging.WARNING, logger="kb.buffers"):
        response = client.get("/en/articles/exchange")
    assert response.status_code == 200
    assert "Exchanges" in response.get_data(as_text=True)
    assert "could not record 1 article views" in caplog.text


def test_period_defaults_and_presets(app: Flask) -> None:
    default = parse_period({}, TODAY)
    assert (default.start, default.end, default.lang, default.days) == (
        date(2026, 3, 2), TODAY, None, 30)
    week = parse_period({"days": "7", "lang": "fr"}, TODAY)
    assert (week.start, week.lang) == (date(2026, 3, 25), "fr")
    only_from = parse_period({"from": "2026-03-10"}, TODAY)
    assert (only_from.start, only_from.end) == (date(2026, 3, 10), TODAY)
    only_to = parse_period({"to": "2026-02-28"}, TODAY)
    assert (only_to.start, only_to.end) == (date(2026, 1, 30), date(2026, 2, 28))
    assert parse_period({"lang": "all"}, TODAY).query_args() == {
        "from": "2026-03-02", "to": "2026-03-31", "lang": "all"}
    page = parse_period({"language": "en", "lang": "fr"}, TODAY, lang_arg="language")
    assert page.lang == "en"


@pytest.mark.parametrize("args", [
    {"from": "2026-3-1"}, {"to": "31/03/2026"}, {"from": "2026-04-01", "to": "2026-03-01"},
    {"from": "2025-03-30", "to": "2026-03-31"}, {"lang": "es"}, {"days": "0"},
])
def test_period_mistakes_are_refused(app: Flask, args: dict[str, str]) -> None:
    with pytest.raises(PeriodError):
        parse_period(args, TODAY)


def test_bar_chart_escapes_labels_and_shortens_long_ones(app: Flask) -> None:
    with app.test_request_context():
        svg = str(bar_chart("Queries", [Bar("<script>alert(1)</script>" * 3, 2, "2"),
                                        Bar("short", 1, "1")]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "…</tspan>" in svg
    assert svg.count('class="chart-bar"') == 2
    assert 'width="340.0"' in svg and 'width="170.0"' in svg  # half the value, half the bar


def test_a_long_product_name_wraps_and_keeps_within_the_label_column(app: Flask) -> None:
    import re

    from kb.insights.charts import CHAR_WIDTH, LABEL_WIDTH

    name = "Noise-cancelling wireless headphones with charging case, midnight blue"
    with app.test_request_context():
        svg = str(bar_chart("Returns by product", [Bar(name, 3, "3"), Bar("Mug", 1, "1")]))
    first_row = svg.split('<g class="chart-row">')[1]
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", first_row)
    assert lines[0] == "Noise-cancelling wireless"
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(len(line) * CHAR_WIDTH <= LABEL_WIDTH - 8 for line in lines)
    assert f"<title>{name}: 3</title>" in first_row  # the whole name on hover


def test_the_value_column_grows_with_the_longest_figure(app: Flask) -> None:
    with app.test_request_context():
        svg = str(bar_chart("Money", [Bar("Refunds", 2, "€123,456.78 (45 %)"), Bar("Credit", 1, "€1.00")]))
    import re

    widths = [float(w) for w in re.findall(r'class="chart-bar"[^>]*width="([0-9.]+)"', svg)]
    # The longest bar leaves room for its 18-character figure before the right edge (640).
    assert 210 + widths[0] + 6 + 18 * 7 <= 640


def test_line_chart_leaves_gaps_for_days_without_figures(app: Flask) -> None:
    points = [Point(date(2026, 3, d), f"{d} Mar", v, str(v))
              for d, v in ((1, 0.5), (2, None), (3, 1.0), (4, 0.0))]
    with app.test_request_context():
        svg = str(line_chart("Rate", points, top=1.0))
    assert svg.count("<polyline") == 2  # day 1 alone, then days 3 and 4
    assert svg.count('class="chart-dot"') == 1
    assert "<title>2 Mar: None</title>" in svg
    assert bar_chart("Nothing", []) == "" and line_chart("Nothing", []) == ""
