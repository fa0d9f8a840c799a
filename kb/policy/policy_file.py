"""The policy settings, read from a TOML file (the packaged default or the operator's own)."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kb.policy.mapping import DEFAULT_CATEGORY, MappingRule, parse_rules
from kb.policy.money import parse_money

DEFAULT_POLICY_FILE: Final = "default_policy.toml"

_COUNTRY = re.compile(r"[A-Z]{2}")
_CATEGORY = re.compile(r"[a-z0-9_]+")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES: Final = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}


class PolicyError(ValueError):
    """A policy file that cannot be used; ``key`` names the setting at fault, if any."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def normalize_category(category: str) -> str:
    """The form categories are compared in: trimmed and lower-case."""
    return category.strip().lower()


@dataclass(frozen=True)
class Store:
    """A shop that takes returns over the counter."""

    code: str
    name: str
    address: str
    city: str
    country: str


@dataclass(frozen=True)
class Address:
    """A postal address as printed on a label: who, street line, locality line, country code."""

    name: str
    address: str
    city: str
    country: str


@dataclass(frozen=True)
class Policy:
    """Every setting of the returns policy; see default_policy.toml for what each means."""

    timezone: str
    window_days: int
    category_window_days: Mapping[str, int] = field(hash=False)
    non_returnable_categories: frozenset[str]
    seller_fault_window_days: int
    warranty_days: int
    repairable_categories: frozenset[str]
    not_received_after_days: int
    return_fee: Decimal
    used_refund_percent: int
    refund_business_days: int
    goodwill_percent: int
    goodwill_cap: Decimal
    guarantee_cap: Decimal
    abuse_max_returns_12m: int
    receiptless_review_over: Decimal
    response_hours: int
    ship_back_within_days: int
    store_credit_valid_months: int
    support_opens: str
    support_closes: str
    support_days: tuple[str, ...]
    stores: tuple[Store, ...]
    carrier: str
    return_address: Address
    version: str
    catalogue_mapping: tuple[MappingRule, ...] = ()
    # Every category an item may have (the default one included); see ``categories`` in the file.
    categories: frozenset[str] = frozenset({DEFAULT_CATEGORY})
    # Where the settings came from, for log lines and error messages; not part of equality.
    source: str = field(default="", compare=False)

    @property
    def zone(self) -> ZoneInfo:
        """The shop's time zone."""
        return ZoneInfo(self.timezone)

    def change_of_mind_days(self, category: str) -> int:
        """The change-of-mind window for ``category`` (its override, else window_days)."""
        return self.category_window_days.get(normalize_category(category), self.window_days)

    def returnable_for_change_of_mind(self, category: str) -> bool:
        """Whether ``category`` may come back without a seller fault."""
        return normalize_category(category) not in self.non_returnable_categories

    def repairable(self, category: str) -> bool:
        """Whether a defective item of ``category`` is covered by the repair warranty."""
        return normalize_category(category) in self.repairable_categories


def placeholder_values(policy: Policy) -> dict[str, object]:
    """The values articles may quote as ``{{ policy.name }}``."""
    return {
        "window_days": policy.window_days,
        "electronics_window_days": policy.change_of_mind_days("electronics"),
        "seller_fault_window_days": policy.seller_fault_window_days,
        "warranty_days": policy.warranty_days,
        "not_received_after_days": policy.not_received_after_days,
        "return_fee": policy.return_fee,
        "used_refund_percent": policy.used_refund_percent,
        "refund_business_days": policy.refund_business_days,
        "goodwill_percent": policy.goodwill_percent,
        "goodwill_cap": policy.goodwill_cap,
        "guarantee_cap": policy.guarantee_cap,
        "frequent_returns_over": policy.abuse_max_returns_12m,
        "response_hours": policy.response_hours,
        "receiptless_review_over": policy.receiptless_review_over,
        "ship_back_within_days": policy.ship_back_within_days,
        "store_credit_valid_months": policy.store_credit_valid_months,
        "support_opens": policy.support_opens,
        "support_closes": policy.support_closes,
        "support_days_en": describe_weekdays(policy.support_days, "en"),
        "support_days_fr": describe_weekdays(policy.support_days, "fr"),
        "store_count": len(policy.stores),
        "timezone_city": timezone_city(policy.timezone),
        "stores": policy.stores,
    }


