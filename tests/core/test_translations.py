"""The French catalogue covers every string of the interface and keeps its placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{\{[^}]*\}\}")


def _catalogue():  # type: ignore[no-untyped-def]
    with (ROOT / "kb/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh)


def test_every_french_message_is_translated_with_its_placeholders() -> None:
    missing, broken = [], []
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            missing.append(ids[0])
            continue
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            if sorted(PLACEHOLDER.findall(text)) != wanted and not (len(ids) > 1 and "%(num)d" not in text):
                broken.append(ids[0])
    assert missing == []
    assert broken == []


@pytest.mark.slow
def test_the_catalogue_knows_every_string_in_the_code(tmp_path: Path) -> None:
    """Extract the strings anew: none may be missing from the French catalogue (`make messages`)."""
    pot = tmp_path / "check.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as fh:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue() if m.id}
    assert sorted(extracted - known) == []
