"""CSV files as French spreadsheet software opens them: ';' between cells (the comma is the
decimal separator), CRLF line ends, and no text cell a spreadsheet would run as a formula.
The byte-order mark that makes it read UTF-8 is ``BOM``: prepended by the reports that
return a finished file, added by ``.encode("utf-8-sig")`` where bytes are written."""

import csv
import io
from collections.abc import Iterable

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """A text cell starting like a formula (= + - @, tab, CR) gets an apostrophe, which
    keeps it text (CSV injection)."""
    return f"'{text}" if text[:1] in _FORMULA_STARTS else text


def french_csv(header: list, rows: Iterable[list]) -> str:
    """`header` then `rows`, with ';' separators and CRLF (no byte-order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
