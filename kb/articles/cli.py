"""``kb articles import`` and ``kb articles export``."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import AppGroup

from kb.articles.example_checks import Failure, check_text
from kb.articles.files import ArticleFileError, find_article_files, parse_article
from kb.articles.service import ImportReport, export_articles, import_articles
from kb.database import writes_up_front
from kb.extensions import db
from kb.policy import Policy
from kb.shop import current_policy

articles_cli = AppGroup("articles", help="Import, export and check the Markdown articles.")


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


class _Null(io.StringIO):
    """A text stream that keeps nothing (and, like every StringIO, is no terminal)."""

    def write(self, text: str) -> int:
        """Discard progress output."""
        return len(text)


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


@articles_cli.command("check")
@click.option(
    "--path",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The articles folder (default: the ARTICLES_DIR setting).",
)
def check_command(root: Path | None) -> None:
    """Run every policy example of every article against the policy engine."""
    root = root or Path(current_app.config["ARTICLES_DIR"])
    if not root.is_dir():
        raise click.ClickException(f"{root} is not a folder")
    policy = current_policy()
    files = find_article_files(root)
    failures: list[str] = []
    examples = 0
    with click.progressbar(files, label="Checking policy examples", file=_progress_file()) as bar:
        for path in bar:
            name = str(path.relative_to(root))
            count, found = _check_file(path, name, policy)
            examples += count
            failures.extend(failure.describe(name) for failure in found)
    for line in failures:
        click.echo(line)
    click.echo(f"{examples} examples in {len(files)} articles: {len(failures)} failed")
    if failures:
        raise SystemExit(1)


def _check_file(path: Path, name: str, policy: Policy) -> tuple[int, tuple[Failure, ...]]:
    """The examples of one file and their failures; a file that does not parse is one failure."""
    try:
        text = path.read_text(encoding="utf-8")
        parse_article(text, name)
    except UnicodeDecodeError:
        return 0, (Failure(1, "article file", "UTF-8 text", "undecodable bytes"),)
    except ArticleFileError as exc:
        message = str(exc).removeprefix(f"{name}:{exc.line}: " if exc.line else f"{name}: ")
        return 0, (Failure(exc.line or 1, "article file", "a valid article", message),)
    result = check_text(text, policy)
    return result.examples, result.failures


def _progress_file() -> TextIO:
    """Progress to the terminal's error stream, so that the report itself stays clean."""
    return sys.stderr
