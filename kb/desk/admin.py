"""The administrators' desk pages: webhooks, staff accounts, API tokens and unmapped products."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, flash, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kb.auth.access import role_required
from kb.auth.models import ApiToken, Role, User
from kb.auth.service import MIN_PASSWORD
from kb.database import write_transaction
from kb.desk import admin_service as admin
from kb.desk.service import Page, parse_page
from kb.desk.views import bp
from kb.extensions import db
from kb.mail.models import Webhook
from kb.orders.unmapped import PLACEHOLDER, unmapped_values
from kb.policy.mapping import DEFAULT_CATEGORY
from kb.shop import current_policy

M = TypeVar("M")


def _once(template: str, status: int = 200, **context: Any) -> Response:
    """A page that may show a secret once: never cached, never kept by the browser."""
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _form(*names: str) -> dict[str, str]:
    """The named fields of the posted form, as typed (to show them again after an error)."""
    return {name: request.form.get(name, "") for name in names}


def _act_on(model: type[M], row_id: int, action: Callable[[M], object], done: str,
            page: str) -> ResponseReturnValue:
    """Apply one admin action to a row (404 if there is none), then back to ``page`` saying ``done``."""
    with write_transaction():
        action(db.get_or_404(model, row_id))
    flash(done, "success")
    return redirect(url_for(page))


# -- webhooks ---------------------------------------------------------------------------------

def _webhooks_page(status: int = 200, **context: Any) -> Response:
    context.setdefault("values", {})
    return _once("desk/webhooks.html", status, hooks=admin.list_webhooks(),
                 event_names=admin.WEBHOOK_EVENT_NAMES, **context)


@bp.route("/webhooks", methods=["GET", "POST"])
@role_required("admin")
def webhooks() -> ResponseReturnValue:
    """List the shop's webhooks and register a new one (its secret is shown once)."""
    if request.method == "GET":
        return _webhooks_page()
    values = _form("url", "events")
    try:
        with write_transaction():
            hook, secret = admin.register_webhook(values["url"], values["events"])
            created = {"id": hook.id, "url": hook.url, "events": hook.events, "secret": secret}
    except admin.AdminError as exc:
        return _webhooks_page(400, error=_webhook_error(exc.code), error_field=exc.code,
                              values=values)
    return _webhooks_page(201, created=created)


def _webhook_error(code: str) -> str:
    if code == "invalid_url":
        return _("Enter an http or https URL.")
    return _("Events must be * or a comma-separated list of: %(names)s.",
             names=", ".join(admin.WEBHOOK_EVENT_NAMES))


@bp.post("/webhooks/<int:hook_id>/deactivate")
@role_required("admin")
def deactivate_webhook(hook_id: int) -> ResponseReturnValue:
    """Stop calling a webhook."""
    return _act_on(Webhook, hook_id, admin.deactivate_webhook, _("Webhook deactivated."), "desk.webhooks")


# -- staff accounts ---------------------------------------------------------------------------

def _users_page(status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("values", {})
    return render_template("desk/users.html", users=admin.list_users(), roles=list(Role),
                           min_password=MIN_PASSWORD, me=g.actor.user, **context), status


@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> ResponseReturnValue:
    """List staff accounts and create one."""
    if request.method == "GET":
        return _users_page()
    values = _form("email", "name", "role")
    try:
        with write_transaction():
            user = admin.add_user(values["email"], values["name"], values["role"],
                                  request.form.get("password", ""))
            email = user.email
    except admin.AdminError as exc:
        return _users_page(400, error=_("The account was not created: %(why)s.", why=exc.message),
                           values=values)
    flash(_("Account %(email)s created.", email=email), "success")
    return redirect(url_for("desk.users"))


@bp.post("/admin/users/<int:user_id>/active")
@role_required("admin")
def user_active(user_id: int) -> ResponseReturnValue:
    """Deactivate or reactivate an account (``active`` = 0 or 1)."""
    active = request.form.get("active") == "1"
    try:
        with write_transaction():
            admin.set_user_active(db.get_or_404(User, user_id), active, g.actor.user)
    except admin.AdminError:
        return _users_page(400, error=_("You cannot deactivate your own account."))
    flash(_("Account reactivated.") if active else _("Account deactivated."), "success")
    return redirect(url_for("desk.users"))


@bp.post("/admin/users/<int:user_id>/sign-out")
@role_required("admin")
def user_sign_out(user_id: int) -> ResponseReturnValue:
    """Sign a staff member out of every browser."""
    return _act_on(User, user_id, admin.sign_user_out_everywhere, _("Signed out everywhere."), "desk.users")


# -- API tokens -------------------------------------------------------------------------------

def _tokens_page(status: int = 200, **context: Any) -> Response:
    context.setdefault("values", {})
    return _once("desk/tokens.html", status, tokens=admin.list_tokens(), roles=list(Role),
                 **context)


@bp.route("/admin/tokens", methods=["GET", "POST"])
@role_required("admin")
def tokens() -> ResponseReturnValue:
    """List API tokens and create one (the token is shown once)."""
    if request.method == "GET":
        return _tokens_page()
    values = _form("name", "role")
    try:
        with write_transaction():
            token, plain = admin.add_token(values["name"], values["role"], g.actor.user)
            created = {"name": token.name, "role": token.role, "plain": plain}
    except admin.AdminError:
        return _tokens_page(400, error=_("Give the token a name and a role."), values=values)
    return _tokens_page(201, created=created)


@bp.post("/admin/tokens/<int:token_id>/revoke")
@role_required("admin")
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke an API token: it stops working at once."""
    return _act_on(ApiToken, token_id, admin.revoke, _("Token revoked."), "desk.tokens")


# -- products no mapping rule matches ---------------------------------------------------------

@bp.get("/admin/unmapped")
@role_required("admin")
def unmapped() -> ResponseReturnValue:
    """The shop's words on items that fell to the default category, to map in the policy file."""
    page, per_page = parse_page(request.args, strict=False)
    rows, total = unmapped_values(page, per_page)
    categories = sorted(current_policy().categories - {DEFAULT_CATEGORY})
    return render_template("desk/unmapped.html", listing=Page(rows, total, page, per_page),
                           default_category=DEFAULT_CATEGORY, categories=categories, placeholder=PLACEHOLDER,
                           page_url=lambda number: url_for("desk.unmapped", page=number))
