"""Staff sign-in, roles and API tokens."""

from __future__ import annotations

from flask import Flask

from kb.extensions import login_manager


def init_app(app: Flask) -> None:
    """Register the sign-in pages, the user loader and ``kb users`` / ``kb tokens``."""
    from kb.auth import views
    from kb.auth.cli import tokens_cli, users_cli
    from kb.auth.service import load_user

    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.register_blueprint(views.bp)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
