"""Fill Welsh translations into the catalogue from a JSON file of {msgid: msgstr}.

Usage: .venv/bin/python scripts/fill_welsh.py translations.json
Lists the msgids still without Welsh, so `make translations` + this script keep cy complete.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).resolve().parents[1] / "engage/translations/cy/LC_MESSAGES/messages.po"


def main() -> int:
    table: dict[str, str] = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="cy")
    missing = []
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple):
            continue
        if message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
        if not message.string:
            missing.append(message.id)
    with CATALOGUE.open("wb") as handle:
        write_po(handle, catalogue, width=100)
    for msgid in missing:
        print("MISSING:", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
