"""Operations: privacy erasure, search log retention, backups, and database outages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register ``kb privacy``, ``kb backup``, ``kb restore``, the 503 handler and the pruner."""
    from kb.ops import errors, retention
    from kb.ops.cli import backup_command, privacy_cli, restore_command

    app.cli.add_command(privacy_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    errors.init_app(app)
    retention.init_app(app)
