"""Column types that keep money exact and times in UTC on every database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.orm import MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator

from kb.policy.money import MAX_MINOR_UNIT

# Amounts are stored as whole hundredths: exact, and SUM() works the same on SQLite and
# PostgreSQL. kb.policy.money refuses currencies with more decimals than that.
_HUNDRED = Decimal(10) ** MAX_MINOR_UNIT


class Money(TypeDecorator[Decimal]):
    """A Decimal amount stored as an integer number of hundredths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: object) -> int | None:
        """Refuse anything that is not an exact Decimal with at most two decimals."""
        if value is None:
            return None
        if not isinstance(value, Decimal | int) or isinstance(value, bool):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        hundredths = Decimal(value) * _HUNDRED
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"money {value} has more than two decimals")
        return int(hundredths)

    def process_result_value(self, value: int | None, dialect: object) -> Decimal | None:
        """Turn stored hundredths back into a two-decimal Decimal."""
        if value is None:
            return None
        return (Decimal(int(value)) / _HUNDRED).quantize(Decimal("0.01"))


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime; SQLite's naive values come back tagged as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        """Store UTC; naive datetimes are a bug in the caller."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def change_marker() -> MappedColumn[datetime | None]:
    """An indexed column stamped with the time of every insert and update of its row.

    Jobs that follow a table from outside the room that owns it (the insights rollups) read
    the rows changed since they last looked, instead of hooking into the room's writes. Nobody
    sets it by hand, unlike ``updated_at`` (which imports and tests may date in the past).
    Rows older than the column (migration 0015) hold NULL.
    """
    return mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
