"""The demo sheets: idempotent, tolerant of a catalogue without the demo software."""

import pytest

from syndesk.catalog.models import Software
from syndesk.kb.demo import SHEETS, load_kb_demo
from syndesk.kb.models import Sheet
from syndesk.kb.search import search_sheets

pytestmark = pytest.mark.django_db


def test_without_the_catalogue_the_sheets_are_made_without_software():
    assert load_kb_demo() == {"sheets": len(SHEETS), "software": 0}
    assert not Sheet.objects.filter(software__isnull=False).exists()


def test_loading_twice_creates_nothing_more_and_search_finds_them():
    for name in ["e.magnus", "S²LOW", "Hélios", "Pastell"]:
        Software.objects.create(name=name, editor="Éditeur", category="demat")
    first = load_kb_demo()
    assert first["software"] == 4
    assert load_kb_demo()["sheets"] == 0
    assert Sheet.objects.count() == len(SHEETS) >= 20
    hits = search_sheets(Sheet.objects.visible_to(None), "télétransmission hélios")
    assert hits[0].sheet.title == "Télétransmettre un flux PES à Hélios avec S²LOW"
