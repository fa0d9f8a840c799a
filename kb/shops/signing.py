"""The one check both platforms use: a base64 HMAC-SHA256 of the raw body, keyed with a shared secret."""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(secret: str, body: bytes) -> str:
    """The base64 HMAC-SHA256 of ``body``, as Shopify and WooCommerce send it."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` signs exactly these bytes (compared in constant time)."""
    if not header or len(header) > 200:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())
