"""Outgoing mail and webhooks through the outbox."""

from __future__ import annotations

import logging
import threading
import time

import click
from flask import Flask
from flask.cli import AppGroup

log = logging.getLogger(__name__)
outbox_cli = AppGroup("outbox", help="Deliver queued e-mails and webhooks.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many messages.")
def send_command(limit: int) -> None:
    """Deliver the messages that are due (safe to run while the server also sends)."""
    from kb.mail.service import send_pending

    sent, failed = send_pending(limit=limit)
    click.echo(f"sent {sent}, failed {failed} (failed ones are retried later)")


def init_app(app: Flask) -> None:
    """Register ``kb outbox`` and, in a served app, a background sender per process."""
    app.cli.add_command(outbox_cli)
    if app.config.get("OUTBOX_BACKGROUND"):
        _start_sender(app)


def _start_sender(app: Flask) -> None:
    def loop() -> None:
        from kb.extensions import db
        from kb.mail.service import send_pending

        while True:
            time.sleep(float(app.config.get("OUTBOX_INTERVAL", 5)))
            with app.app_context():
                try:
                    send_pending(limit=50)
                except Exception:  # noqa: BLE001  (keep the sender alive; it retries)
                    log.exception("outbox sender failed")
                finally:
                    db.session.remove()

    threading.Thread(target=loop, name="kb-outbox", daemon=True).start()
