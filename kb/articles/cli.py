"""``kb articles import`` and ``kb articles export``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from kb.articles.files import find_article_files
from kb.articles.service import ImportReport, export_articles, import_articles
from kb.database import writes_up_front
from kb.extensions import db

articles_cli = AppGroup("articles", help="Import and export the Markdown articles.")


def run_import(root: Path, show_progress: bool = True) -> ImportReport:
    """Import a folder in one transaction, with a progress bar on the terminal."""
    writes_up_front()
    files = find_article_files(root)
    with click.progressbar(
        length=len(files), label="Importing articles", file=None if show_progress else _Null()
    ) as bar:
        report = import_articles(root, progress=lambda _path: bar.update(1))
    db.session.commit()
    return report


class _Null:
    def write(self, _text: str) -> None:
        """Discard progress output."""

    def flush(self) -> None:
        """Nothing to flush."""

    def isatty(self) -> bool:
        """Never a terminal."""
        return False


@articles_cli.command("import")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def import_command(directory: Path | None) -> None:
    """Upsert the Markdown files of DIRECTORY (default: the articles folder)."""
    root = directory or Path(current_app.config["ARTICLES_DIR"])
    if not root.is_dir():
        raise click.ClickException(f"{root} is not a folder")
    report = run_import(root)
    click.echo(
        f"created {len(report.created)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, conflicts {len(report.conflicts)}, "
        f"errors {len(report.errors)}"
    )
    for name in report.conflicts:
        click.echo(
            f"conflict: {name} changed both in the studio and in the file since the last "
            "sync; export it, merge by hand, and import again",
            err=True,
        )
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors or report.conflicts:
        raise SystemExit(1)


@articles_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_command(directory: Path) -> None:
    """Write every article of the database as Markdown files into DIRECTORY."""
    writes_up_front()
    written = export_articles(directory)
    db.session.commit()
    click.echo(f"exported {len(written)} articles to {directory}")
