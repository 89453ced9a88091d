"""Queue pages at scale: keyset "next"/"previous" links (no deep OFFSET), the rows drawn in
Python (escaped as the template did) and the drop-down lists drawn without templates."""

from datetime import timedelta
from html import unescape
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndesk.core.testing import assert_isolated, count_queries
from syndesk.desk import queue_pages, services
from syndesk.desk.forms import BulkAssignForm, QueueFilterForm
from syndesk.desk.models import Channel, Priority, Status, Ticket
from syndesk.desk.queue_widgets import quick_selects

pytestmark = pytest.mark.django_db

QUEUE = reverse("desk:queue")
_numbers = count(1)


def bulk_tickets(member, specs) -> list[Ticket]:
    """Tickets written directly (fast): ``specs`` is a list of (due, priority, status)."""
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(
            reference=f"AS-2026-{next(_numbers):05d}",
            member=member,
            channel=Channel.PHONE,
            subject=f"Demande {i}",
            priority=priority,
            status=status,
            first_response_due=due,
            resolution_due=due,
            created_at=now - timedelta(minutes=i % 3),  # ties on purpose
        )
        for i, (due, priority, status) in enumerate(specs)
    )
    return tickets


def walk_forward(queryset, ordering, size):
    page = queue_pages.paginate(queryset, ordering, size=size)
    seen = [t.pk for t in page.rows]
    while page.has_next:
        page = queue_pages.paginate(
            queryset, ordering, number=page.number + 1, after=page.next_cursor, size=size
        )
        seen += [t.pk for t in page.rows]
    return seen, page


def walk_backward(queryset, ordering, size, last_page):
    page, seen = last_page, [t.pk for t in last_page.rows]
    while page.has_previous:
        page = queue_pages.paginate(
            queryset, ordering, number=page.number - 1, before=page.previous_cursor, size=size
        )
        seen = [t.pk for t in page.rows] + seen
    return seen, page


# Waiting statuses need a pause (a constraint); these four cover open and finished work.
STATUSES = [Status.NEW, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
dues = st.one_of(st.none(), st.integers(min_value=0, max_value=4).map(lambda h: timedelta(hours=h)))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(
        st.tuples(dues, st.sampled_from(Priority.values), st.sampled_from(STATUSES)),
        max_size=9,
    ),
    ordering=st.sampled_from(list(services.QUEUE_ORDERINGS)),
    size=st.integers(min_value=1, max_value=4),
)
def test_cursor_pages_walk_the_whole_queue_both_ways(member_a, agent, specs, ordering, size):
    Ticket.objects.all().delete()
    base = timezone.now().replace(microsecond=0)
    bulk_tickets(member_a, [(base + d if d is not None else None, p, s) for d, p, s in specs])
    queryset = services.queue(agent, view="all", ordering=ordering)
    expected = [t.pk for t in queryset]
    keys = services.QUEUE_ORDERINGS[ordering]
    forward, last = walk_forward(queryset, keys, size)
    assert forward == expected
    backward, first = walk_backward(queryset, keys, size, last)
    assert backward == expected
    assert first.number == 1
    assert first.start == 1


def test_an_unreadable_cursor_is_the_first_page(member_a, agent):
    bulk_tickets(member_a, [(None, Priority.NORMAL, Status.NEW)] * 3)
    queryset = services.queue(agent, view="all", ordering="due")
    keys = services.QUEUE_ORDERINGS["due"]
    for junk in ("***", "WyJ4Il0", "W10", "WzEsMiwzXQ", "bnVsbA", "W251bGwsbnVsbF0", "x" * 500):
        page = queue_pages.paginate(queryset, keys, after=junk, size=2)
        assert page.number == 1
        assert [t.pk for t in page.rows] == [t.pk for t in queryset][:2]


def test_a_number_alone_reaches_only_the_first_pages(member_a, agent):
    bulk_tickets(member_a, [(None, Priority.NORMAL, Status.NEW)] * 3)
    queryset = services.queue(agent, view="all", ordering="-created")
    page = queue_pages.paginate(queryset, services.QUEUE_ORDERINGS["-created"], number=10**6)
    assert page.number == queue_pages.MAX_OFFSET_PAGE
    assert page.rows == []


# --------------------------------------------------------------------------- the page


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def sixty_open(member_a):
    base = timezone.now() + timedelta(days=1)
    return bulk_tickets(
        member_a,
        [(base + timedelta(minutes=i), Priority.NORMAL, Status.NEW) for i in range(120)],
    )


def refs(response) -> list[str]:
    return [row.ticket.reference for row in response.context["rows"]]


def test_next_and_previous_links_carry_cursors(signed_in, sixty_open):
    first = signed_in.get(QUEUE, {"view": "open"})
    page = first.context["page"]
    assert page.has_next
    assert not page.has_previous
    assert f"after={page.next_cursor}&amp;page=2" in first.content.decode()
    second = signed_in.get(QUEUE, {"view": "open", "after": page.next_cursor, "page": 2})
    assert refs(second) == [t.reference for t in sixty_open[50:100]]
    assert "demandes 51 à 100" in unescape(second.content.decode())
    third_link = second.context["page"].next_cursor
    third = signed_in.get(QUEUE, {"view": "open", "after": third_link, "page": 3})
    assert refs(third) == [t.reference for t in sixty_open[100:]]
    assert not third.context["page"].has_next
    back = third.context["page"].previous_cursor
    assert f"before={back}&amp;page=2" in third.content.decode()
    again = signed_in.get(QUEUE, {"view": "open", "before": back, "page": 2})
    assert refs(again) == refs(second)
    # Back to page 1: a plain link, no cursor.
    assert 'href="?view=open" rel="prev"' in again.content.decode()


