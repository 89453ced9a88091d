"""The demo sheets: idempotent, tolerant of a catalogue without the demo software."""

import pytest

from syndesk.catalog.models import Software
from syndesk.desk.tests import test_demo as desk_demo_tests
from syndesk.kb.demo import SHEETS, load_kb_demo
from syndesk.kb.models import Sheet
from syndesk.kb.search import search_sheets

pytestmark = pytest.mark.django_db

demo = desk_demo_tests.demo


def test_without_the_catalogue_the_sheets_are_made_without_software():
    assert load_kb_demo() == {"sheets": len(SHEETS), "software": 0, "resolutions": 0, "votes": 0}
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


def test_the_demo_tickets_resolved_by_sheet_name_their_sheet(demo):
    """On top of the desk demo (a year of tickets, one in eight resolved by sheet)."""
    from syndesk.desk.models import Outcome, Ticket
    from syndesk.kb.models import SheetVote, TicketSheetLink
    from syndesk.kb.services import resolved_counts

    counts = load_kb_demo()
    links = TicketSheetLink.objects.filter(resolution=True).select_related("ticket", "sheet")
    assert counts["resolutions"] == links.count() > 50
    for link in links:
        assert link.ticket.outcome == Outcome.BY_SHEET
        assert link.ticket.software_id in {s.pk for s in link.sheet.software.all()}
        assert link.sheet.visibility != Sheet.Visibility.STAFF
        assert link.linked_at == link.ticket.resolved_at
    # Those about software no sheet covers were solved without one.
    by_sheet = Ticket.objects.filter(outcome=Outcome.BY_SHEET)
    assert not by_sheet.exclude(sheet_links__resolution=True).exists()
    assert sum(resolved_counts(Sheet.objects.values_list("pk", flat=True)).values()) == len(links)
    assert counts["votes"] == SheetVote.objects.count() > 0
    # A second run adds nothing.
    again = load_kb_demo()
    assert (again["resolutions"], again["votes"]) == (0, 0)
