"""The agents' queue page: tabs, filters, sorting, pagination, SLA badges, bulk assignment,
and a number of queries that does not depend on the page size."""

import html
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from syndesk.core.testing import count_queries
from syndesk.desk import services
from syndesk.desk.forms import QueueFilterForm
from syndesk.desk.models import Outcome, Priority, Ticket
from syndesk.desk.views import business_duration

pytestmark = pytest.mark.django_db

QUEUE = reverse("desk:queue")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def now_ticket(member_a, gisele, emagnus, subscription, agent):
    """Tickets opened now (the queue's badges are computed at the real current time)."""

    def make(**overrides) -> Ticket:
        fields = {
            "member": member_a,
            "contact": gisele,
            "software": emagnus,
            "channel": "phone",
            "subject": "Mandat rejeté",
            "opened_by": agent,
            "notify": False,
            **overrides,
        }
        return services.open_ticket(**fields)

    return make


def refs(response) -> list[str]:
    return [row.ticket.reference for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 200), ("billing", 200), ("manager", 200), ("alice", 403), (None, 302)],
)
def test_who_may_see_the_queues(client, persona, status, request):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get(QUEUE).status_code == status


def test_billing_reads_without_bulk_assignment(client, billing, now_ticket):
    now_ticket()
    client.force_login(billing)
    response = client.get(QUEUE)
    assert response.context["view"] == "open"  # no tickets of their own
    assert len(response.context["rows"]) == 1
    assert response.context["bulk_form"] is None
    assert 'name="tickets"' not in response.content.decode()


def test_the_default_tab_is_mine_and_every_tab_answers(signed_in, now_ticket, agent):
    mine = services.assign(ticket=now_ticket(), assignee=agent, by=agent)
    other = now_ticket()
    response = signed_in.get(QUEUE)
    assert response.context["view"] == "mine"
    assert refs(response) == [mine.reference]
    assert refs(signed_in.get(QUEUE, {"view": "unassigned"})) == [other.reference]
    for view in services.QUEUE_VIEWS:
        page = signed_in.get(QUEUE, {"view": view})
        assert page.status_code == 200
        assert f'aria-current="page">{services.QUEUE_VIEWS[view]}<' in unescape(
            page.content.decode()
        )


def test_open_views_sort_by_due_date_by_default(signed_in, now_ticket):
    normal = now_ticket()
    urgent = now_ticket(priority=Priority.URGENT)
    low = now_ticket(priority=Priority.LOW)
    response = signed_in.get(QUEUE, {"view": "open"})
    assert response.context["ordering"] == "due"
    assert refs(response) == [urgent.reference, normal.reference, low.reference]
    response = signed_in.get(QUEUE, {"view": "open", "ordering": "-due"})
    assert refs(response) == [low.reference, normal.reference, urgent.reference]
    # Finished work: newest first.
    assert signed_in.get(QUEUE, {"view": "all"}).context["ordering"] == "-created"


def test_filters(signed_in, now_ticket, horizon, member_b, agent):
    e = now_ticket()
    h = now_ticket(software=horizon, priority=Priority.HIGH)
    other = now_ticket(member=member_b, contact=None, software=None, subject="Paie")
    services.close(ticket=h, by=agent, outcome=Outcome.ABANDONED)

    def get(**params):
        return refs(signed_in.get(QUEUE, {"view": "all", **params}))

    assert get(software=horizon.pk) == [h.reference]
    assert get(member=member_b.pk) == [other.reference]
    assert get(member=999999) == []
    assert get(adherent="avranches") == [other.reference]
    assert get(status="closed") == [h.reference]
    assert get(priority=Priority.HIGH) == [h.reference]
    assert get(category="usage", entitled="1") == [e.reference]
    assert set(get(entitled="0")) == {h.reference, other.reference}
    assert get(q=e.reference.lower()) == [e.reference]
    assert get(q="paie") == [other.reference]


def test_bad_filter_values_are_ignored_not_fatal(signed_in, now_ticket):
    now_ticket()
    response = signed_in.get(
        QUEUE, {"view": "nope", "ordering": "random", "software": "x", "page": "-3"}
    )
    assert response.status_code == 200
    assert response.context["view"] == "mine"


def test_the_member_filter_shows_a_removable_chip(signed_in, now_ticket, member_a):
    now_ticket()
    page = unescape(signed_in.get(QUEUE, {"view": "all", "member": member_a.pk}).content.decode())
    assert "Adhérent : Brécey" in page
    assert "retirer ce filtre" in page


