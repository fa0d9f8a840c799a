"""Shoppers' photos: checked by their content, re-encoded so that nothing hidden survives."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from kb.errors import KbError
from kb.extensions import db
from kb.tickets.models import Attachment

MAX_PHOTOS = 3
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they fill memory
ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


class PhotoError(KbError, ValueError):
    """A file that is not an acceptable photo, with a code and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(413 if code == "photo_too_large" else 400, code, message)


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded image ready to store."""

    data: bytes
    mime: str
    extension: str


def clean_photo(raw: bytes) -> CleanPhoto:
    """Decode the bytes as JPEG, PNG or WebP (whatever the file's name says) and re-encode them."""
    if len(raw) > MAX_BYTES:
        raise PhotoError("photo_too_large", "Each photo may be at most 5 MB.")
    if not raw:
        raise PhotoError("invalid_photo", "The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                kind = probe.format
                if kind not in ALLOWED:
                    raise PhotoError("invalid_photo", "Photos must be JPEG, PNG or WebP images.")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoError("invalid_photo", "This image is too large in pixels.")
                probe.verify()
            # verify() leaves the image unusable: decode again to re-encode the pixels alone.
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                pixels = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") and kind != "JPEG" else "RGB")
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise PhotoError("invalid_photo", "Photos must be JPEG, PNG or WebP images.") from exc
    mime, extension = ALLOWED[kind]
    # Pillow carries the source's info (JPEG comment, ICC profile, XMP) into convert() and
    # save(): drop it, or a comment would survive the "re-encoding".
    pixels.info = {}
    out = io.BytesIO()
    # A fresh encode keeps pixels only: no EXIF (location), no comments, no trailing payload.
    if kind == "JPEG":
        pixels.save(out, "JPEG", quality=88, optimize=True)
    elif kind == "PNG":
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "WEBP", quality=88)
    return CleanPhoto(out.getvalue(), mime, extension)


def uploads_dir() -> Path:
    """Where photos are kept: outside the web root, never served as static files."""
    path = Path(current_app.config["UPLOADS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_uploads(raws: list[bytes]) -> list[CleanPhoto]:
    """Decode and re-encode every upload before any write: a bad file or one too many stores nothing.

    Decoding is slow (a 40-megapixel photo takes a fraction of a second), so callers do it
    before they take the database's write lock.
    """
    if len(raws) > MAX_PHOTOS:
        raise PhotoError("too_many_photos", "You can attach at most 3 photos.")
    return [clean_photo(raw) for raw in raws]


def store_photos(session_id: int, photos: list[CleanPhoto]) -> list[Attachment]:
    """Store cleaned photos for a wizard session, within its limit of three; the caller commits.

    The count is checked before any file is written, and a file written in a transaction that
    does not commit is removed again (see _forget_written_files).
    """
    from sqlalchemy import func, select

    count = db.session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.session_id == session_id)
    ) or 0
    if count + len(photos) > MAX_PHOTOS:
        raise PhotoError("too_many_photos", "You can attach at most 3 photos.")
    written: list[Path] = db.session.info.setdefault(WRITTEN_KEY, [])
    attachments = []
    for photo in photos:
        name = f"{secrets.token_hex(16)}.{photo.extension}"
        path = uploads_dir() / name
        written.append(path)
        path.write_bytes(photo.data)
        attachment = Attachment(session_id=session_id, filename=name, mime=photo.mime, size=len(photo.data))
        db.session.add(attachment)
        attachments.append(attachment)
    db.session.flush()
    return attachments


# Files written in the session's current transaction: kept on commit, deleted on rollback.
WRITTEN_KEY = "kb_written_photos"


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(WRITTEN_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_written_files(session: Session, previous_transaction: object) -> None:
    for path in session.info.pop(WRITTEN_KEY, []):
        path.unlink(missing_ok=True)


def attach_session_photos(session_id: int, ticket_id: int) -> None:
    """Give a new ticket the photos the shopper uploaded during the wizard."""
    from sqlalchemy import update

    db.session.execute(
        update(Attachment).where(Attachment.session_id == session_id, Attachment.ticket_id.is_(None))
        .values(ticket_id=ticket_id)
    )


def photo_path(attachment: Attachment) -> Path:
    """The stored file of an attachment (its name is ours, never the shopper's)."""
    return uploads_dir() / Path(attachment.filename).name
