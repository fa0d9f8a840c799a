"""Every path through the returns assistant, walked in a browser with JavaScript on or off.

Shared by the walk test (tests/browser/test_assistant_walk.py) and ``make screenshots``: each walk
calls ``at_step(name)`` on every step it reaches, so one runs axe there and the other takes a picture.
Each walk gets its own copy of a demo order (another number, e-mail and transaction id), so walks
never meet an item already in a return nor a shopper who returns too often.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from playwright.sync_api import expect

from kb.extensions import db
from kb.orders.records import import_orders
from kb.returns.demo import demo_orders

AtStep = Callable[[str], None]

# The words a walk checks, in each language (the French ones are the catalogue's).
WORDS = {
    "en": {"review": "Send for review", "confirm": "Confirm my return", "solved": "This solved it, thank you",
           "solved_title": "Glad we could help", "needs_review": "Being reviewed by an agent",
           "approved": "Approved: waiting for your item"},
    "fr": {"review": "Envoyer pour vérification", "confirm": "Confirmer mon retour", "solved": "C'est réglé, merci",
           "solved_title": "Ravis d'avoir pu vous aider", "needs_review": "En cours d'examen par un conseiller",
           "approved": "Approuvé : en attente de votre article"},
}
VARIANT = {"en": "one size up, navy", "fr": "une taille au-dessus, bleu marine"}


@dataclass(frozen=True)
class AssistantPath:
    """One way through the assistant: the demo order it starts from and the shopper's choices."""

    name: str
    order: str  # the demo order copied for the walk
    sku: str
    reason: str
    condition: str | None = "unopened"  # None: the assistant must not ask
    resolution: str | None = None  # None: what the assistant picks first
    method: str | None = None
    exception: bool = False  # ask an agent for an exception to the policy
    receiptless: bool = False  # look the order up by its payment transaction id
    solved: bool = False  # an article solves it: no return
    review: bool = False  # the return goes to an agent: "Send for review"


PATHS = (
    AssistantPath("refund", "A1001", "TEE-M-BLUE", "changed_mind", resolution="refund", method="carrier"),
    AssistantPath("exception", "A1002", "THROW-WOOL", "changed_mind", exception=True, resolution="refund",
                  method="carrier", review=True),
    AssistantPath("receiptless", "A1016", "BOOTS-39-BROWN", "changed_mind", receiptless=True, resolution="refund",
                  method="carrier", review=True),
    AssistantPath("exchange", "A1001", "JEANS-32-INDIGO", "wrong_size", resolution="exchange", method="dropoff"),
    AssistantPath("repair", "A1006", "BLENDER-PRO", "defective", condition="used", resolution="repair",
                  method="carrier"),
    AssistantPath("store", "A1018", "JEANS-32-INDIGO", "changed_mind", resolution="refund", method="store"),
    AssistantPath("guarantee", "A1009", "MKT-RUG-200", "not_as_described", resolution="guarantee_claim",
                  review=True),
    AssistantPath("not_received", "A1013", "THROW-WOOL", "not_received", condition=None, review=True),
    AssistantPath("solved", "A1001", "TEE-M-BLUE", "wrong_size", solved=True),
)

_COPIES = itertools.count(1)


@dataclass(frozen=True)
class ShopperOrder:
    """The copy of a demo order a walk looks up."""

    number: str
    email: str
    transaction_id: str


def copy_demo_order(app: Flask, number: str, now: datetime | None = None) -> ShopperOrder:
    """Import a copy of demo order ``number`` under a new number, e-mail and transaction id."""
    today = now or datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    template = next(order for order in demo_orders(today) if order["number"] == number)
    n = next(_COPIES)
    order = copy.deepcopy(template)
    order["number"] = f"W{n:05d}"
    order["email"] = f"shopper{n}@example.com"
    order["transaction_id"] = f"P02-{n:07d}-{number[1:]:0>7}"
    with app.app_context():
        report = import_orders([order])
        db.session.commit()
    assert report.created == 1, report.errors
    return ShopperOrder(order["number"], order["email"], order["transaction_id"])


def walk_with_javascript(page: Any, base: str, lang: str, path: AssistantPath, order: ShopperOrder,
                         at_step: AtStep) -> None:
    """The one-page assistant, from finding the order to its last step."""
    words = WORDS[lang]
    page.goto(f"{base}/{lang}/returns/start")
    app = page.locator("#wizard-app")
    if path.receiptless:
        app.locator("#wapp-mode-transaction").check()
        app.locator("#wapp-transaction-id").fill(order.transaction_id)
    else:
        app.locator("#wapp-order-number").fill(order.number)
    to_answers_with_javascript(app, order.email, path.sku, path.reason, path.condition, at_step)
    at_step("answers")
    if path.solved:
        app.get_by_role("button", name=words["solved"]).click()
        expect(app.locator("#wapp-heading")).to_have_text(words["solved_title"])
        at_step("solved")
        return
    app.locator(".wapp-actions .button-primary").click()
    expect(page).to_have_url(re.compile(r".*[?&]step=confirm$"))
    _choose_with_javascript(app, lang, path)
    primary = app.locator(".wapp-actions .button-primary")
    expect(primary).to_have_text(words["review" if path.review else "confirm"])
    at_step("confirm")
    primary.click()
    expect(app.locator(".status-line")).to_have_text(words["needs_review" if path.review else "approved"])
    at_step("done")


