"""The five reports: who may read each, their figures, and the same figures as JSON and CSV.

A report is a dict of sections. A section is either a dict of named figures ("summary") or
a list of rows, each a dict with a ``key`` (and a ``lang`` or ``currency`` where it has one).
The page, the CSV and the API all render this one structure, so they cannot disagree.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kb.insights import gap_queries as gaps
from kb.insights import help_queries as helps
from kb.insights import returns_queries as returns
from kb.insights.period import Period
from kb.insights.refresh import catch_up
from kb.insights.sql import ratio
from kb.types import utcnow

Report = dict[str, Any]
CONTENT_ROLES = ("agent", "writer")
AGENT_ROLES = ("agent",)  # admins may act as agents


@dataclass(frozen=True)
class ReportKind:
    """One report: its name in URLs, who may read it, and the function that computes it."""

    name: str
    roles: tuple[str, ...]
    build: Callable[[Period], Report]


def reasons_report(period: Period) -> Report:
    """Why shoppers return: by reason, category, product and channel, per day, return rates."""
    counts = returns.ticket_counts(period)
    return {
        "summary": {"tickets": sum(row["tickets"] for row in counts)},
        "per_day": returns.per_day(counts, period),
        "by_reason": returns.ranked(counts, "reason"),
        "by_category": returns.tickets_by_category(period),
        "by_product": returns.tickets_by_product(period),
        "by_channel": returns.ranked(counts, "channel"),
        "return_rates": returns.return_rates(period),
    }


def self_help_report(period: Period, now: datetime | None = None) -> Report:
    """How often self-help solved the case, and which articles came before each outcome."""
    outcomes = helps.wizard_outcomes(period, now or utcnow())
    visits = helps.help_visits(period)
    shoppers = helps.shoppers_with_tickets(period)
    ended = helps.ended_counts(period)
    deflecting = helps.articles_before_deflection(period)
    ticketing = helps.articles_before_ticket(period)
    titles = helps.article_titles({r["key"] for r in deflecting + ticketing}, period.lang)
    return {
        "summary": {
            "help_sessions": visits,
            "wizard_started": outcomes["started"],
            "deflected": outcomes["deflected"],
            "ticket": outcomes["ticket"],
            "abandoned": outcomes["abandoned"],
            "deflection_rate": _deflection_rate(outcomes),
            "shoppers_with_tickets": shoppers,
            "self_service_score": ratio(visits, shoppers),
        },
        "per_day": [_with_rate(row) for row in helps.outcomes_per_day(ended, period)],
        "by_reason": [_with_rate(row) for row in helps.outcomes_by_reason(ended)],
        "deflecting_articles": [_titled(row, titles) for row in deflecting],
        "ticket_articles": [_titled(row, titles) for row in ticketing],
    }


def money_report(period: Period) -> Report:
    """Value kept as exchanges and store credit, and money paid back, per currency."""
    values = returns.returned_values(period)
    paid = returns.refunds_paid(period)
    rows = []
    for currency in sorted(set(values) | set(paid)):
        value = values.get(currency, {"returned": returns.ZERO, "kept": returns.ZERO})
        money = paid.get(currency) or {
            "refunds": 0, "refunded": returns.ZERO, "goodwill": returns.ZERO,
            "guarantee_claims": 0, "guarantee_paid": returns.ZERO,
        }
        rows.append({
            "key": currency,
            "currency": currency,
            "returned_value": value["returned"],
            "kept_value": value["kept"],
            "retained_ratio": ratio(value["kept"], value["returned"]),
            **money,
        })
    return {"by_currency": rows}


def gaps_report(period: Period) -> Report:
    """Searches that found nothing, and searches whose results nobody opened."""
    no_results = gaps.searches_without_answer(period, opened=False)
    not_opened = gaps.searches_without_answer(period, opened=True)
    return {"no_results": no_results, "not_opened": not_opened}


def articles_report(period: Period) -> Report:
    """Articles by views, and by the share of readers who found them helpful."""
    figures = helps.article_figures(period)
    for row in figures:
        row["helpful_rate"] = ratio(row["yes"], row["yes"] + row["no"])
    by_views = sorted(
        (row for row in figures if row["views"]),
        key=lambda r: (-r["views"], r["key"], r["lang"]),
    )[: helps.TOP_QUERIES]
    voted = [row for row in figures if row["yes"] + row["no"]]
    # Least helpful first: these are the articles to rewrite.
    by_helpfulness = sorted(
        voted, key=lambda r: (r["helpful_rate"], -r["no"], r["key"], r["lang"])
    )[: helps.TOP_QUERIES]
    return {"by_views": by_views, "by_helpfulness": by_helpfulness}


REPORTS: dict[str, ReportKind] = {
    kind.name: kind
    for kind in (
        ReportKind("reasons", AGENT_ROLES, reasons_report),
        ReportKind("self_help", AGENT_ROLES, self_help_report),
        ReportKind("money", AGENT_ROLES, money_report),
        ReportKind("gaps", CONTENT_ROLES, gaps_report),
        ReportKind("articles", CONTENT_ROLES, articles_report),
    )
}


def may_read(can: Callable[[str], bool], name: str) -> bool:
    """Whether someone (given their ``can(role)``) may read the report called ``name``."""
    return any(can(role) for role in REPORTS[name].roles)


def build(name: str, period: Period) -> Report:
    """Compute one report for a period, from rollups brought up to date first."""
    catch_up()
    return REPORTS[name].build(period)


def as_json(name: str, period: Period, report: Report) -> dict[str, Any]:
    """The report as the API returns it: money as decimal strings, days as ISO dates."""
    body: dict[str, Any] = {"report": name, **period.query_args()}
    body.update({section: _plain(value) for section, value in report.items()})
    return body


def as_csv(name: str, period: Period, report: Report) -> str:
    """The report as one CSV table: a row per figure or entry, with its section."""
    rows: list[dict[str, Any]] = []
    for section, value in report.items():
        if isinstance(value, dict):
            rows.extend({"section": section, "key": k, "value": _plain(v)}
                        for k, v in value.items())
        else:
            rows.extend({"section": section, **{k: _plain(v) for k, v in row.items()}}
                        for row in value)
    columns = ["report", "from", "to", "filter_lang", "section", "key"]
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    out = io.StringIO()
    # Every text cell is quoted, so a separator inside one never splits it, whatever the locale.
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writeheader()
    args = period.query_args()
    for row in rows:
        writer.writerow({"report": name, "from": args["from"], "to": args["to"],
                         "filter_lang": args["lang"], **{k: _cell(v) for k, v in row.items()}})
    return out.getvalue()


def _plain(value: Any) -> Any:
    """JSON-ready: Decimal → "12.30", date → "2026-01-31", datetime → ISO 8601 in UTC."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# A formula start at the beginning of a cell, or after anything a spreadsheet may split on
# (French spreadsheets split on ";", others on tabs), optionally after spaces.
_FORMULA_START = re.compile(r"(^|[,;\t\r\n|])(\s*)(?=[=+\-@\t\r])")


def _cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula gets an apostrophe before it.

    Not only at the start: ``Mug;=cmd|...`` becomes two cells where ";" separates them, so
    every formula start after a separator is neutralised too.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return _FORMULA_START.sub(lambda m: m.group(1) + m.group(2) + "'", value)
    return value


def _deflection_rate(row: dict[str, Any]) -> float | None:
    return ratio(row["deflected"], row["deflected"] + row["ticket"])


def _with_rate(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "deflection_rate": _deflection_rate(row)}


def _titled(row: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    return {"key": row["key"], "title": titles.get(row["key"], ""),
            **{k: v for k, v in row.items() if k != "key"}}
