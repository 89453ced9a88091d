"""Write the French catalogue: the source strings are French, so it holds only the plural
messages, each translated by itself, for French's own plural rule.

Without it, gettext falls back to its English rule (n == 1 singular) and writes "0 demandes";
French takes the singular for 0 and 1 ("0 demande", "1 demande", "2 demandes").

    .venv/bin/python scripts/french_plurals.py    # run by `make messages-extract`
"""

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "syndesk" / "locale"


def main() -> int:
    with open(LOCALE / "en" / "LC_MESSAGES" / "django.po", "rb") as source:
        english = read_po(source)
    french = Catalog(
        locale="fr",
        project="Syndesk",
        version="",
        msgid_bugs_address="",
        fuzzy=False,
        header_comment="# Syndesk: French plural forms of the (French) source strings.",
        creation_date=english.creation_date,
        revision_date=english.creation_date,
        last_translator="Syndesk team",
        language_team="French",
    )
    # Django's own French catalogue uses this rule (CLDR adds a third form for millions).
    french.mime_headers = [("Plural-Forms", "nplurals=2; plural=(n > 1);")]
    for message in english:
        if message.id and message.pluralizable:
            french.add(message.id, string=tuple(message.id), context=message.context)
    target = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        write_po(out, french, width=100, omit_header=False, sort_output=True)
    print(f"{target.relative_to(LOCALE.parent.parent)}: {len(french)} plural messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
