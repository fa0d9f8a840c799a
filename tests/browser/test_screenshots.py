"""``make screenshots`` in small: it renders the pages into named files and fails on a browser error."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.browser import screenshots
from tests.browser.assistant_paths import PATHS

# One path with a label: the walk, the slip and every other page still come out.
REFUND = [path for path in PATHS if path.name == "refund"]


def test_screenshots_of_every_kind_of_page_come_out_named_for_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], browser: Any
) -> None:
    monkeypatch.setattr(screenshots, "take_screenshots",
                        partial(screenshots.take_screenshots, paths=REFUND, browser=browser))
    assert screenshots.main(["--out", str(tmp_path), "--lang", "fr", "--width", "390"]) == 0
    taken = {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*.png")}
    for name in ("fr/390/js/01-home.png", "fr/390/js/12-refund-find.png", "fr/390/js/16-refund-done.png",
                 "fr/390/nojs/12-refund-find.png", "fr/390/nojs/16-refund-status.png",
                 "fr/390/nojs/17-refund-slip.png"):
        assert name in taken
    staff = {name.split("-", 1)[1] for name in taken if name.startswith("fr/390/js/")}
    assert {"studio.png", "studio-edit.png", "desk.png", "desk-ticket.png", "insights.png"} <= staff
    assert f"{len(taken)} screenshots" in capsys.readouterr().out


def test_a_console_error_fails_the_run_and_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], browser: Any
) -> None:
    broken = "window.addEventListener('DOMContentLoaded', () => console.error('broken on purpose'))"
    monkeypatch.setattr(screenshots, "take_screenshots",
                        partial(screenshots.take_screenshots, paths=[], init_script=broken, browser=browser))
    assert screenshots.main(["--out", str(tmp_path), "--lang", "en", "--width", "1366"]) == 1
    errors = capsys.readouterr().err
    assert "console error: broken on purpose" in errors
    assert "/en/returns" in errors and "/desk" in errors  # every page that logged it is named
