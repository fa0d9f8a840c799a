"""A report as the page shows it: headline figures, then panels of a chart over a table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask import url_for
from flask_babel import format_currency, format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from kb.insights.charts import Bar, Point, bar_chart, line_chart
from kb.insights.period import Period
from kb.insights.reports import Report
from kb.returns.labels import REASONS

CHART_BARS = 20
CHANNELS = {
    "online": _l("Online shop"),
    "store": _l("In a store"),
    "marketplace": _l("Marketplace seller"),
}


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, and a link, a number alignment or a language if it has one."""

    text: str
    href: str | None = None
    number: bool = False
    lang: str | None = None


@dataclass
class Panel:
    """A chart (or a few) with the table of its figures below."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    charts: list[Markup] = field(default_factory=list)
    help: str = ""
    folded: bool = False  # long day-by-day tables start closed
    captions: list[str] = field(default_factory=list)  # when a panel has several charts


@dataclass(frozen=True)
class Tile:
    """A headline figure."""

    id: str
    label: str
    value: str
    help: str = ""


@dataclass
class Page:
    """Everything the report's page shows below the period form."""

    tiles: list[Tile]
    panels: list[Panel]


def number(value: int | float) -> str:
    """A count written the reader's way."""
    return str(format_decimal(value))


def percent(value: float | None) -> str:
    """A 0–1 ratio as a percentage with one decimal, or a dash when there is none."""
    if value is None:
        return "–"
    return str(format_decimal(round(value * 100, 1), format="#,##0.0")) + " %"


def whole_percent(value: float) -> str:
    """A 0–1 ratio as a whole percentage, for the marks of a scale."""
    return str(format_decimal(round(value * 100), format="#,##0")) + " %"


def money(amount: Decimal, currency: str) -> str:
    """An amount with its currency."""
    return str(format_currency(amount, currency))


def day(value: date) -> str:
    """A day, short."""
    return str(format_date(value, format="d MMM yyyy"))


def reason_label(code: str) -> str:
    """The words for a return reason code (and for the contact form's questions)."""
    if code == "question":
        return str(_("Question (contact form)"))
    return str(REASONS.get(code, code or _("Not chosen")))


def channel_label(code: str) -> str:
    """The words for a sales channel code."""
    return str(CHANNELS.get(code, code))


def _bars(rows: Sequence[dict[str, Any]], label: Callable[[dict], str],
          value: Callable[[dict], float | None], text: Callable[[dict], str]) -> list[Bar]:
    return [Bar(label(r), float(value(r) or 0), text(r)) for r in rows[:CHART_BARS]]


def _count_panel(pid: str, title: str, rows: list[dict], label: Callable[[dict], str],
                 first: str, extra: Sequence[tuple[str, str]] = ()) -> Panel:
    """A ranking by tickets: bars of tickets, a table with any extra count columns."""
    chart = bar_chart(title, _bars(rows, label, lambda r: r["tickets"],
                                   lambda r: number(r["tickets"])))
    table = [[Cell(label(r)), Cell(number(r["tickets"]), number=True),
              *[Cell(number(r[name]), number=True) for name, _title in extra]] for r in rows]
    return Panel(pid, title, [first, _("Tickets"), *[t for _n, t in extra]], table, [chart])


def reasons_page(report: Report, period: Period) -> Page:
    """Tickets per day, by reason, category, product and channel, and the return rates."""
    per_day = report["per_day"]
    points = [Point(r["key"], day(r["key"]), r["tickets"], number(r["tickets"])) for r in per_day]
    products = report["by_product"]

    def product(r: dict) -> str:
        return f"{r['key']} · {r['name']}" if r.get("name") else r["key"]

    rates = report["return_rates"]
    panels = [
        Panel("per-day", _("Tickets per day"), [_("Day"), _("Tickets")],
              [[Cell(day(r["key"])), Cell(number(r["tickets"]), number=True)] for r in per_day],
              [line_chart(_("Tickets per day"), points)], folded=True),
        _count_panel("by-reason", _("Tickets by reason"), report["by_reason"],
                     lambda r: reason_label(r["key"]), _("Reason")),
        _count_panel("by-category", _("Tickets by item category"), report["by_category"],
                     lambda r: r["key"], _("Category"), [("units", _("Units"))]),
        _count_panel("by-product", _("Tickets by product"), products, product,
                     _("Product"), [("units", _("Units"))]),
        _count_panel("by-channel", _("Tickets by sales channel"), report["by_channel"],
                     lambda r: channel_label(r["key"]), _("Channel")),
        Panel(
            "return-rates", _("Highest return rates"),
            [_("Product"), _("Units returned"), _("Units sold"), _("Return rate")],
            [[Cell(product(r)), Cell(number(r["returned"]), number=True),
              Cell(number(r["sold"]), number=True), Cell(percent(r["rate"]), number=True)]
             for r in rates],
            [bar_chart(_("Highest return rates"),
                       _bars(rates, product, lambda r: r["rate"], lambda r: percent(r["rate"])))],
            help=_("Units returned in the period's tickets (declined tickets left out) ÷ units "
                   "sold in the orders placed in the same period, for the 20 products with the "
                   "highest rate among those that sold at least one unit. Orders have no "
                   "language, so this table counts every language. Returns of older orders "
                   "count too, so a rate can pass 100 %."),
        ),
    ]
    tiles = [Tile("tickets", _("Tickets opened"), number(report["summary"]["tickets"]))]
    return Page(tiles, panels)


