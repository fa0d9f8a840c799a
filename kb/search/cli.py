"""``kb reindex``: rebuild the search index from the database."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from kb.articles.models import Article, ArticleStatus
from kb.extensions import db
from kb.search.service import rebuild_index


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search index from the published articles, with a progress bar."""
    total = db.session.scalar(
        select(func.count()).select_from(Article).where(Article.status == ArticleStatus.PUBLISHED)
    )
    with click.progressbar(length=total or 0, label="Indexing articles") as bar:
        count = rebuild_index(progress=lambda n: bar.update(n))
    db.session.commit()
    click.echo(f"indexed {count} articles")
