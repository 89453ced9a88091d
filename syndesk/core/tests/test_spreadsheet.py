"""The French CSV conventions shared by every export (syndesk.core.spreadsheet)."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from syndesk.core.spreadsheet import french_csv, neutralised


@given(st.text(max_size=20))
def test_no_cell_starts_like_a_formula(text):
    cell = neutralised(text)
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert cell in (text, f"'{text}")


def test_a_file_reads_back_with_semicolons_and_crlf():
    text = french_csv(["Adhérent", "Montant"], [["Brécey; la mairie", "1,5"], ["Ger", "2"]])
    assert text.endswith("\r\n")
    assert text.count("\r\n") == 3
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows == [["Adhérent", "Montant"], ["Brécey; la mairie", "1,5"], ["Ger", "2"]]
