"""``kb insights rebuild``: recompute the daily rollups from the recorded events."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kb.database import write_transaction
from kb.extensions import db
from kb.insights.daily import rebuild_daily
from kb.insights.rollup import rebuild_help_visits


@click.group("insights")
def insights_cli() -> None:
    """Insights reports' upkeep."""


@insights_cli.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Recompute the daily rollups from tickets, searches, sessions, views and votes."""
    with write_transaction():
        rows = rebuild_help_visits()
        sizes = rebuild_daily(db.session.connection())
    click.echo(f"{rows} visit-days")
    for table, count in sizes.items():
        click.echo(f"{count} rows in {table}")
