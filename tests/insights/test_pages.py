"""The page shows the API's figures; the CSV holds the same; filters change them as they should."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from kb.articles.models import Article
from kb.extensions import db
from kb.insights.models import ArticleView
from kb.types import utcnow
from tests.insights.conftest import MARCH, Staff, at
from tests.insights.helpers import csv_rows, page_tables, page_tiles

REPORTS = ("reasons", "self_help", "money", "gaps", "articles")


def _page(client: FlaskClient, report: str, **args: str) -> str:
    response = client.get(f"/insights/{report}", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _api(client: FlaskClient, headers: dict[str, str], report: str, **args: str) -> dict:
    response = client.get(f"/api/v1/insights/{report}", query_string=args, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_reasons_page_shows_the_api_figures(client: FlaskClient, staff: Staff,
                                             history: dict) -> None:
    staff.login("agent")
    html = _page(client, "reasons", **MARCH)
    tables = page_tables(html)
    assert page_tiles(html) == {"tickets": "5"}
    assert tables["by-reason-table"][1:] == [
        ["I changed my mind", "2"], ["Wrong size or fit", "2"], ["Faulty or not working", "1"]]
    assert tables["by-category-table"][1:] == [
        ["clothing", "3", "6"], ["appliances", "2", "3"], ["electronics", "1", "1"]]
    assert tables["by-product-table"][1:] == [
        ["SKU-A · Shirt", "2", "3"], ["SKU-B · Kettle", "2", "3"],
        ["SKU-C · Headphones", "1", "1"], ["SKU-D · Socks", "1", "3"]]
    assert tables["by-channel-table"][1:] == [
        ["Marketplace seller", "2"], ["Online shop", "2"], ["In a store", "1"]]
    assert tables["return-rates-table"][1:] == [
        ["SKU-B · Kettle", "1", "1", "100.0 %"], ["SKU-C · Headphones", "1", "1", "100.0 %"],
        ["SKU-A · Shirt", "3", "6", "50.0 %"], ["SKU-D · Socks", "3", "10", "30.0 %"]]
    per_day = tables["per-day-table"][1:]
    assert len(per_day) == 31
    assert per_day[2] == ["3 Mar 2026", "2"] and per_day[0] == ["1 Mar 2026", "0"]
    assert "orders placed in the same period" in html  # the help text says which sales count


def test_self_help_page_shows_the_api_figures(client: FlaskClient, staff: Staff,
                                               history: dict) -> None:
    staff.login("agent")
    html = _page(client, "self_help", **MARCH)
    assert page_tiles(html) == {
        "help_sessions": "10", "wizard_started": "6", "deflected": "2", "ticket": "2",
        "abandoned": "1", "deflection_rate": "50.0 %", "self_service_score": "3.3"}
    tables = page_tables(html)
    assert tables["by-reason-table"][1:] == [
        ["Wrong size or fit", "1", "1", "50.0 %"], ["I changed my mind", "1", "0", "100.0 %"],
        ["Faulty or not working", "0", "1", "0.0 %"]]
    assert tables["deflecting-articles-table"][1:] == [["Exchanges", "2"], ["Return window", "1"]]
    assert tables["ticket-articles-table"][1:] == [
        ["Return window", "1", "1"], ["Damaged or defective", "1", "0"], ["Exchanges", "1", "0"]]
    assert tables["per-day-table"][3] == ["3 Mar 2026", "2", "1", "66.7 %"]
    assert tables["per-day-table"][1] == ["1 Mar 2026", "0", "0", "–"]


def test_money_page_never_adds_currencies(client: FlaskClient, staff: Staff,
                                          history: dict) -> None:
    staff.login("agent")
    html = _page(client, "money", **MARCH)
    assert page_tiles(html) == {"retained-EUR": "38.1 %", "retained-GBP": "100.0 %"}
    assert page_tables(html)["by-currency-table"][1:] == [
        ["EUR", "€105.00", "€40.00", "€50.00", "€7.50", "€15.00", "38.1 %", "1", "1"],
        ["GBP", "£118.00", "£118.00", "£118.00", "£0.00", "£0.00", "100.0 %", "1", "0"]]
    assert "€223.00" not in html and "223.00" not in html


def test_gaps_page_links_each_query_to_a_new_article(client: FlaskClient, staff: Staff,
                                                     history: dict) -> None:
    staff.login("writer")
    html = _page(client, "gaps", **MARCH)
    tables = page_tables(html)
    # Last seen in the shop's time zone (Paris, UTC+1 in March).
    assert tables["no-results-table"][1:] == [
        ["where is my refund", "EN", "2", "3/8/26, 11:00 AM", "Write an article"],
        ["remboursement carte", "FR", "1", "3/9/26, 1:00 PM", "Write an article"]]
    assert tables["not-opened-table"][1:] == [
        ["label printer", "EN", "2", "3/13/26, 1:00 PM", "Write an article"],
        ["exchange size", "EN", "1", "3/3/26, 1:00 PM", "Write an article"]]
    assert 'href="/studio/new?title=where+is+my+refund&amp;lang=en"' in html
    assert 'href="/studio/new?title=remboursement+carte&amp;lang=fr"' in html


def test_articles_page_shows_views_and_helpfulness(client: FlaskClient, staff: Staff,
                                                    history: dict) -> None:
    staff.login("writer")
    tables = page_tables(_page(client, "articles", **MARCH))
    exchange_en = ["Exchanges", "EN", "3", "1", "1", "50.0 %"]
    exchange_fr = ["Échanges", "FR", "1", "1", "0", "100.0 %"]
    window = ["Return window", "EN", "1", "0", "1", "0.0 %"]
    assert tables["by-views-table"][1:] == [exchange_en, exchange_fr, window]
    assert tables["by-helpfulness-table"][1:] == [window, exchange_en, exchange_fr]


@pytest.mark.parametrize("report", REPORTS)
def test_csv_holds_exactly_the_api_figures(client: FlaskClient, staff: Staff, history: dict,
                                           report: str) -> None:
    staff.login("admin")
    body = _api(client, staff.token("agent"), report, **MARCH, lang="all")
    response = client.get(f"/insights/{report}.csv", query_string={**MARCH, "lang": "all"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"insights-{report}-2026-03-01-2026-03-31-all.csv" in response.headers[
        "Content-Disposition"]
    rows = csv_rows(response.get_data(as_text=True))
    assert {(r["report"], r["from"], r["to"], r["filter_lang"]) for r in rows} <= {
        (report, "2026-03-01", "2026-03-31", "all")}
    sections = {section: value for section, value in body.items()
                if section not in ("report", "from", "to", "lang")}
    assert {r["section"] for r in rows} <= set(sections)
    for section, value in sections.items():
        in_csv = [r for r in rows if r["section"] == section]
        if isinstance(value, dict):  # named figures: JSON sorts their names
            assert {r["key"]: r["value"] for r in in_csv} == {
                k: "" if v is None else str(v) for k, v in value.items()}
            continue
        assert len(in_csv) == len(value), section
        for row, wanted in zip(in_csv, value, strict=True):  # same rows, same order
            for name, figure in wanted.items():
                assert row[name] == ("" if figure is None else str(figure)), (section, name)


def test_csv_money_rows_carry_their_currency(client: FlaskClient, staff: Staff,
                                             history: dict) -> None:
    staff.login("agent")
    rows = csv_rows(client.get("/insights/money.csv", query_string=MARCH).get_data(as_text=True))
    assert [(r["currency"], r["refunded"], r["goodwill"]) for r in rows] == [
        ("EUR", "50.00", "7.50"), ("GBP", "118.00", "0.00")]


def test_page_language_filter_changes_the_figures(client: FlaskClient, staff: Staff,
                                                  history: dict) -> None:
    staff.login("agent")
    html = _page(client, "reasons", **MARCH, language="fr")
    assert page_tiles(html) == {"tickets": "2"}
    assert page_tables(html)["by-reason-table"][1:] == [
        ["I changed my mind", "1"], ["Wrong size or fit", "1"]]
    assert 'lang="en"' in html  # the page itself stays in the reader's language
    assert "/insights/reasons.csv?from=2026-03-01&amp;to=2026-03-31&amp;lang=fr" in html


def test_page_period_filter_changes_the_figures(client: FlaskClient, staff: Staff,
                                                history: dict) -> None:
    staff.login("agent")
    html = _page(client, "reasons", **{"from": "2026-03-03", "to": "2026-03-06"})
    assert page_tiles(html) == {"tickets": "3"}
    assert len(page_tables(html)["per-day-table"]) == 1 + 4


def test_default_period_is_the_last_30_days(client: FlaskClient, staff: Staff) -> None:
    staff.login("agent")
    today = utcnow().date()
    body = _api(client, staff.token("agent"), "reasons")
    assert (body["from"], body["to"], body["lang"]) == (
        (today - timedelta(days=29)).isoformat(), today.isoformat(), "all")
    assert len(body["per_day"]) == 30
    html = _page(client, "reasons", days="7")
    assert len(page_tables(html)["per-day-table"]) == 1 + 7
    assert 'aria-current="true">Last 7 days' in html


def test_charts_are_images_with_a_summary_and_figures_on_hover(
    client: FlaskClient, staff: Staff, history: dict
) -> None:
    staff.login("agent")
    html = _page(client, "reasons", **MARCH)
    assert html.count('<svg class="chart" role="img"') == 6
    assert ('aria-label="Tickets by reason. I changed my mind: 2; Wrong size or fit: 2; '
            'Faulty or not working: 1."') in html
    assert "<title>SKU-B · Kettle: 100.0 %</title>" in html
    assert "<title>3 Mar 2026: 2</title>" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_page_in_french(client: FlaskClient, staff: Staff, history: dict) -> None:
    staff.login("agent")
    html = _page(client, "money", **MARCH, lang="fr")
    assert '<html lang="fr">' in html
    assert "105,00" in html  # amounts written the French way


def test_an_empty_report_says_so(client: FlaskClient, staff: Staff) -> None:
    staff.login("agent")
    html = _page(client, "money", **MARCH)
    assert "Nothing in this period." in html


def test_csv_does_not_let_a_title_become_a_formula(client: FlaskClient, staff: Staff) -> None:
    article = Article(key="trap", lang="en", slug="trap", title='=HYPERLINK("http://x")',
                      category="returning", status="published")
    db.session.add(article)
    db.session.flush()
    db.session.add(ArticleView(article_id=article.id, visit_id="v", created_at=at("03-05")))
    db.session.commit()
    staff.login("writer")
    rows = csv_rows(client.get("/insights/articles.csv", query_string=MARCH).get_data(as_text=True))
    assert {r["title"] for r in rows} == {"'=HYPERLINK(\"http://x\")"}