def test_sla_badges_say_the_state(signed_in, now_ticket, agent, member_a):
    ticket = now_ticket(priority=Priority.URGENT)
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due=timezone.now() - timedelta(minutes=5)
    )
    paused = now_ticket()
    services.pause_sla(ticket=paused, reason="Attente de la capture", by=agent)
    rows = {
        row.ticket.reference: row.badge
        for row in signed_in.get(QUEUE, {"view": "open"}).context["rows"]
    }
    assert rows[ticket.reference].state == "breached"
    assert rows[ticket.reference].text.startswith("en retard")
    assert rows[paused.reference].state == "paused"
    page = unescape(signed_in.get(QUEUE, {"view": "open"}).content.decode())
    assert "sla-breached" in page
    assert "en retard" in page


def test_business_duration_reads_well():
    assert business_duration(timedelta(minutes=45)) == "45 min"
    assert business_duration(timedelta(hours=3)) == "3 h"
    assert business_duration(timedelta(hours=26, minutes=5)) == "26 h 05"
    assert business_duration(-timedelta(minutes=90)) == "1 h 30"


def test_the_ordering_choices_are_the_services(db):
    assert set(dict(QueueFilterForm().fields["ordering"].choices)) == set(services.QUEUE_ORDERINGS)


def test_pagination_by_fifty_without_counting(signed_in, now_ticket):
    for _ in range(51):
        now_ticket(notify=False)
    first = signed_in.get(QUEUE, {"view": "open"})
    assert len(first.context["rows"]) == 50
    assert first.context["page"].has_next
    assert 'rel="next"' in first.content.decode()
    second = signed_in.get(QUEUE, {"view": "open", "page": 2})
    assert len(second.context["rows"]) == 1
    assert not second.context["page"].has_next
    assert "demandes 51 à 51" in unescape(second.content.decode())


def test_htmx_filtering_answers_the_results_fragment(signed_in, now_ticket):
    now_ticket()
    response = signed_in.get(QUEUE, {"view": "open"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body


def test_the_page_runs_the_same_queries_for_5_or_60_tickets(signed_in, now_ticket, agent):
    for _ in range(5):
        services.assign(ticket=now_ticket(), assignee=agent, by=agent)

    def run(view):
        return count_queries(lambda: signed_in.get(QUEUE, {"view": view}))

    few = {view: run(view) for view in services.QUEUE_VIEWS}
    for _ in range(55):
        services.assign(ticket=now_ticket(), assignee=agent, by=agent)
    many = {view: run(view) for view in services.QUEUE_VIEWS}
    assert few == many
    assert max(many.values()) <= 12


# --------------------------------------------------------------------------- bulk assignment


def test_bulk_assignment(signed_in, now_ticket, agent, other_agent):
    a, b, c = now_ticket(), now_ticket(), now_ticket()
    back = f"{QUEUE}?view=unassigned"
    response = signed_in.post(
        reverse("desk:bulk-assign"),
        {"tickets": [a.pk, b.pk], "assignee": other_agent.pk, "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back
    assert set(Ticket.objects.filter(assignee=other_agent)) == {a, b}
    assert Ticket.objects.get(pk=c.pk).assignee is None
    page = unescape(signed_in.get(back).content.decode())
    assert "2 demandes attribuées à Paul" in page


def test_bulk_assignment_needs_tickets_and_an_agent(signed_in, now_ticket, alice):
    ticket = now_ticket()
    response = signed_in.post(reverse("desk:bulk-assign"), {"assignee": ""}, follow=True)
    page = unescape(response.content.decode())
    assert "Sélectionnez au moins une demande." in page
    assert "Choisissez l'agent à qui attribuer la sélection." in page
    signed_in.post(reverse("desk:bulk-assign"), {"tickets": [ticket.pk], "assignee": alice.pk})
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_bulk_assignment_refuses_an_outside_redirect(signed_in, now_ticket, agent):
    ticket = now_ticket()
    response = signed_in.post(
        reverse("desk:bulk-assign"),
        {"tickets": [ticket.pk], "assignee": agent.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == QUEUE


def test_bulk_assignment_is_for_agents_and_managers(client, billing, now_ticket, agent):
    ticket = now_ticket()
    client.force_login(billing)
    response = client.post(
        reverse("desk:bulk-assign"), {"tickets": [ticket.pk], "assignee": agent.pk}
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_each_row_names_its_agent_read_in_one_query(signed_in, now_ticket, agent, other_agent):
    mine = services.assign(ticket=now_ticket(), assignee=agent, by=agent)
    theirs = services.assign(ticket=now_ticket(), assignee=other_agent, by=agent)
    nobodys = now_ticket()
    page = html.unescape(signed_in.get(QUEUE, {"view": "open"}).content.decode())
    rows = {
        ticket.reference: next(r for r in page.split("<tr") if ticket.reference in r)
        for ticket in (mine, theirs, nobodys)
    }
    assert "Agnes" in rows[mine.reference]
    assert "Paul" in rows[theirs.reference]
    assert "personne" in rows[nobodys.reference]
    assert "Paul" not in rows[mine.reference]