def timezone_city(zone: str) -> str:
    """The place a reader knows the shop's zone by: "Paris" for Europe/Paris, "UTC" for UTC."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def describe_weekdays(days: tuple[str, ...], lang: str) -> str:
    """Days as a reader says them: "Monday to Friday", "du lundi au vendredi", or a list."""
    names = _DAY_NAMES[lang]
    indexes = sorted(WEEKDAYS.index(day) for day in days)
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        first, last = names[indexes[0]], names[indexes[-1]]
        return f"{first} to {last}" if lang == "en" else f"du {first} au {last}"
    words = [names[i] for i in indexes]
    joiner = " and " if lang == "en" else " et "
    return ", ".join(words[:-1]) + joiner + words[-1] if len(words) > 1 else words[0]


def load_policy(
    path: str | os.PathLike[str] | None = None, *, timezone: str | None = None
) -> Policy:
    """Read a policy file (None: the packaged default); ``timezone`` overrides the file's."""
    if path is None:
        source = f"{DEFAULT_POLICY_FILE} (packaged)"
        data = files(__package__).joinpath(DEFAULT_POLICY_FILE).read_bytes()
    else:
        source = os.fspath(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise PolicyError(f"{source}: cannot read the policy file: {exc.strerror}") from exc
    return parse_policy(data, source=source, timezone=timezone)


def parse_policy(data: bytes, *, source: str = "policy", timezone: str | None = None) -> Policy:
    """Build a Policy from the bytes of a policy file; raise PolicyError naming a bad key."""
    try:
        # Decimal for TOML floats: 4.95 must stay exactly 4.95.
        table = tomllib.loads(data.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{source}: the policy file is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from exc

    read = _Reader(table, source)
    known = read.known_categories("categories")
    zone_name = read.timezone("timezone")
    if timezone is not None:
        zone_name = _check_timezone(timezone, source, "timezone (override, KB_SHOP_TIMEZONE)")
    policy = Policy(
        timezone=zone_name,
        window_days=read.days("window_days"),
        category_window_days=read.category_days("category_window_days"),
        non_returnable_categories=read.categories("non_returnable_categories"),
        seller_fault_window_days=read.days("seller_fault_window_days"),
        warranty_days=read.days("warranty_days"),
        repairable_categories=read.categories("repairable_categories"),
        not_received_after_days=read.days("not_received_after_days"),
        return_fee=read.money("return_fee"),
        used_refund_percent=read.percent("used_refund_percent"),
        refund_business_days=read.days("refund_business_days"),
        goodwill_percent=read.percent("goodwill_percent"),
        goodwill_cap=read.money("goodwill_cap"),
        guarantee_cap=read.money("guarantee_cap"),
        abuse_max_returns_12m=read.count("abuse_max_returns_12m"),
        receiptless_review_over=read.money("receiptless_review_over"),
        response_hours=read.count("response_hours", minimum=1),
        ship_back_within_days=read.count("ship_back_within_days", minimum=1),
        store_credit_valid_months=read.count("store_credit_valid_months", minimum=1),
        support_opens=read.clock("support_opens"),
        support_closes=read.clock("support_closes"),
        support_days=read.weekdays("support_days"),
        stores=read.stores("stores"),
        carrier=read.text("carrier"),
        return_address=read.address("return_address"),
        version=hashlib.sha256(data).hexdigest()[:12],
        source=source,
        catalogue_mapping=read.mapping("catalogue_mapping", known),
        categories=known,
    )
    read.refuse_unknown_keys()
    return policy


def _check_timezone(name: object, source: str, key: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise PolicyError(
            f"{source}: '{key}' must be a time zone name such as Europe/Paris", key=key
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"{source}: '{key}' is not a known time zone: {name!r}", key=key) from exc
    return name


class _Reader:
    """Reads typed settings out of the parsed TOML, remembering which keys were used."""

    def __init__(self, table: dict[str, Any], source: str) -> None:
        self.table = table
        self.source = source
        self.used: set[str] = set()
        # The file's own ``categories`` list, once read; None when the file has none.
        self.declared: frozenset[str] | None = None

    def fail(self, key: str, problem: str) -> PolicyError:
        return PolicyError(f"{self.source}: '{key}' {problem}", key=key)

    def get(self, key: str) -> Any:
        self.used.add(key)
        if key not in self.table:
            raise self.fail(key, "is missing")
        return self.table[key]

    def timezone(self, key: str) -> str:
        return _check_timezone(self.get(key), self.source, key)

    def count(self, key: str, *, minimum: int = 0, value: Any = None) -> int:
        value = self.get(key) if value is None else value
        # bool is an int in Python, but "window_days = true" is surely a mistake.
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be a whole number >= {minimum}, got {value!r}")
        return value

    def days(self, key: str) -> int:
        return self.count(key)

    def percent(self, key: str) -> int:
        value = self.count(key)
        if value > 100:
            raise self.fail(key, f"must be a percentage from 0 to 100, got {value!r}")
        return value

    def money(self, key: str) -> Decimal:
        value = self.get(key)
        try:
            # Quoted or bare, the amount goes through the same strict parser as a form field.
            return parse_money(value)
        except ValueError as exc:
            raise self.fail(
                key, f"must be an amount >= 0 with at most 2 decimals, got {value!r}"
            ) from exc

    def clock(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not _CLOCK.fullmatch(value):
            raise self.fail(key, f"must be a time of day as \"HH:MM\", got {value!r}")
        return value

    def weekdays(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if (
            not isinstance(value, list)
            or not value
            or not all(v in WEEKDAYS for v in value)
            or len(set(value)) != len(value)
        ):
            raise self.fail(key, f"must be a list of distinct days from {', '.join(WEEKDAYS)}, got {value!r}")
        return tuple(sorted(value, key=WEEKDAYS.index))

    def categories(self, key: str) -> frozenset[str]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"must be a list of category names, got {value!r}")
        return frozenset(self._category(key, v) for v in value)

    def category_days(self, key: str) -> Mapping[str, int]:
        value = self.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table of category = days, got {value!r}")
        days = {
            self._category(f"{key}.{name}", name): self.count(f"{key}.{name}", value=v)
            for name, v in value.items()
        }
        return MappingProxyType(days)

    def _category(self, key: str, name: str) -> str:
        normal = normalize_category(name)
        if not _CATEGORY.fullmatch(normal):
            raise self.fail(key, f"has a category name that is not a-z, 0-9 or _: {name!r}")
        if self.declared is not None and normal not in self.declared:
            raise self.fail(key, f"names a category that is not in 'categories': {normal!r}")
        return normal

    def known_categories(self, key: str) -> frozenset[str]:
        """The categories rules and overrides may name: the file's list, else those it mentions.

        A file without ``categories`` (written before the list existed) keeps working: its
        categories are the ones its overrides name. The default category is always known.
        """
        if key not in self.table:
            mentioned = (list(self.table.get("category_window_days") or {})
                         + list(self.table.get("non_returnable_categories") or ())
                         + list(self.table.get("repairable_categories") or ()))
            return frozenset(normalize_category(str(c)) for c in mentioned) | {DEFAULT_CATEGORY}
        value = self.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"must be a non-empty list of category names, got {value!r}")
        names = [self._category(key, v) for v in value]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise self.fail(key, f"repeats a category: {', '.join(repeated)}")
        self.declared = frozenset(names) | {DEFAULT_CATEGORY}
        return self.declared

    def stores(self, key: str) -> tuple[Store, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "must be a list of [[stores]] tables")
        stores = tuple(self._store(f"{key}[{i}]", entry) for i, entry in enumerate(value))
        codes = [s.code for s in stores]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise self.fail(key, f"has duplicate store codes: {', '.join(duplicates)}")
        return stores

    def _store(self, key: str, entry: dict[str, Any]) -> Store:
        names = ("code", "name", "address", "city", "country")
        for name in names:
            text = entry.get(name)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(f"{key}.{name}", "must be a non-empty string")
        extra = sorted(set(entry) - set(names))
        if extra:
            raise self.fail(f"{key}.{extra[0]}", "is not a store setting")
        if not _COUNTRY.fullmatch(entry["country"]):
            country = entry["country"]
            raise self.fail(f"{key}.country", f"must be an ISO code such as FR, got {country!r}")
        return Store(*(entry[name].strip() for name in names))

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def address(self, key: str) -> Address:
        value = self.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table with name, address, city and country")
        store = self._store(key, {"code": "-", **value})
        return Address(store.name, store.address, store.city, store.country)

    def mapping(self, key: str, known: frozenset[str]) -> tuple[MappingRule, ...]:
        self.used.add(key)
        return parse_rules(self.table.get(key), self.fail, known)

    def refuse_unknown_keys(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "is not a policy setting (a typo?)")
