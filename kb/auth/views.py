"""Signing staff in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from kb.auth.service import authenticate, sign_out_everywhere
from kb.database import write_transaction
from kb.extensions import limiter

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never another host, scheme or protocol-relative URL."""
    if not target or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None  # a line break would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


def _login_limit() -> str:
    return str(current_app.config["RATELIMIT_LOGIN"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    """The staff sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.staff_home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            flash(_("That e-mail and password do not match an active account."), "error")
        else:
            session.clear()  # a fresh session id on sign-in (no fixation)
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")) or url_for("auth.staff_home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out: every session and remember-me cookie of the account stops working.

    Sessions live in signed cookies, so a copy of this browser's cookies (or its year-long
    remember-me cookie) would still open the desk unless the server refuses them: changing
    the account's session version does that, for every browser of the account at once.
    """
    if current_user.is_authenticated:
        with write_transaction():
            sign_out_everywhere(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.get("/staff")
@login_required
def staff_home() -> ResponseReturnValue:
    """Where each role starts: the tools this account may use."""
    return render_template("auth/staff.html")
