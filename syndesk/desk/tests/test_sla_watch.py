"""The SLA watch: alerts before and at breach, once each, to the assignee and managers."""

import pytest
from django.core import mail
from django.core.management import call_command

from syndesk.desk import services
from syndesk.desk.models import Priority, SLAAlert

from .conftest import paris

pytestmark = pytest.mark.django_db


def test_find_breaching_reports_each_clock(open_ticket):
    ticket = open_ticket(priority=Priority.URGENT)
    found = services.find_breaching(now=paris(2026, 3, 2, 10, 50))
    assert [(b.ticket, b.clock, b.level) for b in found] == [(ticket, "first_response", "soon")]
    later = services.find_breaching(now=paris(2026, 3, 2, 16))
    assert {(b.clock, b.level) for b in later} == {
        ("first_response", "breached"),
        ("resolution", "breached"),
    }


def test_the_watch_warns_assignee_and_managers_once_per_threshold(
    open_ticket, agent, manager, django_capture_on_commit_callbacks
):
    ticket = services.assign(ticket=open_ticket(priority=Priority.URGENT), assignee=agent, by=agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.watch_sla(now=paris(2026, 3, 2, 10, 50)) == 1
        assert services.watch_sla(now=paris(2026, 3, 2, 10, 55)) == 0
    (sent,) = mail.outbox
    assert sorted(sent.to) == ["agnes@syndicat.example", "marie@syndicat.example"]
    assert ticket.reference in sent.subject
    assert "arrive à échéance" in sent.body
    with django_capture_on_commit_callbacks(execute=True):
        assert services.watch_sla(now=paris(2026, 3, 2, 11, 5)) == 1
    assert "dépassé" in mail.outbox[1].body
    assert SLAAlert.objects.count() == 2


def test_a_paused_ticket_raises_no_alert(open_ticket, agent):
    ticket = open_ticket(priority=Priority.URGENT)
    services.pause_sla(ticket=ticket, reason="Attente", by=agent, at=paris(2026, 3, 2, 10, 10))
    assert services.watch_sla(now=paris(2026, 3, 2, 16)) == 0


def test_the_command_runs_the_watch(open_ticket, capsys):
    open_ticket(priority=Priority.URGENT, at=paris(2020, 3, 2, 10))
    call_command("desk_sla_watch")
    assert "alertes : 2" in capsys.readouterr().out
