"""Photos are checked by content, re-encoded without metadata, capped, and go to the ticket."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from kb.extensions import db
from kb.orders.models import Order
from kb.returns.models import WizardSession
from kb.tickets.models import Attachment, Ticket
from kb.tickets.photos import PhotoError, clean_photo, clean_uploads, store_photos
from tests.conftest import make_app
from tests.returns.helpers import create, item, lookup, options


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010E] = "secret location note"  # ImageDescription
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue() + b"<script>alert(1)</script>"


def test_reencoding_drops_metadata_and_trailing_payload() -> None:
    raw = jpeg_with_exif()
    assert b"secret location note" in raw
    clean = clean_photo(raw)
    assert clean.mime == "image/jpeg"
    assert b"secret location note" not in clean.data and b"<script>" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.size == (40, 30) and not image.getexif()


@pytest.mark.parametrize("raw", [b"GIF89a" + b"\0" * 40, b"<svg onload=alert(1)>", b"%PDF-1.4", b""])
def test_non_images_are_refused_whatever_their_name(raw: bytes) -> None:
    with pytest.raises(PhotoError):
        clean_photo(raw)


def test_photos_go_to_the_ticket_and_at_most_three(content_app: Flask, demo: dict[str, Any], tmp_path: Path) -> None:
    shop: FlaskClient = content_app.test_client()
    session = lookup(shop, "A1005")
    options(shop, session, [item("HEADPH-NC700", reason="defective")])
    for n in range(3):
        response = shop.post("/api/v1/returns/photos",
                             data={"session": session, "photo": (io.BytesIO(jpeg_with_exif()), f"p{n}.jpg")})
        assert response.status_code == 201, response.get_json()
    fourth = shop.post("/api/v1/returns/photos",
                       data={"session": session, "photo": (io.BytesIO(jpeg_with_exif()), "p4.jpg")})
    assert fourth.status_code == 400 and fourth.get_json()["error"]["code"] == "too_many_photos"
    fake = shop.post("/api/v1/returns/photos",
                     data={"session": session, "photo": (io.BytesIO(b"<html>"), "photo.jpg")})
    assert fake.get_json()["error"]["code"] == "invalid_photo"
    created = create(shop, session, [item("HEADPH-NC700", reason="defective")])
    assert created.status_code == 201
    ticket = db.session.scalar(select(Ticket))
    photos = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert len(photos) == 3
    stored = Path(content_app.config["UPLOADS_DIR"]) / photos[0].filename
    assert stored.exists() and b"secret location note" not in stored.read_bytes()


def test_bodies_over_one_megabyte_are_refused_outside_the_photo_step(client: FlaskClient) -> None:
    big = "x" * (1024 * 1024 + 10)
    response = client.post("/api/v1/returns/lookup", data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def faulty_session(shop: FlaskClient) -> str:
    """A wizard session on the demo headphones, reported defective: photos are wanted."""
    session = lookup(shop, "A1005")
    options(shop, session, [item("HEADPH-NC700", reason="defective")])
    return session


def _upload(shop: FlaskClient, session: str, *names: str, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    files = [(io.BytesIO(raw if raw is not None else jpeg_with_exif()), name) for name in names]
    return shop.post("/api/v1/returns/photos", data={"session": session, "photo": files})


def _stored_files(app: Flask) -> list[Path]:
    folder = Path(app.config["UPLOADS_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def test_refused_photos_leave_no_file_on_disk(content_app: Flask, demo: dict[str, Any]) -> None:
    shop: FlaskClient = content_app.test_client()
    session = faulty_session(shop)
    assert _upload(shop, session, "a.jpg", "b.jpg").status_code == 201
    for _ in range(5):
        assert _upload(shop, session, "c.jpg", "d.jpg").status_code == 400
        assert _upload(shop, session, "e.jpg", "f.jpg", "g.jpg", "h.jpg").status_code == 400
    assert len(_stored_files(content_app)) == 2


def test_a_bad_file_among_good_ones_stores_nothing(content_app: Flask, demo: dict[str, Any]) -> None:
    shop: FlaskClient = content_app.test_client()
    session = faulty_session(shop)
    files = [(io.BytesIO(jpeg_with_exif()), "good.jpg"), (io.BytesIO(b"<html>"), "bad.jpg")]
    response = shop.post("/api/v1/returns/photos", data={"session": session, "photo": files})
    assert response.status_code == 400
    assert _stored_files(content_app) == []
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_photo_written_in_a_transaction_that_rolls_back_is_removed(
    content_app: Flask, demo: dict[str, Any]
) -> None:
    shop: FlaskClient = content_app.test_client()
    token = lookup(shop, "A1005")
    session_id = db.session.scalar(select(WizardSession.id).where(WizardSession.token_hash != ""))
    assert token
    store_photos(session_id, clean_uploads([jpeg_with_exif()]))
    assert len(_stored_files(content_app)) == 1
    db.session.rollback()
    assert _stored_files(content_app) == []
    store_photos(session_id, clean_uploads([jpeg_with_exif()]))
    db.session.commit()
    assert len(_stored_files(content_app)) == 1


def test_photo_uploads_are_rate_limited(tmp_path: Path) -> None:
    limited = make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_PHOTOS="2 per hour",
                       RATELIMIT_STORAGE_URI="memory://")
    with limited.app_context():
        shop = limited.test_client()
        codes = [_upload(shop, "no-such-session", "a.jpg").status_code for _ in range(3)]
        assert codes[2] == 429 and 429 not in codes[:2]
        # Requests without files are not counted.
        assert shop.post("/api/v1/returns/photos", data={"session": "x"}).status_code == 400


def test_erasing_a_shopper_leaves_none_of_their_files(content_app: Flask, demo: dict[str, Any]) -> None:
    from kb.ops.privacy import erase_shopper

    shop: FlaskClient = content_app.test_client()
    session = faulty_session(shop)
    email = db.session.scalar(select(Order.email).where(Order.number == "A1005"))
    assert _upload(shop, session, "a.jpg", "b.jpg", "c.jpg").status_code == 201
    assert _upload(shop, session, "d.jpg").status_code == 400
    erase_shopper(email)
    db.session.commit()
    assert _stored_files(content_app) == []


def _decoded_outside_transactions(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, for each photo decoded, whether a database transaction was open at the time."""
    from kb.tickets import photos

    seen: list[bool] = []
    original = photos.clean_photo

    def recording(raw: bytes) -> photos.CleanPhoto:
        seen.append(db.session().in_transaction())
        return original(raw)

    monkeypatch.setattr(photos, "clean_photo", recording)
    return seen


