#!/usr/bin/env python
"""Fill a gettext catalog from a Python dict file: ``po_fill.py CATALOG.po TRANSLATIONS.py``.

TRANSLATIONS.py defines ``T = {"English msgid": "traduction", ...}``; only entries whose
msgid is in T are set (fuzzy flags removed). Prints what is still untranslated.
"""

import runpy
import sys

import polib


def main(po_path: str, table_path: str) -> int:
    table = runpy.run_path(table_path)["T"]
    catalog = polib.pofile(po_path, wrapwidth=120)
    for entry in catalog:
        if entry.msgid in table:
            value = table[entry.msgid]
            if entry.msgid_plural:
                entry.msgstr_plural = {0: value[0], 1: value[1]} if isinstance(value, tuple) else {0: value, 1: value}
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    catalog.save(po_path)
    missing = [e.msgid for e in catalog if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
