"""French is the first language: every catalog entry has a French translation."""

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(
    p for p in ROOT.glob("**/locale/fr/LC_MESSAGES/django.po") if ".venv" not in p.parts and "var" not in p.parts
)


def test_there_are_french_catalogs():
    assert len(CATALOGS) >= 5


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_french_catalog_is_complete(catalog):
    po = polib.pofile(str(catalog))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == [], f"{len(missing)} untranslated in {catalog.relative_to(ROOT)}: {missing[:10]}"
