import pytest
from django.core.management import CommandError, call_command

from syndesk.desk.models import Ticket, TicketMessage
from syndesk.kb.models import Sheet
from syndesk.members.models import Member
from syndesk.news.models import Notice
from syndesk.ops.management.commands.generate_bench_data import scaled

pytestmark = pytest.mark.django_db


def test_it_refuses_to_run_without_a_password(monkeypatch):
    monkeypatch.delenv("BENCH_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="BENCH_PASSWORD"):
        call_command("generate_bench_data", "--tickets", "10")


def test_volumes_scale_with_the_tickets():
    assert scaled(1_000_000, "members") == 5_000
    assert scaled(100_000, "invoices") == 2_000
    assert scaled(1_000, "sheets") == 10  # never fewer than 10


def test_it_generates_the_data_and_the_two_accounts(monkeypatch, client):
    monkeypatch.setenv("BENCH_PASSWORD", "banc-d-essai-2026")
    call_command("generate_bench_data", "--tickets", "500", "--sheets", "12", verbosity=0)
    assert Ticket.objects.count() == 500
    assert TicketMessage.objects.count() >= 1000  # two events each, more on worked tickets
    assert (Member.objects.count(), Sheet.objects.count(), Notice.objects.count()) == (10, 12, 10)
    assert client.login(username="bench-agent@bench.example", password="banc-d-essai-2026")
    assert client.get("/gestion/assistance/").status_code == 200
    assert client.login(username="bench-member@bench.example", password="banc-d-essai-2026")
    assert client.get("/portail/demandes/").status_code == 200
    with pytest.raises(CommandError, match="already holds tickets"):
        call_command("generate_bench_data", "--tickets", "10", verbosity=0)
