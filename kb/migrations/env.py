"""Alembic environment: runs migrations against the Flask app's database."""

from __future__ import annotations

from alembic import context
from flask import has_app_context

from kb.extensions import db


def _run() -> None:
    import kb.models  # noqa: F401  (registers every table on the metadata)

    if has_app_context():
        connectable = db.engine
    else:  # `alembic` run by hand: build the app for its configuration
        from kb import create_app

        app = create_app()
        with app.app_context():
            return _run()
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction():
            connection.commit()


_run()
