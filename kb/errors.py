"""The one error every room raises: an HTTP status, a code for programs and a message for people.

``kb.web`` answers it once, as ``{"error": {"code", "message"}}`` for the API and embed calls and
as the error page for pages; views let it through instead of catching and re-raising it.
"""

from __future__ import annotations

from typing import Any


class KbError(Exception):
    """A request the help centre refuses, with its status, code, message and any extra fields."""

    def __init__(self, status: int, code: str, message: Any, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        # Kept as given: a lazy translation is read in the language of the request answering it.
        self._message = message
        self.extra = extra

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        """What went wrong, in the reader's language."""
        return str(self._message)
