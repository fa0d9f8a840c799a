"""``kb products import FILE``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from kb.catalogue.service import ProductRecordError, upsert_product, validate_product
from kb.database import writes_up_front
from kb.extensions import db

products_cli = AppGroup("products", help="The shop's product catalogue (for exchanges).")


@products_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Upsert products from a JSON array or JSON Lines FILE; bad records are reported."""
    try:
        records = parse_records(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: cannot read products: {exc}") from exc
    writes_up_front()
    created = updated = 0
    errors: list[tuple[int, str]] = []
    with click.progressbar(records, label="Importing products") as bar:
        for position, record in enumerate(bar, start=1):
            try:
                created_now = _import_one(record)
            except ProductRecordError as exc:
                errors.append((position, str(exc)))
                continue
            created += created_now
            updated += not created_now
    db.session.commit()
    click.echo(f"created {created}, updated {updated}, rejected {len(errors)}")
    for position, reason in errors:
        click.echo(f"record {position}: {reason}", err=True)
    if errors:
        raise SystemExit(1)


def parse_records(text: str) -> list[Any]:
    """A JSON array of products, or JSON Lines (one product per line; a bad line is reported)."""
    if text.lstrip().startswith("["):
        data = json.loads(text)
        if not isinstance(data, list):
            raise ValueError("expected a JSON array of products")
        return data
    return [_line(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _line(number: int, line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return ProductRecordError(f"line {number}: invalid JSON ({exc.msg})")


def _import_one(record: Any) -> bool:
    if isinstance(record, Exception):  # a line that was not JSON
        raise ProductRecordError(str(record))
    data = validate_product(record)
    with db.session.begin_nested():
        return upsert_product(data)
