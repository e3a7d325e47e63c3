"""Every user-visible string has an Indonesian translation, and the catalogues are compiled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "storefront" / "translations"


def test_every_string_in_the_code_has_an_indonesian_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(extracted - translated)
    assert not missing, (
        "untranslated strings (run `make translations-update` and fill in "
        f"storefront/translations/id/LC_MESSAGES/messages.po): {missing}"
    )


def test_catalogues_are_compiled():
    for lang in ("id", "en"):
        assert (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").exists(), (
            f"{lang} catalogue not compiled: run `make translations`"
        )
