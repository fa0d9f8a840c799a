"""The ``kb`` command: Flask's own commands plus ``init`` and ``db``; rooms add theirs."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import func, select

from kb import create_app, database

db_cli = AppGroup("db", help="Database schema migrations.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    database.upgrade(revision)
    click.echo(f"database at {database.current_revision()}")


@db_cli.command("current")
def current_command() -> None:
    """Print the database's migration revision."""
    click.echo(database.current_revision() or "empty")


@click.command("init")
@click.option("--demo/--no-demo", default=None, help="Load demo data (default: the DEMO setting).")
@with_appcontext
def init_command(demo: bool | None) -> None:
    """Migrate, import the articles into a new database, load demo data, build the index."""
    from kb.articles.cli import run_import
    from kb.articles.models import Article
    from kb.extensions import db
    from kb.search import index_status, rebuild_index, sync_index

    database.upgrade()
    database.writes_up_front()
    if not db.session.scalar(select(func.count()).select_from(Article)):
        root = Path(current_app.config["ARTICLES_DIR"])
        report = run_import(root)
        click.echo(f"imported {len(report.created)} articles from {root}")
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
    use_demo = bool(current_app.config["DEMO"]) if demo is None else demo
    if use_demo:
        _load_demo()
    if index_status() != "ok":
        with click.progressbar(length=db.session.scalar(select(func.count()).select_from(Article)) or 0,
                               label="Building the search index") as bar:
            rebuild_index(progress=lambda n: bar.update(n))
    else:
        sync_index(force=True)
    db.session.commit()
    click.echo("ready")


def _load_demo() -> None:
    """Demo orders and accounts, only into a database that has no orders yet."""
    from kb.auth.models import User
    from kb.auth.service import create_user
    from kb.extensions import db
    from kb.orders.models import Order
    from kb.orders.records import import_orders
    from kb.returns.demo import DEMO_USERS, demo_orders

    if db.session.scalar(select(func.count()).select_from(Order)):
        return
    report = import_orders(demo_orders())
    click.echo(f"loaded {report.created} demo orders")
    lines = []
    for email, role, name in DEMO_USERS:
        if db.session.scalar(select(User).where(User.email == email)) is None:
            password = secrets.token_urlsafe(12)
            create_user(email, password, role, name)
            lines.append(f"  {role:<7} {email:<22} {password}")
    db.session.commit()
    if lines:
        click.echo("Demo accounts (shown once; sign in at /login):")
        for line in lines:
            click.echo(line)


def _app_factory() -> Flask:
    return create_app()


def init_app(app: Flask) -> None:
    """Add the project-wide commands to ``app.cli``."""
    from kb.serve import serve_command

    app.cli.add_command(db_cli)
    app.cli.add_command(init_command)
    app.cli.add_command(serve_command)


@click.group(cls=FlaskGroup, create_app=_app_factory, help="The returns help centre.")
def main() -> None:
    """Entry point of the ``kb`` console script."""
