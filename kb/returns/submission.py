"""The assistant's last step as plain functions: the choices offered, the estimate, and the return
opened from them (shared by the HTML pages, the API and the embed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from kb.catalogue.service import VariantChoice, exchange_choices
from kb.extensions import db
from kb.orders.facts import item_facts, order_facts
from kb.orders.models import Order
from kb.policy import (
    Condition,
    Estimate,
    Method,
    Reason,
    Resolution,
    ReturnLine,
    estimate_return,
    offered_for_all,
    review_reasons,
)
from kb.returns.models import WizardOutcome, WizardSession
from kb.returns.wizard_service import Evaluated, LineChoice, WizardError, clean_note, evaluate
from kb.shop import current_policy
from kb.tickets.models import Ticket, TicketKind
from kb.tickets.photos import attach_session_photos
from kb.tickets.service import TicketLine, open_ticket, status_token
from kb.types import utcnow

MAX_VARIANT = 120  # the exchange wish: "size M, in blue"



def choices_for(evaluated: list[Evaluated], exception: bool) -> tuple[tuple[Resolution, ...], tuple[Method, ...]]:
    """The resolutions and methods offered for all the lines together."""
    eligible = [e.decision for e in evaluated if e.decision.eligible]
    if exception and len(eligible) < len(evaluated):
        # An exception request lets the shopper say what they would like; an agent decides.
        return (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE, Resolution.REPAIR), (
            Method.CARRIER, Method.STORE, Method.DROPOFF)
    return offered_for_all(eligible)


def estimate_for(session: WizardSession, evaluated: list[Evaluated], resolution: str, method: str) -> Estimate:
    """The refund estimate for the whole return, line by line."""
    lines = [ReturnLine(item_facts(e.item), e.choice.quantity, Reason(e.choice.reason),
                        Condition(e.choice.condition)) for e in evaluated]
    return estimate_return(current_policy(), order_facts(session.order), lines, resolution, method)


def _abuse_reasons(session: WizardSession, estimate: Estimate) -> tuple[str, ...]:
    """The policy's abuse rules this return trips (frequent returner, receipt-less over the limit)."""
    prior = db.session.scalar(
        select(func.count()).select_from(Ticket).where(
            # Questions sent through the contact form are tickets too, but not returns.
            Ticket.kind == TicketKind.RETURN,
            Ticket.email == session.order.email, Ticket.created_at >= utcnow() - timedelta(days=365))
    ) or 0
    return review_reasons(current_policy(), prior_returns_12m=prior, receiptless=session.receiptless,
                          return_value=estimate.items_total)


def review_preview(session: WizardSession, evaluated: list[Evaluated], estimate: Estimate,
                   exception: bool) -> list[str]:
    """Why this return would go to an agent if confirmed now, in open_ticket's order; empty: approved."""
    reasons: list[str] = []
    if exception and any(not e.decision.eligible for e in evaluated):
        reasons.append("exception_requested")
    reasons.extend(str(r) for r in _abuse_reasons(session, estimate))
    for e in evaluated:
        reasons.extend(str(r) for r in e.decision.review_reasons if str(r) not in reasons)
    if not reasons and any(e.decision.needs_review for e in evaluated):
        reasons.append("other")
    return reasons


