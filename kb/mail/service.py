"""Queue e-mails and webhook calls in the outbox, and deliver them (SMTP, HTTP or the log)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import smtplib
import socket
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import CursorResult, select, update

from kb.database import write_transaction
from kb.extensions import db
from kb.mail.models import OutboxMessage, OutboxStatus, Webhook
from kb.types import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# A message claimed this long ago by a sender that died is taken over by another.
CLAIM_TIMEOUT = timedelta(minutes=5)
_HOOKS = "kb_active_webhooks"  # Session.info: (the transaction, its active webhooks)


def queue_email(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Add an e-mail to the outbox (sent by ``kb outbox send`` or the server's sender)."""
    message = OutboxMessage(kind="email", recipient=recipient, subject=subject[:300], body=body)
    db.session.add(message)
    return message


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header a webhook receiver checks: ``t=<unix time>,v1=<hex>``.

    ``v1`` is the HMAC-SHA256 of ``"<t>." + body`` keyed with the webhook's secret. Signing the
    time with the body lets a receiver refuse a call replayed later (the README shows how).
    """
    signed = str(timestamp).encode() + b"." + body
    return f"t={timestamp},v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _active_webhooks() -> list[Webhook]:
    """The active webhooks, read once a transaction (opening a return queues two events)."""
    session = db.session()
    transaction = session.get_transaction()
    cached = session.info.get(_HOOKS)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    hooks = list(session.scalars(select(Webhook).where(Webhook.active.is_(True))))
    session.info[_HOOKS] = (transaction, hooks)
    return hooks


def queue_webhooks(event: str, payload: dict) -> int:
    """Queue a signed JSON call to every active webhook that listens to ``event``."""
    count = 0
    for hook in _active_webhooks():
        wanted = {e.strip() for e in hook.events.split(",")}
        if "*" not in wanted and event not in wanted:
            continue
        body = json.dumps({"event": event, **payload}, sort_keys=True, default=str)
        # Signed when sent, not now: a retry an hour later must carry a fresh time.
        headers = {"Content-Type": "application/json", "X-KB-Event": event,
                   "X-KB-Webhook-Id": str(hook.id)}
        db.session.add(OutboxMessage(kind="webhook", recipient=hook.url, subject=event, body=body,
                                     headers_json=json.dumps(headers)))
        count += 1
    return count


def claim_next(worker: str) -> OutboxMessage | None:
    """Claim one due message for this worker; a conditional UPDATE makes the claim exclusive."""
    now = utcnow()
    with write_transaction():
        candidates = db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.id)
            .limit(5)
        ).all()
        for message_id in candidates:
            claimed = db.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    (OutboxMessage.status == OutboxStatus.PENDING)
                    | (
                        (OutboxMessage.status == OutboxStatus.SENDING)
                        & (OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)
                    ),
                )
                .values(status=OutboxStatus.SENDING, claimed_by=worker, claimed_at=now)
            )
            if cast("CursorResult[Any]", claimed).rowcount == 1:
                return db.session.get(OutboxMessage, message_id)
    return None


def deliver(message: OutboxMessage) -> None:
    """Send one message; raise on failure."""
    if message.kind == "webhook":
        _post_webhook(message)
    else:
        _send_email(message)


def send_pending(worker: str | None = None, limit: int = 100,
                 should_stop: Callable[[], bool] | None = None) -> tuple[int, int]:
    """Deliver due messages; returns (sent, failed). Safe with several senders at once.

    ``should_stop`` is asked before each claim: a stopping worker finishes the message in hand
    (and records its outcome) but claims no other.
    """
    worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(object())}"
    sent = failed = 0
    for _ in range(limit):
        if should_stop is not None and should_stop():
            break
        message = claim_next(worker)
        if message is None:
            break
        try:
            deliver(message)
        except Exception as exc:  # noqa: BLE001  (any delivery failure is retried later)
            failed += 1
            with write_transaction():
                message.attempts += 1
                message.last_error = str(exc)[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboxStatus.FAILED
                else:
                    message.status = OutboxStatus.PENDING
                    # 1, 2, 4, 8 … minutes between attempts.
                    message.next_attempt_at = utcnow() + timedelta(minutes=2 ** (message.attempts - 1))
            log.warning("outbox message %s failed (attempt %s): %s", message.id, message.attempts, exc)
        else:
            sent += 1
            with write_transaction():
                message.status = OutboxStatus.SENT
                message.sent_at = utcnow()
                message.attempts += 1
                if message.kind == "email":
                    # E-mails carry secret status links: once delivered, the copy is not kept.
                    message.body = ""
    return sent, failed


def _console_copy(message: OutboxMessage) -> str:
    """An e-mail as the console shows it when no SMTP server is configured."""
    rule = "-" * 72
    return (f"{rule}\nE-mail (not sent: KB_SMTP_URL is unset)\nTo: {message.recipient}\n"
            f"Subject: {message.subject}\n\n{message.body}\n{rule}")


def masked_address(address: str) -> str:
    """An e-mail address with its local part hidden but its first letter, for logs."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"


def _send_email(message: OutboxMessage) -> None:
    url = current_app.config.get("SMTP_URL")
    if not url:
        if current_app.config.get("DEMO"):
            # A demo without a mail server: print the whole e-mail on the console, so that a
            # newcomer can follow the status link it carries.
            print(_console_copy(message), file=sys.stderr, flush=True)
            return
        # No SMTP server in production: the subject is logged with the address masked (logs
        # travel further than the database), the body (with its secret link) only at DEBUG.
        log.info("e-mail to %s: %s", masked_address(message.recipient), message.subject)
        log.debug("e-mail body:\n%s", message.body)
        return
    parts = urlsplit(url)
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with smtp_class(parts.hostname or "localhost", parts.port or (465 if parts.scheme == "smtps" else 25),
                    timeout=20) as smtp:
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(email)


def _post_webhook(message: OutboxMessage) -> None:
    if urlsplit(message.recipient).scheme not in ("http", "https"):
        raise ValueError("webhook URLs must be http or https")
    headers = json.loads(message.headers_json or "{}")
    hook_id = headers.get("X-KB-Webhook-Id", "")
    if hook_id:
        hook = db.session.get(Webhook, int(hook_id))
        if hook is None:
            raise RuntimeError("the webhook was deleted: nothing to sign the call with")
        headers["X-KB-Signature"] = sign(hook.secret, message.body.encode(), int(time.time()))
    request = urllib.request.Request(message.recipient, data=message.body.encode(), headers=headers,
                                     method="POST")
    # The scheme was checked above: only http(s) URLs registered by an admin are called.
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
        if not 200 <= response.status < 300:
            raise RuntimeError(f"webhook answered {response.status}")
