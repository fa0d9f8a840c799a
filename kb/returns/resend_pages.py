""""Resend my link" as pages: the form, and the same confirmation whatever matched.

The returns hub shows this form in a page cached for every visitor, so it holds no CSRF token:
with JavaScript, kb.js fetches the visitor's token when the form is sent; without, the post
arrives with no token, Flask-WTF refuses it, and this blueprint answers the refusal with the
form again, filled in and now holding the visitor's own token, to be sent once more.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from kb.returns import wizard_service as wiz
from kb.returns.resend import CONFIRMATION, resend_links
from kb.returns.wizard import _translated_error, lookup_rate

bp = Blueprint("resend", __name__)


def _typed() -> tuple[str, dict[str, str]]:
    """The lookup mode and the fields as the shopper typed them (bounded)."""
    mode = "transaction" if request.values.get("mode") == "transaction" else "number"
    form = {name: request.values.get(name, "")[:254] for name in ("order_number", "transaction_id", "email")}
    return mode, form


@bp.route("/<lang:lang>/returns/resend", methods=["GET", "POST"])
@lookup_rate
def form(lang: str) -> ResponseReturnValue:
    """Ask for a return's private links again: by order number (or transaction ID) and e-mail."""
    mode, typed = _typed()
    if request.method == "GET":
        return render_template("returns/resend.html", form=typed, mode=mode, error=None)
    try:
        resend_links(
            email=typed["email"],
            order_number=typed["order_number"] if mode == "number" else None,
            transaction_id=typed["transaction_id"] if mode == "transaction" else None,
            lang=lang,
        )
    except wiz.WizardError as exc:
        # Only what is wrong with the input itself: a wrong number or e-mail is not told apart.
        error = _translated_error(exc)
        return render_template("returns/resend.html", form=typed, mode=mode, error=error), 400
    return redirect(url_for("resend.sent", lang=lang))


@bp.errorhandler(CSRFError)
def send_again(error: CSRFError) -> ResponseReturnValue:
    """A post refused for its CSRF token (none, as from the cached hub without JavaScript, or not
    this visitor's): nothing is sent; the form comes back filled in, with the visitor's token."""
    mode, typed = _typed()
    return render_template("returns/resend.html", form=typed, mode=mode, error=None, send_again=True), 400


@bp.get("/<lang:lang>/returns/resend/sent")
def sent(lang: str) -> str:
    """The neutral answer after a request: the same whether an order matched or not."""
    return render_template("returns/resend_sent.html", confirmation=CONFIRMATION)
