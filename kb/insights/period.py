"""The period and language a report covers, read and checked from a request's arguments."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from kb.config import LANGUAGES
from kb.errors import KbError

PRESET_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
ALL_LANGUAGES = "all"


class PeriodError(KbError, ValueError):
    """A period or language the reports cannot use, with a message for the reader."""

    def __init__(self, code: str, message: object) -> None:
        # The message may be a lazy translation: KbError reads it in the reader's language.
        super().__init__(400, code, message)


@dataclass(frozen=True)
class Period:
    """Whole UTC days from ``start`` to ``end`` (both included), in one language or all."""

    start: date
    end: date
    lang: str | None = None  # None: every language

    @property
    def since(self) -> datetime:
        """The first instant of the period."""
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1

    @property
    def lang_code(self) -> str:
        """The language as the URLs write it ("all", "en" or "fr")."""
        return self.lang or ALL_LANGUAGES

    def each_day(self) -> Iterator[date]:
        """Every day of the period, in order."""
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)

    def query_args(self) -> dict[str, Any]:
        """The arguments that select this period in a CSV or API address."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "lang": self.lang_code}


def parse_period(args: Mapping[str, str], today: date, lang_arg: str = "lang") -> Period:
    """The period named by ``from``/``to`` (or ``days``) and the language; PeriodError if bad."""
    start = _parse_date(args.get("from"), _l("The start date"))
    end = _parse_date(args.get("to"), _l("The end date"))
    days_arg = (args.get("days") or "").strip()
    if start is None:
        if end is None:
            days = _parse_days(days_arg)
            end = today
            start = today - timedelta(days=days - 1)
        else:
            start = end - timedelta(days=DEFAULT_DAYS - 1)
    elif end is None:
        end = max(today, start)
    if start > end:
        raise PeriodError("invalid_period", _l("The start date must not be after the end date."))
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(
            "period_too_long", _l("A report covers at most %(days)d days.", days=MAX_DAYS)
        )
    return Period(start=start, end=end, lang=_parse_lang(args.get(lang_arg)))


def _parse_date(value: str | None, name: object) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 10:
        raise PeriodError(
            "invalid_date", _l("%(name)s must be a date written YYYY-MM-DD.", name=name)
        )
    if not 2000 <= parsed.year <= 2100:  # also keeps date arithmetic away from year 1 and 9999
        raise PeriodError("invalid_date", _l("%(name)s must be between 2000 and 2100.", name=name))
    return parsed


def _parse_days(value: str) -> int:
    if not value:
        return DEFAULT_DAYS
    if (value.isascii() and value.isdigit()) and int(value) in PRESET_DAYS:
        return int(value)
    raise PeriodError("invalid_days", _l("The period must be 7, 30 or 90 days."))


def _parse_lang(value: str | None) -> str | None:
    text = (value or "").strip()
    if text in ("", ALL_LANGUAGES):
        return None
    if text in LANGUAGES:
        return text
    raise PeriodError("invalid_lang", _l("The language must be all, en or fr."))


def day_ranges(days: set[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, day after the last) ranges, so each run of changed days
    is recounted by one statement."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] == day:
            ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
        else:
            ranges.append((day, day + timedelta(days=1)))
    return ranges