def _self_help_tiles(s: dict[str, Any]) -> list[Tile]:
    """The self-help report's headline figures."""
    score = "–" if s["self_service_score"] is None else str(
        format_decimal(s["self_service_score"], format="#,##0.0"))
    return [
        Tile("help_sessions", _("Help-centre sessions"), number(s["help_sessions"]),
             _("Distinct visits that searched, read or voted on an article, or used the "
               "returns assistant.")),
        Tile("wizard_started", _("Assistant sessions started"), number(s["wizard_started"])),
        Tile("deflected", _("Solved by self-help"), number(s["deflected"])),
        Tile("ticket", _("Turned into tickets"), number(s["ticket"])),
        Tile("abandoned", _("Abandoned"), number(s["abandoned"]),
             _("Still open and not seen for more than an hour.")),
        Tile("deflection_rate", _("Deflection rate"), percent(s["deflection_rate"]),
             _("Solved by self-help ÷ (solved by self-help + turned into tickets).")),
        Tile("self_service_score", _("Self-service score"), score,
             _("Help-centre sessions ÷ distinct shoppers who opened a ticket (%(count)s).",
               count=number(s["shoppers_with_tickets"]))),
    ]


def self_help_page(report: Report, period: Period) -> Page:
    """Visits, wizard outcomes, deflection over time and by reason, and the articles involved."""
    tiles = _self_help_tiles(report["summary"])
    per_day = report["per_day"]
    points = [Point(r["key"], day(r["key"]), r["deflection_rate"], percent(r["deflection_rate"]))
              for r in per_day]
    rate_columns = [_("Solved by self-help"), _("Turned into tickets"), _("Deflection rate")]

    def rate_cells(r: dict) -> list[Cell]:
        return [Cell(number(r["deflected"]), number=True), Cell(number(r["ticket"]), number=True),
                Cell(percent(r["deflection_rate"]), number=True)]

    by_reason = report["by_reason"]
    deflecting, ticketing = report["deflecting_articles"], report["ticket_articles"]

    def title(r: dict) -> str:
        return r["title"] or r["key"]

    panels = [
        Panel("per-day", _("Deflection rate per day"), [_("Day"), *rate_columns],
              [[Cell(day(r["key"])), *rate_cells(r)] for r in per_day],
              [line_chart(_("Deflection rate per day"), points, top=1.0,
                          axis=whole_percent)],
              help=_("By the day the assistant session started; no point on days when no "
                     "session ended either way."), folded=True),
        Panel("by-reason", _("Deflection rate by reason"), [_("Reason"), *rate_columns],
              [[Cell(reason_label(r["key"])), *rate_cells(r)] for r in by_reason],
              [bar_chart(_("Deflection rate by reason"),
                         _bars(by_reason, lambda r: reason_label(r["key"]),
                               lambda r: r["deflection_rate"],
                               lambda r: percent(r["deflection_rate"])))],
              help=_("The reason of the first item the shopper chose.")),
        Panel("deflecting-articles", _("Articles that solved the case"),
              [_("Article"), _("Sessions")],
              [[Cell(title(r)), Cell(number(r["sessions"]), number=True)] for r in deflecting],
              [bar_chart(_("Articles that solved the case"),
                         _bars(deflecting, title, lambda r: r["sessions"],
                               lambda r: number(r["sessions"])))],
              help=_("The article the shopper said solved it, or else the articles they "
                     "opened, in sessions solved by self-help.")),
        Panel("ticket-articles", _("Articles read before a ticket anyway"),
              [_("Article"), _("Sessions"), _("Opened")],
              [[Cell(title(r)), Cell(number(r["sessions"]), number=True),
                Cell(number(r["opened"]), number=True)] for r in ticketing],
              [bar_chart(_("Articles read before a ticket anyway"),
                         _bars(ticketing, title, lambda r: r["sessions"],
                               lambda r: number(r["sessions"])))],
              help=_("Articles offered (or opened) in assistant sessions that still ended "
                     "with a ticket.")),
    ]
    return Page(tiles, panels)


