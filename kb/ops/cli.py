"""``kb privacy``, ``kb backup`` and ``kb restore``: thin commands over the ops functions."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from kb.database import write_transaction
from kb.ops.backup import BackupError, backend, backup_database, holds_data, restore_database
from kb.ops.privacy import ErasureError, erase_shopper
from kb.ops.retention import prune_search_logs

privacy_cli = AppGroup("privacy", help="Erase a shopper's personal data; prune old search logs.")


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--dry-run", is_flag=True, help="Report what would change, change nothing.")
def erase_command(email: str, dry_run: bool) -> None:
    """Pseudonymise the shopper EMAIL everywhere and delete their photos."""
    try:
        with write_transaction():
            report = erase_shopper(email, dry_run=dry_run)
    except ErasureError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.lines():
        click.echo(line)
    if not report.changed:
        click.echo("nothing to erase: no record holds this address (already erased?)")
    elif dry_run:
        click.echo("dry run: nothing was changed")


@privacy_cli.command("prune-searches")
def prune_searches_command() -> None:
    """Delete search logs older than SEARCH_LOG_RETENTION_DAYS."""
    try:
        days = int(current_app.config["SEARCH_LOG_RETENTION_DAYS"])
        deleted = prune_search_logs(days)
    except ValueError as exc:
        raise click.ClickException(f"KB_SEARCH_LOG_RETENTION_DAYS: {exc}") from exc
    click.echo(f"deleted {deleted} search log entries older than {days} days")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent snapshot of the whole database to FILE (safe while serving)."""
    try:
        written = backup_database(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    size = written.stat().st_size
    click.echo(f"backed up the {backend()} database to {written} ({size:,} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the whole database with the backup FILE, then rebuild the search index."""
    if holds_data() and not yes:
        raise click.ClickException(
            "restore replaces everything in the current database with the backup; "
            "run it again with --yes to go ahead"
        )
    try:
        indexed = restore_database(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {file}; search index rebuilt with {indexed} articles")
