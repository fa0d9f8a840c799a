"""The return label: the reference as a Code 128 barcode and QR codes, the address, the return-by date.

Barcodes are drawn here as inline SVG (no external service, no image file), so the label prints
sharp at any size and the page's Content-Security-Policy needs no exception: colours are SVG
attributes, never ``style`` attributes, which the policy would block.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import barcode
import qrcode
import qrcode.image.svg
from barcode.writer import SVGWriter
from markupsafe import Markup

from kb.policy import Policy, local_date
from kb.tickets.models import Ticket

# One bar module is 0.529 mm, two CSS pixels: bars land on whole pixels on a screen (a phone shown at
# a counter) and print crisp. The CSS prints the QR codes at least 3 cm wide.
BARCODE_OPTIONS = {"module_width": 0.529, "module_height": 16.0, "quiet_zone": 6.0, "write_text": False}


def _inline(svg: str) -> Markup:
    """The <svg> element alone, with its colours as attributes (CSP allows no style attributes)."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'style="fill:\s*white;?"', 'fill="#fff"', svg)
    svg = re.sub(r'style="fill:\s*black;?"', 'fill="#000"', svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    # Safe: drawn only from our own reference and policy text, which the writers escape.
    return Markup(svg)  # nosec B704


def code128_svg(text: str) -> Markup:
    """``text`` as a Code 128 barcode, in millimetres (it prints at its true size)."""
    image = barcode.get("code128", text, writer=SVGWriter())
    buffer = io.BytesIO()
    image.write(buffer, options=BARCODE_OPTIONS)
    return _inline(buffer.getvalue().decode("utf-8"))


def qr_svg(text: str) -> Markup:
    """``text`` as an inline SVG QR code that scales with its box."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return _inline(buffer.getvalue().decode("utf-8"))


def return_by(ticket: Ticket, policy: Policy) -> date | None:
    """The last day to hand the parcel over: ``ship_back_within_days`` after the approval."""
    approvals = [e.created_at for e in ticket.events if e.kind == "approved"]
    if ticket.status == "approved" and not approvals:
        approvals = [ticket.created_at]  # approved at once, when it was opened
    if not approvals:
        return None
    return local_date(policy, max(approvals)) + timedelta(days=policy.ship_back_within_days)


def dropoff_code(ticket: Ticket, policy: Policy) -> str:
    """What the drop-off QR code holds: enough for a counter to print the label itself."""
    to = policy.return_address
    return "\n".join((f"RETURN {ticket.reference}", policy.carrier, to.name, to.address, to.city, to.country))