MONEY_FIGURES = (
    ("returned_value", _l("Returned value")),
    ("kept_value", _l("Kept as exchange or store credit")),
    ("refunded", _l("Refunds paid")),
    ("goodwill", _l("Goodwill paid")),
    ("guarantee_paid", _l("Guarantee claims paid")),
)


def money_page(report: Report, period: Period) -> Page:
    """Per currency: returned and kept value, the retained ratio, and money paid."""
    rows = report["by_currency"]
    tiles = [Tile(f"retained-{r['currency']}",
                  _("Retained revenue (%(currency)s)", currency=r["currency"]),
                  percent(r["retained_ratio"])) for r in rows]
    charts = [
        bar_chart(_("Money in %(currency)s", currency=r["currency"]),
                  [Bar(str(label), float(r[name]), money(r[name], r["currency"]))
                   for name, label in MONEY_FIGURES])
        for r in rows
    ]
    columns = [_("Currency"), *[str(label) for _n, label in MONEY_FIGURES],
               _("Retained revenue"), _("Refunds"), _("Guarantee claims")]
    table = [
        [Cell(r["currency"]),
         *[Cell(money(r[name], r["currency"]), number=True) for name, _l2 in MONEY_FIGURES],
         Cell(percent(r["retained_ratio"]), number=True),
         Cell(number(r["refunds"]), number=True),
         Cell(number(r["guarantee_claims"]), number=True)]
        for r in rows
    ]
    panel = Panel(
        "by-currency", _("Money kept and paid, per currency"), columns, table, charts,
        captions=[_("In %(currency)s", currency=r["currency"]) for r in rows],
        help=_("Retained revenue = value of returned items resolved as an exchange or store "
               "credit ÷ value of all returned items, for the tickets opened in the period "
               "(declined tickets left out). Refunds, goodwill and guarantee claims are the "
               "confirmed payments made in the period; refunds do not include guarantee "
               "claims. Currencies are never added together."),
    )
    return Page(tiles, [panel])


def gaps_page(report: Report, period: Period) -> Page:
    """Searches that found nothing and searches nobody opened, with a link to write."""

    def panel(pid: str, title: str, rows: list[dict], help_text: str) -> Panel:
        table = [
            [Cell(r["key"], lang=r["lang"]), Cell(r["lang"].upper()),
             Cell(number(r["searches"]), number=True),
             Cell(str(format_datetime(r["last_seen"], format="short"))),
             Cell(_("Write an article"),
                  href=url_for("studio.new", title=r["key"], lang=r["lang"]))]
            for r in rows
        ]
        chart = bar_chart(title, _bars(rows, lambda r: f"{r['key']} ({r['lang']})",
                                       lambda r: r["searches"], lambda r: number(r["searches"])))
        return Panel(pid, title, [_("Search"), _("Language"), _("Searches"), _("Last seen"),
                                  _("Action")], table, [chart], help=help_text)

    panels = [
        panel("no-results", _("Searches with no results"), report["no_results"],
              _("Grouped by the normalised query (lower case, words only).")),
        panel("not-opened", _("Searches whose results nobody opened"), report["not_opened"],
              _("The search found articles, but the shopper opened none of them.")),
    ]
    return Page([], panels)


def articles_page(report: Report, period: Period) -> Page:
    """The most read articles, and the least helpful ones."""

    def title(r: dict) -> str:
        return f"{r['title']} ({r['lang']})"

    def cells(r: dict) -> list[Cell]:
        href = (url_for("articles.article", lang=r["lang"], slug=r["slug"])
                if r["status"] == "published" else None)
        return [Cell(r["title"], href=href, lang=r["lang"]), Cell(r["lang"].upper()),
                Cell(number(r["views"]), number=True), Cell(number(r["yes"]), number=True),
                Cell(number(r["no"]), number=True), Cell(percent(r["helpful_rate"]), number=True)]

    columns = [_("Article"), _("Language"), _("Views"), _("Yes"), _("No"), _("Helpful")]
    views, helpful = report["by_views"], report["by_helpfulness"]
    panels = [
        Panel("by-views", _("Most read articles"), columns, [cells(r) for r in views],
              [bar_chart(_("Most read articles"),
                         _bars(views, title, lambda r: r["views"],
                               lambda r: number(r["views"])))]),
        Panel("by-helpfulness", _("Least helpful articles first"), columns,
              [cells(r) for r in helpful],
              [bar_chart(_("Least helpful articles first"),
                         _bars(helpful, title, lambda r: r["helpful_rate"],
                               lambda r: percent(r["helpful_rate"])))],
              help=_("Share of “yes” answers to “Was this helpful?” given in the period.")),
    ]
    return Page([], panels)


PAGES: dict[str, Callable[[Report, Period], Page]] = {
    "reasons": reasons_page,
    "self_help": self_help_page,
    "money": money_page,
    "gaps": gaps_page,
    "articles": articles_page,
}