def to_answers_with_javascript(app: Any, email: str, sku: str, reason: str, condition: str | None,
                               at_step: AtStep = lambda _step: None) -> None:
    """In the one-page assistant (``app``), the order's number or transaction id typed in, to the
    answers step: the e-mail, then one item with its reason and condition (``None``: not asked)."""
    app.locator("#wapp-email").fill(email)
    at_step("find")
    app.locator("button[type=submit]").click()
    app.locator(f"#wapp-pick-{sku}").check()
    app.locator(f"#wapp-reason-{sku}").select_option(reason)
    if condition is None:
        expect(app.locator(f"#wapp-condition-{sku}")).to_be_hidden()
    else:
        app.locator(f"#wapp-condition-{sku}").select_option(condition)
    at_step("items")
    app.locator("button[type=submit]").click()
    expect(app.locator(".wapp-decisions")).to_be_visible()


def _choose_with_javascript(app: Any, lang: str, path: AssistantPath) -> None:
    if path.exception:
        app.locator("#wapp-exception").check()
    if path.resolution:
        app.locator(f"#wapp-resolution-{path.resolution}").check()
    if path.resolution == "exchange":
        app.locator("#wapp-variant").fill(VARIANT[lang])
    if path.method:
        app.locator(f"#wapp-method-{path.method}").check()
    if path.method == "store":
        app.locator("#wapp-store").select_option(index=1)
    if path.review:
        expect(app.locator("#wapp-review")).to_be_visible()
    if path.resolution in ("refund", "store_credit"):
        expect(app.locator(".wapp-estimate table")).to_be_visible()


def walk_without_javascript(page: Any, base: str, lang: str, path: AssistantPath, order: ShopperOrder,
                            at_step: AtStep) -> None:
    """The page-per-step assistant, a form per step, as a browser without JavaScript sees it."""
    words = WORDS[lang]
    if path.receiptless:
        page.goto(f"{base}/{lang}/returns/start?mode=transaction")
        page.fill("#transaction_id", order.transaction_id)
    else:
        page.goto(f"{base}/{lang}/returns/start")
        page.fill("#order_number", order.number)
    to_answers_without_javascript(page, order.email, path.sku, path.reason, path.condition, at_step)
    at_step("answers")
    if path.solved:
        page.get_by_role("button", name=words["solved"]).click()
        expect(page.locator("main h1")).to_have_text(words["solved_title"])
        at_step("solved")
        return
    page.locator("main .wapp-actions .button-primary").click()
    page.wait_for_url(re.compile(r".*/returns/confirm$"))
    _choose_without_javascript(page, lang, path)
    create = page.locator("button[value=create]")
    expect(create).to_have_text(words["review" if path.review else "confirm"])
    at_step("confirm")
    create.click()
    page.wait_for_url(re.compile(r".*/returns/status/R-.*"))
    expect(page.locator("main")).to_contain_text(words["needs_review" if path.review else "approved"])
    at_step("status")


def to_answers_without_javascript(page: Any, email: str, sku: str, reason: str, condition: str | None,
                                  at_step: AtStep = lambda _step: None) -> None:
    """From the start page, the order's number or transaction id typed in, to the answers step:
    the e-mail, then one item with its reason and condition (``None``: the page must not ask)."""
    page.fill("#email", email)
    at_step("find")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/returns/items$"))
    page.check(f"#pick-{sku}")
    page.select_option(f"#reason-{sku}", reason)
    if condition is not None:
        page.select_option(f"#condition-{sku}", condition)
    at_step("items")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/returns/help$"))


def _choose_without_javascript(page: Any, lang: str, path: AssistantPath) -> None:
    if path.exception:
        # The exception opens choices the policy alone does not offer: the page asks again.
        page.check("#exception")
        page.click("button[value=estimate]")
        page.wait_for_load_state("load")
    if path.resolution:
        page.check(f"#res-{path.resolution}")
    if path.resolution == "exchange":
        page.fill("#exchange_variant", VARIANT[lang])
    if path.method:
        page.check(f"#met-{path.method}")
    if path.method == "store":
        page.select_option("#store", index=1)
    page.click("button[value=estimate]")
    page.wait_for_load_state("load")
    if path.review:
        expect(page.locator("#review-notice")).to_be_visible()
