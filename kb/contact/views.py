"""The contact form's pages: the question first, then matching articles, then the ticket."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kb.contact import service
from kb.contact.hours import support_hours
from kb.database import write_transaction
from kb.extensions import db, limiter
from kb.returns.wizard import lookup_limit
from kb.shop import current_policy
from kb.tickets.models import Ticket

bp = Blueprint("contact", __name__)
SESSION_KEY = "contact_token"
SENT_KEY = "contact_sent"

# Questions cost an agent's time and may name an order: limited like the order lookups.
contact_rate = limiter.shared_limit(lookup_limit, scope="contact-form", methods=["POST"])


@bp.route("/<lang:lang>/contact", methods=["GET", "POST"])
@contact_rate
def ask(lang: str) -> ResponseReturnValue:
    """Step 1: the question, the e-mail to answer, and an order number if there is one."""
    form = {name: request.values.get(name, "")[:6000] for name in
            ("subject", "message", "email", "order_number")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        question, codes = service.read_question(form)
        if not codes:
            with write_transaction():
                _request, token = service.start_request(question, lang, g.visit_id)
            session[SESSION_KEY] = token
            return redirect(url_for("contact.answers", lang=lang))
        errors = {name: _error_text(code) for name, code in codes.items()}
    return render_template("contact/ask.html", form=form, errors=errors,
                           limits={"subject": service.MAX_SUBJECT, "message": service.MAX_MESSAGE,
                                   "order_number": service.MAX_ORDER_NUMBER},
                           hours=support_hours(lang)), 400 if errors else 200


@bp.get("/<lang:lang>/contact/answers")
def answers(lang: str) -> ResponseReturnValue:
    """Step 2: the articles that match the question, before it goes to an agent."""
    try:
        found = service.load_request(session.get(SESSION_KEY))
    except service.ContactError:
        return _expired(lang)
    return render_template("contact/answers.html", question=found,
                           articles=service.offered_articles(found))


@bp.get("/<lang:lang>/contact/read/<key>")
def read(lang: str, key: str) -> ResponseReturnValue:
    """Open an offered article, remembering that the shopper read it."""
    from kb.articles.public import article_by_key

    article = article_by_key(key[:80], lang)
    if article is None:
        abort(404)
    try:
        with write_transaction():
            service.mark_opened(service.load_request(session.get(SESSION_KEY)), article.key)
    except service.ContactError:
        pass  # an expired question still opens the article
    return redirect(url_for("articles.article", lang=lang, slug=article.slug))


@bp.post("/<lang:lang>/contact/solved")
def solved(lang: str) -> ResponseReturnValue:
    """"Yes, that solved it": counted as self-help, and no ticket."""
    key = request.form.get("article_key") or None
    try:
        with write_transaction():
            service.deflect(service.load_request(session.get(SESSION_KEY)), key[:80] if key else None)
    except service.ContactError as exc:
        if exc.code == "request_not_found":
            return _expired(lang)
        flash(_error_text(exc.code), "error")
        return redirect(url_for("contact.answers", lang=lang))
    session.pop(SESSION_KEY, None)
    return render_template("contact/solved.html")


@bp.post("/<lang:lang>/contact/send")
@contact_rate
def send(lang: str) -> ResponseReturnValue:
    """Step 3: "No, send my question": the ticket, and the e-mail with its private link."""
    try:
        with write_transaction():
            ticket, _token = service.send_question(service.load_request(session.get(SESSION_KEY)))
            reference = ticket.reference
    except service.ContactError:
        return _expired(lang)
    session.pop(SESSION_KEY, None)
    session[SENT_KEY] = reference
    return redirect(url_for("contact.sent", lang=lang))


@bp.get("/<lang:lang>/contact/sent")
def sent(lang: str) -> ResponseReturnValue:
    """The confirmation: the reference, when an agent answers, and the support hours."""
    reference = session.get(SENT_KEY)
    ticket = db.session.scalar(db.select(Ticket).where(Ticket.reference == reference)) if reference else None
    if ticket is None:
        return redirect(url_for("contact.ask", lang=lang))
    return render_template("contact/sent.html", ticket=ticket,
                           response_hours=current_policy().response_hours, hours=support_hours(lang))


def _expired(lang: str) -> ResponseReturnValue:
    flash(_("Your question has expired. Please ask it again."), "warning")
    return redirect(url_for("contact.ask", lang=lang))


def _error_text(code: str) -> str:
    """The shopper-facing message for a contact form error, in the page's language."""
    messages = {
        "missing_message": _("Please write your question."),
        "message_too_long": _("Your question may have at most %(count)s characters.",
                              count=service.MAX_MESSAGE),
        "invalid_email": _("Please enter your e-mail address, such as name@example.com, so that we can answer."),
        "subject_too_long": _("The subject may have at most %(count)s characters.", count=service.MAX_SUBJECT),
        "order_number_too_long": _("That order number is too long."),
        "unknown_article": _("That article was not offered for this question."),
    }
    return str(messages.get(code, _("Something in the form was not right.")))
