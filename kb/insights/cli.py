"""``kb insights rebuild``: recompute the daily visit rollup from the recorded events."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kb.database import write_transaction
from kb.insights.rollup import rebuild_help_visits


@click.group("insights")
def insights_cli() -> None:
    """Insights reports' upkeep."""


@insights_cli.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Recompute the visits per day from searches, sessions, views and votes."""
    with write_transaction():
        rows = rebuild_help_visits()
    click.echo(f"{rows} visit-days")
