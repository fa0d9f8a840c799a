""""Resend my link" without JavaScript: the form, and the same confirmation whatever matched."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kb.returns import wizard_service as wiz
from kb.returns.resend import CONFIRMATION, resend_links
from kb.returns.wizard import _translated_error, bp, lookup_rate


@bp.route("/<lang:lang>/returns/resend", methods=["GET", "POST"])
@lookup_rate
def resend(lang: str) -> ResponseReturnValue:
    """Ask for a return's private links again: by order number (or transaction ID) and e-mail."""
    mode = "transaction" if request.values.get("mode") == "transaction" else "number"
    form = {name: request.values.get(name, "")[:254] for name in ("order_number", "transaction_id", "email")}
    if request.method == "GET":
        return render_template("returns/resend.html", form=form, mode=mode, error=None)
    try:
        resend_links(
            email=form["email"],
            order_number=form["order_number"] if mode == "number" else None,
            transaction_id=form["transaction_id"] if mode == "transaction" else None,
            lang=lang,
        )
    except wiz.WizardError as exc:
        # Only what is wrong with the input itself: a wrong number or e-mail is not told apart.
        error = _translated_error(exc)
        return render_template("returns/resend.html", form=form, mode=mode, error=error), 400
    return redirect(url_for("wizard.resend_sent", lang=lang))


@bp.get("/<lang:lang>/returns/resend/sent")
def resend_sent(lang: str) -> str:
    """The neutral answer after a request: the same whether an order matched or not."""
    return render_template("returns/resend_sent.html", confirmation=CONFIRMATION)
