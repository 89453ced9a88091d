from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from syndesk.core.calendar import current_calendar
from syndesk.core.models import AuditEntry, ClosureDay

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def test_a_manager_adds_a_pont_and_the_calendar_closes_that_day(client, manager):
    client.force_login(manager)
    response = client.post(reverse("core:closures"), {"date": "2026-05-15", "label": "Pont"})
    assert response.status_code == 302
    assert not current_calendar().is_open(datetime(2026, 5, 15, 10, tzinfo=PARIS))
    assert current_calendar().is_open(datetime(2026, 5, 18, 10, tzinfo=PARIS))
    assert AuditEntry.objects.filter(action="core.closure.added").exists()


def test_a_closure_day_is_removed(client, manager):
    closure = ClosureDay.objects.create(date=date(2026, 12, 24), label="Veille de Noël")
    client.force_login(manager)
    client.post(reverse("core:closures"), {"remove": closure.pk})
    assert not ClosureDay.objects.exists()


def test_a_duplicate_day_and_a_bad_date_are_explained(client, manager):
    ClosureDay.objects.create(date=date(2026, 5, 15), label="Pont")
    client.force_login(manager)
    response = client.post(reverse("core:closures"), {"date": "2026-05-15", "label": "Pont"})
    assert response.context["form"].errors["date"] == [
        "Ce jour est déjà enregistré comme jour de fermeture."
    ]
    response = client.post(reverse("core:closures"), {"date": "31/02/2026", "label": "X"})
    assert "date valide" in response.context["form"].errors["date"][0]


def test_agents_see_but_cannot_change_closures(client, agent):
    client.force_login(agent)
    assert client.get(reverse("core:closures")).status_code == 200
    response = client.post(reverse("core:closures"), {"date": "2026-05-15", "label": "Pont"})
    assert response.status_code == 403
    assert not ClosureDay.objects.exists()


def test_alsace_moselle_option_closes_good_friday(settings):
    good_friday = datetime(2026, 4, 3, 10, tzinfo=PARIS)
    assert current_calendar().is_open(good_friday)
    settings.HOLIDAYS_SUBDIVISION = "57"
    assert not current_calendar().is_open(good_friday)
