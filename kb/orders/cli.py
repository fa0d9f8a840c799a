"""``kb orders import FILE`` and ``kb orders remap``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from kb.database import writes_up_front
from kb.extensions import db
from kb.orders.categories import RemapReport, mapping_rules, orders_to_remap, remap
from kb.orders.records import import_orders, parse_records

orders_cli = AppGroup("orders", help="Import the shop's orders and apply the policy's catalogue mapping again.")


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


@orders_cli.command("remap")
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
def remap_command(dry_run: bool) -> None:
    """Apply the policy's catalogue mapping again to orders whose returns have not started.

    Items whose category came with the order are never changed.
    """
    if not dry_run:
        writes_up_front()
    order_ids = orders_to_remap()
    with click.progressbar(length=len(order_ids), label="Re-mapping orders") as bar:
        report = remap(order_ids, mapping_rules(), dry_run=dry_run, progress=bar.update)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    _print_remap(report, dry_run)


def _print_remap(report: RemapReport, dry_run: bool) -> None:
    verb = "would change" if dry_run else "changed"
    click.echo(f"{verb} {len(report.changes)} of {report.examined} mapped items; "
               f"skipped {report.held_orders} orders with a return started")
    for category, count in sorted(report.per_category().items(), key=lambda pair: (-pair[1], pair[0])):
        click.echo(f"  {category}: {count}")
    if dry_run:
        for change in report.changes:
            sale = f", final sale {change.old_final_sale} -> {change.new_final_sale}" \
                if change.old_final_sale != change.new_final_sale else ""
            click.echo(f"{change.order_number} {change.sku}: {change.old_category} -> {change.new_category}{sale}")
