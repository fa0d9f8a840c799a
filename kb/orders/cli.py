"""``kb orders import FILE``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from kb.database import writes_up_front
from kb.extensions import db
from kb.orders.records import import_orders, parse_records

orders_cli = AppGroup("orders", help="Import the shop's orders.")


@orders_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Upsert orders from a JSON array or JSON Lines FILE; bad records are reported."""
    try:
        records = parse_records(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: cannot read orders: {exc}") from exc
    writes_up_front()
    report = import_orders(records)
    db.session.commit()
    click.echo(f"created {report.created}, updated {report.updated}, rejected {len(report.errors)}")
    for position, reason in report.errors:
        click.echo(f"record {position}: {reason}", err=True)
    if report.errors:
        raise SystemExit(1)