def test_a_cursor_page_reads_no_offset_and_the_same_queries(signed_in, sixty_open):
    first = signed_in.get(QUEUE, {"view": "all"})
    after = first.context["page"].next_cursor
    with CaptureQueriesContext(connection) as queries:
        second = signed_in.get(QUEUE, {"view": "all", "after": after, "page": 2})
    listing = [q["sql"] for q in queries.captured_queries if 'FROM "desk_ticket"' in q["sql"]]
    assert listing
    assert all("OFFSET" not in sql.upper() for sql in listing)
    assert refs(second)
    plain = count_queries(lambda: signed_in.get(QUEUE, {"view": "all"}))
    cursor = count_queries(lambda: signed_in.get(QUEUE, {"view": "all", "after": after}))
    junk = count_queries(lambda: signed_in.get(QUEUE, {"view": "all", "after": "%%%"}))
    assert plain == cursor == junk <= 12


def test_a_forged_cursor_only_shows_the_first_page(signed_in, sixty_open):
    response = signed_in.get(QUEUE, {"view": "open", "after": "'; DROP TABLE x; --", "page": 9})
    assert response.status_code == 200
    assert response.context["page"].number == 9  # by number, a small offset
    response = signed_in.get(QUEUE, {"view": "open", "before": "WyJub3BlIiwxXQ"})
    assert response.status_code == 200
    assert refs(response) == [t.reference for t in sixty_open[:50]]


def test_member_users_never_reach_the_queue_even_with_a_cursor(client, alice, charlie, sixty_open):
    after = queue_pages.encode_cursor(
        sixty_open[0], queue_pages.ordering_keys(Ticket, services.QUEUE_ORDERINGS["due"])
    )
    for user in (alice, charlie):
        client.force_login(user)
        assert client.get(QUEUE, {"view": "open", "after": after}).status_code == 403
    assert_isolated(
        client,
        charlie,
        object_urls=[f"{QUEUE}?view=open&after={after}", f"{QUEUE}?before={after}"],
    )


def test_row_texts_are_escaped(signed_in, member_a):
    [ticket] = bulk_tickets(member_a, [(None, Priority.NORMAL, Status.NEW)])
    Ticket.objects.filter(pk=ticket.pk).update(subject="<script>alert('x')</script> & co")
    member_a.name = "Mairie <b>de</b> Brécey"
    member_a.save()
    body = signed_in.get(QUEUE, {"view": "open"}).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in body
    assert "Mairie &lt;b&gt;de&lt;/b&gt; Brécey" in body


def test_a_row_shows_the_version_with_its_software(signed_in, open_ticket, emagnus_v8, agent):
    ticket = open_ticket(version=emagnus_v8)
    services.assign(ticket=ticket, assignee=agent, by=agent)
    response = signed_in.get(QUEUE)
    assert str(emagnus_v8) in unescape(response.content.decode())
    assert response.context["rows"][0].ticket.version.software.name == emagnus_v8.software.name


def test_a_row_is_the_template_row_of_its_ticket(signed_in, open_ticket, emagnus_v8, agent):
    """Rows are read with values(): the texts are those of the model (str, full name)."""
    ticket = open_ticket(version=emagnus_v8)
    services.assign(ticket=ticket, assignee=agent, by=agent)
    row = signed_in.get(QUEUE).context["rows"][0]
    assert row.ticket.reference == ticket.reference
    assert str(row.ticket) == str(ticket)
    assert str(row.ticket.contact) == str(ticket.contact)
    assert row.ticket.assignee.get_full_name() == agent.get_full_name()
    assert f'<a href="{reverse("desk:ticket", args=[ticket.reference])}">' in row.html


def test_a_version_of_another_software_is_still_named(signed_in, open_ticket, emagnus_v8, horizon):
    """Services keep a ticket's version within its software; a row read otherwise still
    names the version's own software (as the template did)."""
    ticket = open_ticket(version=emagnus_v8)
    Ticket.objects.filter(pk=ticket.pk).update(software=horizon, assignee=None)
    body = unescape(signed_in.get(QUEUE, {"view": "unassigned"}).content.decode())
    assert str(emagnus_v8) in body


# --------------------------------------------------------------------------- lists


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"status": "new", "priority": "2", "entitled": "0", "ordering": "-due"},
        {"priority": "<script>", "status": "nope"},
    ],
)
def test_quick_lists_draw_exactly_what_django_draws(data, emagnus, agent):
    if data:
        data = {**data, "software": str(emagnus.pk)}
    django_form, quick_form = QueueFilterForm(data), quick_selects(QueueFilterForm(data))
    django_form.is_valid()
    quick_form.is_valid()
    for name in django_form.fields:
        assert str(quick_form[name]) == str(django_form[name]), name
    for bound in ({}, {"assignee": ""}):
        plain = BulkAssignForm(bound or None, user=agent)
        quick = quick_selects(BulkAssignForm(bound or None, user=agent))
        plain.is_valid(), quick.is_valid()
        assert str(quick["assignee"]) == str(plain["assignee"])


def test_quick_lists_escape_labels(db):
    form = quick_selects(QueueFilterForm())
    form.fields["status"].choices = [('"><script>', "<b>x</b>")]
    html = str(form["status"])
    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
