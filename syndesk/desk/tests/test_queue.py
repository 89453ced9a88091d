"""The agent queue helper: views, filters, ordering, and a query count that does not grow
with the number of rows."""

from datetime import timedelta

import pytest

from syndesk.core.hours import BusinessCalendar
from syndesk.core.testing import count_queries
from syndesk.desk import services
from syndesk.desk.models import Outcome, Priority, SLATarget, Status

from .conftest import MONDAY_10H, paris

pytestmark = pytest.mark.django_db


def render_rows(qs):
    """What a queue template touches on each row."""
    return [
        (
            t.reference,
            t.member.name,
            str(t.contact),
            str(t.software),
            str(t.version),
            str(t.assignee),
            t.get_status_display(),
        )
        for t in qs[:50]
    ]


def test_mine_and_unassigned(open_ticket, agent, other_agent):
    a, b, c = open_ticket(), open_ticket(), open_ticket()
    services.assign(ticket=a, assignee=agent, by=agent)
    services.assign(ticket=b, assignee=other_agent, by=agent)
    services.resolve(ticket=services.assign(ticket=c, assignee=agent, by=agent), by=agent)
    assert list(services.queue(agent, view="mine")) == [a]
    d = open_ticket()
    assert list(services.queue(agent, view="unassigned")) == [d]
    assert list(services.queue(agent, view="resolved")) == [c]
    assert set(services.queue(agent, view="open")) == {a, b, d}


def test_default_ordering_is_by_due_date(open_ticket, agent):
    normal = open_ticket()
    urgent = open_ticket(priority=Priority.URGENT)
    low = open_ticket(priority=Priority.LOW)
    assert list(services.queue(agent, view="open")) == [urgent, normal, low]
    assert list(services.queue(agent, view="open", ordering="priority")) == [urgent, normal, low]
    assert services.queue(agent, view="open", ordering="-created").first() == low


def test_filters(open_ticket, agent, horizon, member_b):
    e = open_ticket()
    h = open_ticket(software=horizon)
    other = open_ticket(member=member_b, contact=None, software=None)
    assert list(services.queue(agent, view="all", software=horizon)) == [h]
    assert list(services.queue(agent, view="all", member=member_b)) == [other]
    assert set(services.queue(agent, view="all", entitled=False)) == {h, other}
    assert list(services.queue(agent, view="all", search=e.reference.lower())) == [e]
    assert set(services.queue(agent, view="all", search="mandat")) == {e, h, other}


def test_breaching_lists_tickets_near_or_past_their_due_date(open_ticket, agent):
    calendar = BusinessCalendar.default()
    targets = SLATarget.objects.as_map()
    urgent = open_ticket(priority=Priority.URGENT)  # first response due 11:00
    normal = open_ticket()  # first response due 15:30
    paused = open_ticket(priority=Priority.URGENT)
    services.pause_sla(ticket=paused, reason="Attente", by=agent, at=MONDAY_10H)

    def breaching(now):
        return set(
            services.queue(agent, view="breaching", now=now, calendar=calendar, targets=targets)
        )

    assert breaching(paris(2026, 3, 2, 10, 30)) == set()
    assert breaching(paris(2026, 3, 2, 10, 50)) == {urgent}  # 10 min left < 12 min
    assert breaching(paris(2026, 3, 2, 15, 0)) == {urgent, normal}  # 30 min left < 48 min
    services.add_reply(ticket=urgent, body="Réponse", by=agent, at=paris(2026, 3, 2, 10, 55))
    # Urgent: first response met; resolution due 15:30 (4h, threshold 48 min) -> soon from
    # 14:42, like the normal ticket's first response.
    assert breaching(paris(2026, 3, 2, 14, 40)) == set()
    assert breaching(paris(2026, 3, 2, 14, 45)) == {urgent, normal}
    services.resolve(ticket=urgent, by=agent)
    assert urgent not in breaching(paris(2026, 3, 9, 9))


def test_unknown_view_or_ordering_raise(agent):
    with pytest.raises(ValueError, match="view"):
        services.queue(agent, view="everything")
    with pytest.raises(ValueError, match="ordering"):
        services.queue(agent, ordering="random")


def test_a_member_user_gets_only_their_member_tickets(open_ticket, member_b, alice):
    mine = open_ticket()
    open_ticket(member=member_b, contact=None, software=None)
    assert list(services.queue(alice, view="all")) == [mine]


@pytest.mark.parametrize("view", list(services.QUEUE_VIEWS))
def test_the_query_count_does_not_grow_with_the_rows(
    open_ticket, agent, emagnus_v8, view, django_assert_max_num_queries
):
    calendar, targets = BusinessCalendar.default(), SLATarget.objects.as_map()

    def run():
        return render_rows(
            services.queue(
                agent,
                view=view,
                now=MONDAY_10H + timedelta(days=3),
                calendar=calendar,
                targets=targets,
            )
        )

    open_ticket(version=emagnus_v8)
    one = count_queries(run)
    for _ in range(12):
        services.assign(ticket=open_ticket(version=emagnus_v8), assignee=agent, by=agent)
    many = count_queries(run)
    assert one == many == 1
    assert len(run()) >= (0 if view in ("resolved", "closed", "waiting", "unassigned") else 1)


def test_breaching_without_calendar_costs_two_small_queries_more(agent, open_ticket):
    open_ticket()
    assert count_queries(lambda: list(services.queue(agent, view="breaching"))) == 3


def test_sla_states_per_row_need_no_query(open_ticket, agent, django_assert_num_queries):
    open_ticket(priority=Priority.HIGH)
    calendar, targets = BusinessCalendar.default(), SLATarget.objects.as_map()
    rows = list(services.queue(agent, view="open"))
    with django_assert_num_queries(0):
        states = [
            t.sla(now=paris(2026, 3, 2, 11, 40), calendar=calendar, target=targets[t.priority])
            for t in rows
        ]
    assert states[0]["first_response"].state == "soon"  # high: 2h, due 12:00, 20 min left < 24


def test_closed_redirected_tickets_are_in_the_closed_view(open_ticket, agent):
    ticket = open_ticket()
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    assert list(services.queue(agent, view="closed")) == [ticket]
    assert ticket.pk in {t.pk for t in services.queue(agent, view="all", status=Status.CLOSED)}
