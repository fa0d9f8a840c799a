"""Without a mail server in production, e-mails go to the log without the shopper's address."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from kb.database import write_transaction
from kb.mail.service import masked_address, queue_email, send_pending


def test_the_log_line_names_the_subject_but_not_the_address(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["SMTP_URL"] = ""
    with write_transaction():
        queue_email("ana.lopez@example.com", "Your return R-1 is approved", "Secret link inside")
    with caplog.at_level(logging.INFO, logger="kb.mail.service"):
        send_pending()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "Your return R-1 is approved" in logged
    assert "a***@example.com" in logged
    assert "ana.lopez" not in logged and "Secret link" not in logged


@pytest.mark.parametrize(("address", "shown"), [
    ("ana@example.com", "a***@example.com"),
    ("not an address", "***"),
    ("", "***"),
])
def test_masked_address_keeps_only_the_first_letter_and_domain(address: str, shown: str) -> None:
    assert masked_address(address) == shown
