"""``kb users create``, ``kb users set-password`` and ``kb tokens create``."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from flask.cli import AppGroup

from kb.auth.models import User
from kb.auth.service import create_token, create_user, set_password
from kb.database import writes_up_front
from kb.extensions import db

users_cli = AppGroup("users", help="Manage staff accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens for a shop's systems.")
ROLES = click.Choice(["writer", "agent", "admin"])
# A shop token may only send orders; no person signs in with that role.
TOKEN_ROLES = click.Choice(["writer", "agent", "admin", "shop"])


def _password(from_stdin: bool, prompt: str) -> str:
    """The password from standard input (for scripts) or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


def _committed(change: Callable[[], User]) -> User:
    """Run an account change and commit it; a refused one (ValueError) is a clean CLI error."""
    writes_up_front()
    try:
        user = change()
        db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=ROLES, required=True, help="What the account may do.")
@click.option("--name", default="", help="The name shown in histories.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a staff account (the password is prompted for unless --password-stdin)."""
    password = _password(password_stdin, "Password")
    user = _committed(lambda: create_user(email, password, role, name))
    click.echo(f"created {user.role} {user.email}")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(email: str, password_stdin: bool) -> None:
    """Give a staff account a new password and sign it out everywhere."""
    password = _password(password_stdin, "New password")
    user = _committed(lambda: set_password(email, password))
    click.echo(f"new password set for {user.email}; their sessions are signed out")


@tokens_cli.command("create")
@click.option("--role", type=TOKEN_ROLES, required=True)
@click.option("--name", default="", help="Who uses it, shown in every history entry it causes.")
def create_token_command(role: str, name: str) -> None:
    """Create an API token; it is shown once and stored only as a hash."""
    writes_up_front()
    token, plain = create_token(name or f"{role} token", role)
    db.session.commit()
    click.echo(f"token {token.name} ({token.role}), shown once:")
    click.echo(plain)
