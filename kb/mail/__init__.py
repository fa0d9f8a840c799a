"""Outgoing mail and webhooks through the outbox."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from kb import background

outbox_cli = AppGroup("outbox", help="Deliver queued e-mails and webhooks.")

# Messages one round of the background sender delivers before the other jobs get their turn.
ROUND_SIZE = 50


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many messages.")
def send_command(limit: int) -> None:
    """Deliver the messages that are due (safe to run while the server also sends)."""
    from kb.mail.service import send_pending

    sent, failed = send_pending(limit=limit)
    click.echo(f"sent {sent}, failed {failed} (failed ones are retried later)")


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Run every background job once, then exit.")
def run_command(once: bool) -> None:
    """Deliver the outbox and run the other periodic jobs until SIGTERM or SIGINT.

    The background worker of a deployment: any number may run against one database (each
    message is claimed once). On a signal it finishes the job in hand and exits with 0.
    """
    # A worker's own output: what it starts, stops and fails at, one line each.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The real app behind the proxy (Flask's LocalProxy method is not in its type hints).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    background.serve_until_signalled(app, once=once)


def _deliver_round(should_stop: background.StopCheck) -> object:
    from kb.mail.service import send_pending

    return send_pending(limit=ROUND_SIZE, should_stop=should_stop)


def init_app(app: Flask) -> None:
    """Register ``kb outbox`` and the sender among the background jobs."""
    app.cli.add_command(outbox_cli)
    background.register(app, "outbox", lambda a: float(a.config["OUTBOX_INTERVAL"]), _deliver_round)