def test_api_photos_are_decoded_before_the_write_lock(content_app: Flask, demo: dict[str, Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    shop: FlaskClient = content_app.test_client()
    session = faulty_session(shop)
    db.session.commit()
    seen = _decoded_outside_transactions(monkeypatch)
    assert _upload(shop, session, "a.jpg", "b.jpg").status_code == 201
    assert seen == [False, False]


def test_wizard_photos_are_decoded_before_the_write_lock(content_app: Flask, demo: dict[str, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    shop: FlaskClient = content_app.test_client()
    found = shop.post("/en/returns/start", data={"mode": "number", "order_number": "A1005",
                                                 "email": "ana@example.com"})
    assert found.status_code == 302
    db.session.commit()
    seen = _decoded_outside_transactions(monkeypatch)
    sku = "HEADPH-NC700"
    chosen = shop.post("/en/returns/items", data={
        f"pick-{sku}": "1", f"qty-{sku}": "1", f"reason-{sku}": "defective", f"condition-{sku}": "unopened",
        "photos": [(io.BytesIO(jpeg_with_exif()), "a.jpg")]}, content_type="multipart/form-data")
    assert chosen.status_code == 302, chosen.get_data(as_text=True)[:500]
    assert seen == [False]
    assert len(_stored_files(content_app)) == 1


def test_a_jpeg_comment_does_not_survive_the_reencoding() -> None:
    image = Image.new("RGB", (20, 20), (10, 200, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", comment=b"secret comment payload")
    assert b"secret comment payload" in out.getvalue()
    clean = clean_photo(out.getvalue())
    assert b"secret comment payload" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as reopened:
        assert "comment" not in reopened.info


def test_photos_are_refused_for_a_change_of_mind(content_app: Flask, demo: dict[str, Any]) -> None:
    shop: FlaskClient = content_app.test_client()
    session = lookup(shop, "A1005")
    options(shop, session, [item("HEADPH-NC700", reason="changed_mind")])
    response = _upload(shop, session, "a.jpg")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "photos_not_needed"
    assert _stored_files(content_app) == []


def test_erasing_a_shopper_also_removes_stray_upload_files(content_app: Flask, demo: dict[str, Any]) -> None:
    import os
    import time as time_module

    from kb.ops.privacy import erase_shopper

    folder = Path(content_app.config["UPLOADS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stray, fresh = folder / "0123abcd.jpg", folder / "4567cdef.jpg"
    stray.write_bytes(b"left by a refused upload long ago")
    fresh.write_bytes(b"an upload still being committed")
    old = time_module.time() - 2 * 3600
    os.utime(stray, (old, old))
    report = erase_shopper("ana@example.com")
    db.session.commit()
    assert not stray.exists() and fresh.exists()
    assert report.orphan_files == 1 and "stray upload files deleted: 1" in "\n".join(report.lines())