def _clean_variant(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > MAX_VARIANT:
        raise WizardError(400, "invalid_exchange_variant",
                          f"exchange_variant must be a text of at most {MAX_VARIANT} characters.")
    return " ".join(value.split())


def variant_choices(lines: list[LineChoice]) -> list[VariantChoice]:
    """The other variants in stock of the products chosen, when the catalogue knows them."""
    return exchange_choices([line.sku for line in lines])


def _chosen_variant(value: Any, lines: list[LineChoice]) -> str:
    """The exchange wish: one of the variants offered when there are any, else the shopper's words."""
    variant = _clean_variant(value)
    offered = variant_choices(lines)
    if offered and variant not in {choice.label for choice in offered}:
        raise WizardError(400, "unknown_exchange_variant",
                          "Choose one of the sizes or colours offered for the exchange.")
    return variant


def _check_types(exception: Any, resolution: Any, method: Any, store_code: Any) -> None:
    if not isinstance(exception, bool):
        raise WizardError(400, "invalid_exception", "exception must be true or false.")
    for name, value in (("resolution", resolution), ("method", method), ("store", store_code)):
        if value is not None and not isinstance(value, str):
            raise WizardError(400, f"invalid_{name}", f"{name} must be a string.")


def _check_session_open(session: WizardSession) -> None:
    """A return is opened once per session, and only after the self-help was offered."""
    if session.offered_at is None:
        raise WizardError(409, "self_help_first", "Please look at the suggested answers before creating a return.")
    if session.outcome == WizardOutcome.DEFLECTED:
        raise WizardError(409, "already_deflected", "This session ended as solved. Start again to return an item.")
    if session.outcome == WizardOutcome.TICKET:
        raise WizardError(409, "already_ticketed", "This session already created a return. Start again for another.")


def _check_eligible(evaluated: list[Evaluated], exception: bool) -> list[Evaluated]:
    """The lines outside the policy (allowed only as an exception request); refuses repeats."""
    for e in evaluated:
        if e.decision.not_eligible_reason == "already_returned":
            raise WizardError(409, "already_returned", f"{e.item.sku} is already in a return.")
    ineligible = [e for e in evaluated if not e.decision.eligible]
    if ineligible and not exception:
        reasons = ", ".join(f"{e.item.sku} ({e.decision.not_eligible_reason})" for e in ineligible)
        raise WizardError(422, "not_eligible", f"Not eligible under the returns policy: {reasons}. "
                          "You can ask for an exception instead.")
    return ineligible


def _check_choices(evaluated: list[Evaluated], exception: bool, resolution: Any, method: Any,
                   store_code: Any) -> str | None:
    """Refuse a resolution or method the lines do not allow; returns the store, if one is used."""
    resolutions, methods = choices_for(evaluated, exception)
    if resolution not in {r.value for r in resolutions}:
        raise WizardError(400, "invalid_resolution",
                          f"resolution must be one of: {', '.join(r.value for r in resolutions) or 'none'}.")
    if method not in {m.value for m in methods}:
        raise WizardError(400, "invalid_method",
                          f"method must be one of: {', '.join(m.value for m in methods) or 'none'}.")
    if method != Method.STORE:
        return None
    if store_code not in {s.code for s in current_policy().stores}:
        raise WizardError(400, "invalid_store", "Choose one of our stores.")
    return str(store_code)


def create_return(
    session: WizardSession,
    lines: list[LineChoice],
    *,
    resolution: Any,
    method: Any,
    store_code: Any = None,
    note: Any = None,
    exception: Any = False,
    idempotency_key: str | None = None,
    exchange_variant: Any = None,
) -> tuple[Ticket, str, bool]:
    """Open the return ticket; returns (ticket, status token, created now)."""
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 80:
        raise WizardError(400, "invalid_idempotency_key", "The idempotency key must have 1 to 80 characters.")
    # Lock the order's row first (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
    # writers): a concurrent retry then waits here and finds the ticket its twin created.
    db.session.execute(select(Order.id).where(Order.id == session.order_id).with_for_update())
    db.session.refresh(session)
    if idempotency_key is not None:
        existing = db.session.scalar(select(Ticket).where(Ticket.idempotency_key == idempotency_key))
        if existing is not None:
            if existing.session_id != session.id:
                raise WizardError(409, "idempotency_key_reused", "This Idempotency-Key was used for another return.")
            return existing, status_token(existing), False
    _check_types(exception, resolution, method, store_code)
    _check_session_open(session)
    evaluated = evaluate(session, lines)
    ineligible = _check_eligible(evaluated, exception)
    store_code = _check_choices(evaluated, exception, resolution, method, store_code)
    note_text = clean_note(note) or session.note
    variant = _chosen_variant(exchange_variant, lines) if resolution == Resolution.EXCHANGE else ""
    estimate = estimate_for(session, evaluated, resolution, method)
    review = _abuse_reasons(session, estimate)
    ticket, token = open_ticket(
        order=session.order,
        lines=[TicketLine(e.item, e.choice.quantity, e.choice.reason, e.choice.condition, e.decision)
               for e in evaluated],
        resolution=resolution, method=method, estimate=estimate, lang=session.lang, note=note_text,
        store_code=store_code, exception=bool(ineligible) and exception, receiptless=session.receiptless,
        review_reasons=review, session_id=session.id, idempotency_key=idempotency_key,
        exchange_variant=variant,
    )
    attach_session_photos(session.id, ticket.id)
    session.outcome = WizardOutcome.TICKET
    session.ended_at = session.last_seen_at = utcnow()
    return ticket, token, True
