"""Reading the policy file: the packaged default, custom files, errors naming the key."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest

from kb.policy import (
    Address,
    ItemFacts,
    NotEligible,
    OrderFacts,
    PolicyError,
    Store,
    decide,
    estimate_return,
    load_policy,
    placeholder_values,
)
from kb.policy.amounts import ReturnLine
from kb.policy.policy_file import describe_weekdays, parse_policy

POLICY_DIR = Path(__file__).resolve().parents[2] / "kb" / "policy"
DEFAULT_BYTES = files("kb.policy").joinpath("default_policy.toml").read_bytes()
DEFAULT_TEXT = DEFAULT_BYTES.decode("utf-8")


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def replace_setting(text: str, key: str, value: str) -> str:
    """Swap one top-level ``key = ...`` line, failing loudly if the key is not there."""
    new, count = re.subn(rf"(?m)^{re.escape(key)} = .*$", f"{key} = {value}", text)
    assert count == 1, key
    return new


def drop_setting(text: str, key: str) -> str:
    new, count = re.subn(rf"(?m)^{re.escape(key)} = .*\n", "", text)
    assert count == 1, key
    return new


def test_default_policy_has_the_documented_values() -> None:
    policy = load_policy()
    assert policy.timezone == "Europe/Paris"
    assert policy.window_days == 30
    assert policy.change_of_mind_days("electronics") == 15
    assert policy.change_of_mind_days("shoes") == 30
    assert policy.non_returnable_categories == {
        "gift_card",
        "perishable",
        "personalized",
        "hygiene",
    }
    assert policy.seller_fault_window_days == 90
    assert policy.warranty_days == 365
    assert policy.repairable_categories == {"electronics", "appliances"}
    assert policy.not_received_after_days == 10
    assert policy.return_fee == Decimal("4.95")
    assert policy.used_refund_percent == 50
    assert policy.refund_business_days == 5
    assert policy.goodwill_percent == 15
    assert policy.goodwill_cap == Decimal("75")
    assert policy.guarantee_cap == Decimal("2500")
    assert policy.abuse_max_returns_12m == 5
    assert policy.receiptless_review_over == Decimal("100")
    assert policy.response_hours == 24


def test_default_policy_lists_the_four_stores() -> None:
    stores = load_policy().stores
    assert [s.code for s in stores] == ["PAR-RIV", "LYO-PD", "LDN-CG", "NYC-SOH"]
    assert stores[0] == Store("PAR-RIV", "Paris Rivoli", "112 rue de Rivoli", "75001 Paris", "FR")
    assert stores[2].city == "London WC2E 8JD" and stores[2].country == "GB"
    assert stores[3].address == "450 Broome Street" and stores[3].country == "US"


def test_money_settings_are_exact_decimals_not_floats() -> None:
    policy = load_policy()
    for amount in (
        policy.return_fee,
        policy.goodwill_cap,
        policy.guarantee_cap,
        policy.receiptless_review_over,
    ):
        assert type(amount) is Decimal


def test_every_setting_of_the_default_file_is_commented() -> None:
    lines = DEFAULT_TEXT.splitlines()
    in_stores = False
    for number, line in enumerate(lines):
        if line.startswith("[[stores]]"):
            in_stores = True  # the store fields are described once, above the first store
        if in_stores or not re.match(r"^(\[[a-z_]+\]|[a-z_]+ = )", line):
            continue
        previous = lines[number - 1]
        assert previous.startswith("#"), f"no comment above line {number + 1}: {line}"


def test_placeholder_values_cover_what_articles_quote() -> None:
    values = placeholder_values(load_policy())
    assert values == {
        "window_days": 30,
        "electronics_window_days": 15,
        "seller_fault_window_days": 90,
        "warranty_days": 365,
        "not_received_after_days": 10,
        "return_fee": Decimal("4.95"),
        "used_refund_percent": 50,
        "refund_business_days": 5,
        "goodwill_percent": 15,
        "goodwill_cap": Decimal("75"),
        "guarantee_cap": Decimal("2500"),
        "frequent_returns_over": 5,
        "response_hours": 24,
        "receiptless_review_over": Decimal("100"),
        "ship_back_within_days": 14,
        "store_credit_valid_months": 12,
        "support_opens": "09:00",
        "support_closes": "18:00",
        "support_days_en": "Monday to Friday",
        "support_days_fr": "du lundi au vendredi",
        "store_count": 4,
        "timezone_city": "Paris",
        "stores": load_policy().stores,
    }
    for name in ("return_fee", "goodwill_cap", "guarantee_cap", "receiptless_review_over"):
        assert type(values[name]) is Decimal, name
    assert isinstance(values["stores"], tuple)


def test_version_is_the_start_of_the_sha256_of_the_file() -> None:
    assert load_policy().version == hashlib.sha256(DEFAULT_BYTES).hexdigest()[:12]
    assert re.fullmatch(r"[0-9a-f]{12}", load_policy().version)


def test_version_changes_with_the_content_even_a_comment(tmp_path: Path) -> None:
    same = load_policy(write_policy(tmp_path, DEFAULT_TEXT))
    assert same.version == load_policy().version
    edited = load_policy(write_policy(tmp_path, DEFAULT_TEXT + "\n# edited\n"))
    assert edited.version != same.version
    assert edited == dataclasses.replace(same, version=edited.version)


def test_a_custom_policy_file_overrides_windows_and_fee(tmp_path: Path) -> None:
    text = replace_setting(DEFAULT_TEXT, "window_days", "14")
    text = replace_setting(text, "return_fee", '"2.50"')
    policy = load_policy(write_policy(tmp_path, text))
    assert policy.window_days == 14
    assert policy.return_fee == Decimal("2.50")

    order = OrderFacts(
        number="A-1",
        channel="online",
        currency="EUR",
        placed_at=datetime(2024, 3, 1, 9, tzinfo=UTC),
        delivered_at=datetime(2024, 3, 4, 9, tzinfo=UTC),
        shipping=Decimal("0.00"),
        items_total=Decimal("40.00"),
    )
    item = ItemFacts("SKU", "shoes", Decimal("40.00"), 1)
    assert decide(policy, order, item, "changed_mind", "unopened", date(2024, 3, 18)).eligible
    late = decide(policy, order, item, "changed_mind", "unopened", date(2024, 3, 19))
    assert late.not_eligible_reason is NotEligible.WINDOW_EXPIRED
    line = ReturnLine(item, 1, "changed_mind", "unopened")
    estimate = estimate_return(policy, order, [line], "refund", "carrier")
    assert estimate.fee == Decimal("2.50")
    assert estimate.total == Decimal("37.50")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("window_days", "-1"),
        ("window_days", '"thirty"'),
        ("window_days", "30.5"),
        ("window_days", "true"),
        ("seller_fault_window_days", '"90"'),
        ("return_fee", '"4.955"'),
        ("return_fee", "-1"),
        ("return_fee", '"4,95"'),
        ("return_fee", "nan"),
        ("return_fee", "inf"),
        ("goodwill_cap", '"lots"'),
        ("used_refund_percent", "101"),
        ("goodwill_percent", "-5"),
        ("timezone", '"Mars/Olympus_Mons"'),
        ("timezone", "1"),
        ("non_returnable_categories", '"hygiene"'),
        ("repairable_categories", "[1, 2]"),
        ("response_hours", "0"),
    ],
)
def test_a_bad_value_names_the_key(tmp_path: Path, key: str, value: str) -> None:
    path = write_policy(tmp_path, replace_setting(DEFAULT_TEXT, key, value))
    with pytest.raises(PolicyError, match=f"'{key}'") as caught:
        load_policy(path)
    assert caught.value.key == key


@pytest.mark.parametrize("key", ["window_days", "return_fee", "timezone", "guarantee_cap"])
def test_a_missing_value_names_the_key(tmp_path: Path, key: str) -> None:
    path = write_policy(tmp_path, drop_setting(DEFAULT_TEXT, key))
    with pytest.raises(PolicyError, match=f"'{key}' is missing") as caught:
        load_policy(path)
    assert caught.value.key == key


def test_an_unknown_key_is_refused_as_a_likely_typo(tmp_path: Path) -> None:
    path = write_policy(tmp_path, "windows_days = 30\n" + DEFAULT_TEXT)
    with pytest.raises(PolicyError, match="'windows_days' is not a policy setting"):
        load_policy(path)


def test_a_bad_category_window_names_the_category(tmp_path: Path) -> None:
    text = DEFAULT_TEXT.replace("electronics = 15", "electronics = -15")
    with pytest.raises(PolicyError, match=r"'category_window_days\.electronics'"):
        load_policy(write_policy(tmp_path, text))


def test_a_bad_store_names_the_store_and_field(tmp_path: Path) -> None:
    text = DEFAULT_TEXT.replace('country = "GB"', 'country = "Britain"')
    with pytest.raises(PolicyError, match=r"'stores\[2\]\.country'"):
        load_policy(write_policy(tmp_path, text))
    text = DEFAULT_TEXT.replace('code = "LYO-PD"', 'code = "PAR-RIV"')
    with pytest.raises(PolicyError, match="duplicate store codes: PAR-RIV"):
        load_policy(write_policy(tmp_path, text))


def test_a_file_that_is_not_toml_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(write_policy(tmp_path, "window_days = = 3\n"))


def test_a_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nowhere.toml")


def test_the_timezone_can_be_overridden() -> None:
    policy = load_policy(timezone="America/New_York")
    assert policy.timezone == "America/New_York"
    assert placeholder_values(policy)["timezone_city"] == "New York"
    assert policy.version == load_policy().version  # same file, same version


@pytest.mark.parametrize("zone", ["", "Not/AZone", "../etc/passwd"])
def test_a_bad_timezone_override_is_refused(zone: str) -> None:
    with pytest.raises(PolicyError, match="timezone") as caught:
        load_policy(timezone=zone)
    assert caught.value.key is not None and caught.value.key.startswith("timezone")


def test_the_policy_package_imports_neither_flask_nor_sqlalchemy() -> None:
    for module in sorted(POLICY_DIR.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in {"flask", "flask_sqlalchemy", "sqlalchemy"}, module.name
                # Inside kb, only the policy package itself: the rest of kb pulls in Flask.
                assert top != "kb" or name.startswith("kb.policy"), (module.name, name)


def test_policy_modules_stay_small() -> None:
    for module in POLICY_DIR.glob("*.py"):
        assert len(module.read_text(encoding="utf-8").splitlines()) <= 400, module.name


def test_support_days_read_as_a_range_or_a_list_in_each_language() -> None:
    assert describe_weekdays(("mon", "tue", "wed", "thu", "fri", "sat"), "fr") == "du lundi au samedi"
    assert describe_weekdays(("sat", "mon"), "en") == "Monday and Saturday"
    assert describe_weekdays(("sun",), "fr") == "dimanche"


@pytest.mark.parametrize(
    ("key", "value"),
    [("support_opens", '"9h"'), ("support_closes", '"24:00"'), ("support_days", '["monday"]'), ("support_days", "[]")],
)
def test_support_hours_and_days_are_checked(key: str, value: str) -> None:
    text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", DEFAULT_BYTES.decode())
    with pytest.raises(PolicyError) as info:
        parse_policy(text.encode())
    assert info.value.key == key


def test_default_policy_names_the_carrier_and_the_return_address() -> None:
    policy = load_policy()
    assert policy.carrier == "Colissimo"
    assert policy.return_address == Address("Returns centre", "8 rue des Entrepôts", "93200 Saint-Denis", "FR")


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('carrier = "Colissimo"', 'carrier = ""', "carrier"),
        ('city = "93200 Saint-Denis"', 'city = 93200', "return_address.city"),
        ('name = "Returns centre"', 'name = "Returns centre"\nfloor = "2"', "return_address.floor"),
    ],
)
def test_a_bad_carrier_or_return_address_names_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    path = write_policy(tmp_path, DEFAULT_TEXT.replace(old, new))
    with pytest.raises(PolicyError, match=f"'{re.escape(key)}'") as caught:
        load_policy(path)
    assert caught.value.key == key
