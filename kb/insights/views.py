"""The insights pages for staff, and every report as a CSV download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from kb.auth.access import current_actor, role_required
from kb.config import LANGUAGES
from kb.insights import reports
from kb.insights.period import PRESET_DAYS, Period, PeriodError, parse_period
from kb.insights.present import PAGES, Page
from kb.types import utcnow

bp = Blueprint("insights", __name__, url_prefix="/insights")

REPORT = "<any(reasons, self_help, money, gaps, articles):report>"
TITLES = {
    "reasons": _l("Return reasons"),
    "self_help": _l("Self-help"),
    "money": _l("Money kept"),
    "gaps": _l("Knowledge gaps"),
    "articles": _l("Articles"),
}
# The page's own ``lang`` argument picks the language the page is written in (see
# kb.web.select_locale), so the page filters on ``language``; CSV and API use ``lang``.
PAGE_LANG_ARG = "language"


def readable_reports() -> list[str]:
    """The reports the signed-in staff member may read, in menu order."""
    actor = current_actor()
    return [name for name in reports.REPORTS if actor is not None and
            reports.may_read(actor.can, name)]


def _allowed_or_403(name: str) -> None:
    if name not in readable_reports():
        abort(403)


@bp.get("", strict_slashes=False)
@role_required("agent", "writer")
def index() -> tuple[str, int]:
    """The first report the staff member may read (return reasons for agents)."""
    return _page(readable_reports()[0])


@bp.get(f"/{REPORT}")
@role_required("agent", "writer")
def report(report: str) -> tuple[str, int]:
    """One report: headline figures, charts with their numbers on hover, tables below."""
    _allowed_or_403(report)
    return _page(report)


@bp.get(f"/{REPORT}.csv")
@role_required("agent", "writer")
def report_csv(report: str) -> Response:
    """One report as CSV, for the period and language of ``from``, ``to`` and ``lang``."""
    _allowed_or_403(report)
    try:
        period = parse_period(request.args, utcnow().date())
    except PeriodError as error:
        return Response(error.message + "\n", status=400, mimetype="text/plain")
    body = reports.as_csv(report, period, reports.build(report, period))
    filename = f"insights-{report}-{period.start}-{period.end}-{period.lang_code}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _page(name: str) -> tuple[str, int]:
    """Render a report's page, or the period form with a clear message when it is wrong."""
    page_lang = request.args.get("lang")
    _alternates(name)
    try:
        period = parse_period(request.args, utcnow().date(), lang_arg=PAGE_LANG_ARG)
    except PeriodError as error:
        return _render(name, None, None, error.message, page_lang), 400
    page = PAGES[name](reports.build(name, period), period)
    return _render(name, period, page, None, page_lang), 200


def _render(name: str, period: Period | None, page: Page | None, error: str | None,
            page_lang: str | None) -> str:
    args = request.args
    links = {} if period is None else {
        "csv": url_for("insights.report_csv", report=name, **period.query_args()),
        "api": url_for("insights_api.report", report=name, **period.query_args()),
    }
    keep: dict[str, Any] = {"lang": page_lang} if page_lang in LANGUAGES else {}
    filter_lang = args.get(PAGE_LANG_ARG, "all")
    if filter_lang not in ("all", *LANGUAGES):
        filter_lang = "all"
    return render_template(
        "insights/report.html",
        name=name,
        title=TITLES[name],
        tabs=[(code, TITLES[code], _link(code, keep)) for code in readable_reports()],
        presets=[(days, url_for("insights.report", report=name, days=days,
                                **{PAGE_LANG_ARG: filter_lang, **keep})) for days in PRESET_DAYS],
        period=period,
        active_days=_active_days(period, args.get("from") or args.get("to")),
        form={"from": args.get("from", period.start.isoformat() if period else ""),
              "to": args.get("to", period.end.isoformat() if period else ""),
              "language": filter_lang},
        keep=keep,
        page=page,
        error=error,
        links=links,
    )


def _active_days(period: Period | None, dated: str | None) -> int | None:
    """The preset the period came from, to mark it as chosen."""
    if period is None or dated:
        return None
    return period.days


def _link(name: str, keep: dict[str, Any]) -> str:
    """A tab's address, keeping the period and language chosen."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("days", "from", "to", PAGE_LANG_ARG)}
    return url_for("insights.report", report=name, **args, **keep)


def _alternates(name: str) -> None:
    """The header's language switch keeps this report and its period."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("days", "from", "to", PAGE_LANG_ARG)}
    g.alternates = {code: url_for("insights.report", report=name, **args, lang=code)
                    for code in LANGUAGES}
