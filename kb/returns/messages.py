"""What the shopper reads when a step is refused: one translated catalogue for the pages, the embed and the API.

Written once here (lazily translated, in the language of whoever reads them) so that the
full-page assistant and the single-page embed cannot drift apart.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PICK_ONE = _l("Choose at least one item.")
PICK_CONDITION = _l("Tell us the condition of %(name)s.")  # formatted with name=
VARIANT_MISSING = _l("Tell us which size or colour you would like instead.")
UNAVAILABLE = _l("The service is briefly unavailable. Please try again in a moment: nothing you entered is lost.")

# The API's error codes in the shopper's words; a code not here shows the error's own message.
SHOPPER_ERRORS = {
    "order_not_found": _l("We could not find an order with these details. Please check the "
                          "order number (or transaction ID) and the e-mail address, and try again."),
    "order_cancelled": _l("This order was cancelled, so it cannot be returned. If you have a "
                          "question about it, please contact us."),
    "invalid_email": _l("Please enter the e-mail address used for the order."),
    "missing_order": _l("Please enter the order number or the payment transaction ID."),
    "invalid_order": _l("That order number or transaction ID is too long."),
    "unknown_exchange_variant": _l("Please choose one of the sizes or colours offered."),
    "session_not_found": _l("Your returns session has expired. Please find your order again."),
    "already_returned": _l("One of these items is already in a return."),
    "not_eligible": _l("Some items cannot be returned under our policy. Tick \"ask for an exception\" "
                       "to send your request to an agent."),
    "self_help_first": _l("Please look at the suggested answers first."),
    "invalid_store": _l("Please choose one of our stores."),
    "invalid_resolution": _l("Please choose what you would like."),
    "invalid_method": _l("Please choose how you will send the item back."),
    "invalid_note": _l("The note may have at most 2,000 characters."),
    "invalid_items": PICK_ONE,
    "invalid_idempotency_key": _l("This form has expired. Please reload the page and try again."),
    "photo_too_large": _l("Each photo may be at most 5 MB."),
    "too_many_photos": _l("You can attach at most 3 photos."),
    "invalid_photo": _l("Photos must be JPEG, PNG or WebP images."),
    "too_large": _l("The request is too large."),
    "too_many_requests": _l("Too many requests. Please wait a minute and try again."),
    "unavailable": UNAVAILABLE,
}
