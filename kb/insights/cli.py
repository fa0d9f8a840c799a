"""``kb insights rebuild``: recount the daily rollups from every recorded event."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from kb.insights.refresh import event_days, rebuild


@click.group("insights")
def insights_cli() -> None:
    """Insights reports' upkeep."""


@insights_cli.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Recount the daily rollups from tickets, orders, searches, sessions, views and votes."""
    span = event_days()
    days = 0 if span is None else (span[1] - span[0]).days + 1
    # The bar goes to stderr, so that the counts below can be read by a script.
    with click.progressbar(length=days, label="Recounting days",
                           file=sys.stderr) as bar:
        sizes = rebuild(bar.update)
    for table, count in sizes.items():
        click.echo(f"{count} rows in {table}")
