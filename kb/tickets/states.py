"""The ticket state machine, in one place: which action may move a ticket from where to where."""

from __future__ import annotations

from enum import StrEnum

from kb.tickets.models import TicketKind
from kb.tickets.models import TicketStatus as S


class Action(StrEnum):
    """What staff (or the shopper, for replies) can do to a ticket."""

    APPROVE = "approve"
    DECLINE = "decline"
    RECEIVE = "receive"
    REFUND = "refund"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    CLOSE = "close"
    REOPEN = "reopen"
    REPLY = "reply"
    NOTE = "note"


# action -> (states it may start from, state it leads to); None keeps the state.
TRANSITIONS: dict[Action, tuple[frozenset[S], S | None]] = {
    Action.APPROVE: (frozenset({S.NEEDS_REVIEW}), S.APPROVED),
    Action.DECLINE: (frozenset({S.NEEDS_REVIEW}), S.DECLINED),
    Action.RECEIVE: (frozenset({S.APPROVED}), S.RECEIVED),
    # Refunds can start at any time before the end (a guarantee claim has nothing to send).
    Action.REFUND: (frozenset({S.NEEDS_REVIEW, S.APPROVED, S.RECEIVED}), S.REFUNDED),
    Action.EXCHANGE: (frozenset({S.APPROVED, S.RECEIVED}), S.EXCHANGED),
    Action.REPAIR: (frozenset({S.APPROVED, S.RECEIVED}), S.REPAIRED),
    Action.CLOSE: (frozenset({S.REFUNDED, S.EXCHANGED, S.REPAIRED}), S.CLOSED),
    Action.REOPEN: (frozenset({S.CLOSED, S.DECLINED}), S.NEEDS_REVIEW),
    Action.REPLY: (frozenset(S), None),
    Action.NOTE: (frozenset(S), None),
}

# A question has nothing to approve, receive or refund: agents answer it, then close it.
QUESTION_TRANSITIONS: dict[Action, tuple[frozenset[S], S | None]] = {
    Action.REPLY: (frozenset({S.NEEDS_REVIEW, S.CLOSED}), None),
    Action.CLOSE: (frozenset({S.NEEDS_REVIEW}), S.CLOSED),
    Action.REOPEN: (frozenset({S.CLOSED}), S.NEEDS_REVIEW),
    Action.NOTE: (frozenset({S.NEEDS_REVIEW, S.CLOSED}), None),
}


def transitions_for(kind: str) -> dict[Action, tuple[frozenset[S], S | None]]:
    """The state machine of a kind of ticket (returns, or questions)."""
    return QUESTION_TRANSITIONS if kind == TicketKind.QUESTION else TRANSITIONS


class IllegalTransition(Exception):
    """The action is not allowed from the ticket's current state."""

    def __init__(self, action: str, status: str) -> None:
        self.action = action
        self.status = status
        super().__init__(f"cannot {action} a ticket that is {status.replace('_', ' ')}")


def next_status(status: str, action: Action | str, kind: str = TicketKind.RETURN) -> str:
    """The state after ``action`` on a ticket of ``kind``, or IllegalTransition."""
    try:
        allowed_from, target = transitions_for(kind)[Action(action)]
    except (ValueError, KeyError) as exc:
        raise IllegalTransition(str(action), status) from exc
    if S(status) not in allowed_from:
        raise IllegalTransition(str(action), status)
    return str(target) if target is not None else status


def allowed_actions(status: str, kind: str = TicketKind.RETURN) -> list[Action]:
    """The actions offered on a ticket of ``kind`` in this state, in display order."""
    return [action for action, (sources, _t) in transitions_for(kind).items() if S(status) in sources]
