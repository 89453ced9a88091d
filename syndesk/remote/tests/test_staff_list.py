"""The staff list of all remote sessions (/gestion/telemaintenance/): columns, filters, bad
filter input reported at the field, CSV export, who may open it, bounded queries, escaping."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from syndesk.conftest import make_user
from syndesk.core.testing import count_queries
from syndesk.remote import services
from syndesk.remote.models import CloseKind, RemoteSession, Status

from .conftest import T0

pytestmark = pytest.mark.django_db

LIST = reverse("remote:list")
CSV = reverse("remote:list-csv")


def make_session(*, ticket, tool, by, at, status=Status.REQUESTED, reason="Contrôle", **extra):
    """A session row in a given state, written directly (the services' rules are tested
    elsewhere; a list needs many rows in every state)."""
    fields = {
        "ticket": ticket,
        "member": ticket.member,
        "tool": tool,
        "tool_session_id": "123456789",
        "reason": reason,
        "requested_by": by,
        "requested_at": at,
        "expires_at": at + timedelta(minutes=30),
        "status": status,
    }
    if status == Status.REFUSED:
        fields["decided_at"] = at + timedelta(minutes=1)
    if status in (Status.OPEN, Status.CLOSED, Status.ABANDONED):
        fields["decided_at"] = fields["opened_at"] = at + timedelta(minutes=2)
    if status == Status.ABANDONED:
        fields.update(closed_at=at + timedelta(hours=4, minutes=2), close_kind=CloseKind.ABANDONED)
    fields.update(extra)
    return RemoteSession.objects.create(**fields)


@pytest.fixture
def closed(opened, alice):
    """Alice's session (accepted 10:02) closed by her at 10:22."""
    return services.close_session(session=opened, by=alice, at=T0 + timedelta(minutes=22))


@pytest.fixture
def avranches_ticket(open_ticket, member_b):
    return open_ticket(member=member_b, contact=None, subject="Paramétrage de la GRC")


@pytest.fixture
def varied(closed, avranches_ticket, tools, manager, open_ticket):
    """Brécey's closed session (agnes, RustDesk, 2 March) and three more: Avranches refused
    (marie, TeamViewer, 10 March), Avranches pending (agnes, AnyDesk, 20 March), Brécey
    abandoned (marie, RustDesk, 25 March)."""
    return {
        "closed": closed,
        "refused": make_session(
            ticket=avranches_ticket,
            tool=tools["TeamViewer"],
            by=manager,
            at=T0 + timedelta(days=8),
            status=Status.REFUSED,
        ),
        "pending": make_session(
            ticket=avranches_ticket,
            tool=tools["AnyDesk"],
            by=closed.requested_by,
            at=T0 + timedelta(days=18),
        ),
        "abandoned": make_session(
            ticket=open_ticket(),
            tool=tools["RustDesk"],
            by=manager,
            at=T0 + timedelta(days=23),
            status=Status.ABANDONED,
        ),
    }


def session_links(html: str) -> list[str]:
    """The sessions' pages linked from the rows, in order."""
    return [
        part.split('"', 1)[0]
        for part in html.split('href="/gestion/telemaintenance/')[1:]
        if part.split('"', 1)[0].rstrip("/").isdigit()
    ]


def shown(client, **params) -> list[int]:
    html = client.get(LIST, params).content.decode()
    return [int(link.rstrip("/")) for link in session_links(html)]


def field_errors(html: str, name: str) -> str:
    """The message block right after a filter's input."""
    marker = f'id="id_{name}_errors"'
    assert marker in html
    return html.split(marker, 1)[1].split("</div>", 1)[0]


# --------------------------------------------------------------------------- the list


def test_an_agent_sees_every_session_with_its_columns(client, agent, varied):
    client.force_login(agent)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    closed = varied["closed"]
    row = html.split(f'href="{reverse("remote:session", args=[closed.pk])}"', 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "02/03/2026 10:00" in row  # requested
    assert "Brécey" in row
    assert f'href="{reverse("desk:ticket", args=[closed.ticket.reference])}"' in row
    assert closed.ticket.reference in row
    assert "RustDesk" in row
    assert "Agnes" in row  # the agent who asked
    assert "Fermée par l&#x27;utilisateur" in row
    assert "fermeture :" not in row  # the status says it: closed by the user
    assert "02/03/2026 10:02" in row  # consent decision
    assert "20 min" in row  # duration
    assert "Alice" in row  # presence
    assert "4 sessions" in html
    # Staff see every member's sessions, newest first.
    expected = [varied[k].pk for k in ("abandoned", "pending", "refused", "closed")]
    assert shown(client) == expected


def test_the_abandoned_session_says_why_and_the_presence_losses(client, agent, varied):
    RemoteSession.objects.filter(pk=varied["abandoned"].pk).update(presence_lost_count=2)
    client.force_login(agent)
    html = client.get(LIST).content.decode()
    assert "Abandonnée" in html
    assert "fermeture : abandonnée (durée maximale dépassée)" in html
    assert "2 pertes de présence" in html
    assert "4 h 00 min" in html


def test_the_list_is_paginated_by_fifty(client, agent, ticket, rustdesk):
    for minutes in range(60):
        make_session(ticket=ticket, tool=rustdesk, by=agent, at=T0 + timedelta(minutes=minutes))
    client.force_login(agent)
    first = client.get(LIST).content.decode()
    assert len(session_links(first)) == 50
    assert "Page 1 sur 2" in first
    assert len(session_links(client.get(LIST, {"page": 2}).content.decode())) == 10


def test_the_top_navigation_leads_to_the_list_and_it_to_the_reports(client, agent):
    client.force_login(agent)
    html = client.get(reverse("web:staff")).content.decode()
    assert f'<a href="{LIST}" >Télémaintenance</a>' in html
    html = client.get(LIST).content.decode()
    assert f'<a href="{LIST}" aria-current="page">Télémaintenance</a>' in html
    assert f'href="{reverse("remote:reports")}"' in html
    assert f'href="{LIST}"' in client.get(reverse("remote:reports")).content.decode()


# --------------------------------------------------------------------------- filters


def test_it_filters_by_status(client, agent, varied):
    client.force_login(agent)
    assert shown(client, status="refused") == [varied["refused"].pk]
    assert shown(client, status="requested") == [varied["pending"].pk]


def test_it_filters_by_tool(client, agent, varied, tools):
    client.force_login(agent)
    rustdesk = tools["RustDesk"].pk
    assert shown(client, tool=rustdesk) == [varied["abandoned"].pk, varied["closed"].pk]


def test_it_filters_by_the_agent_who_asked(client, agent, manager, varied):
    client.force_login(agent)
    assert shown(client, agent=manager.pk) == [varied["abandoned"].pk, varied["refused"].pk]
    assert shown(client, agent=agent.pk) == [varied["pending"].pk, varied["closed"].pk]


def test_it_filters_by_member_name_without_accents_or_case(client, agent, varied):
    client.force_login(agent)
    assert shown(client, member="BRECEY") == [varied["abandoned"].pk, varied["closed"].pk]
    assert shown(client, member="avranch") == [varied["pending"].pk, varied["refused"].pk]
    assert shown(client, member="Granville") == []


def test_it_filters_by_period_of_request_whole_days_included(client, agent, varied):
    client.force_login(agent)
    # 10 March to 20 March: the refused (10th) and the pending one (20th, 10:00).
    assert shown(client, date_from="2026-03-10", date_to="2026-03-20") == [
        varied["pending"].pk,
        varied["refused"].pk,
    ]
    assert shown(client, date_from="21/03/2026") == [varied["abandoned"].pk]
    assert shown(client, date_to="2026-03-02") == [varied["closed"].pk]


def test_filters_combine(client, agent, manager, varied, tools):
    client.force_login(agent)
    params = {"agent": manager.pk, "tool": tools["RustDesk"].pk, "member": "brécey"}
    assert shown(client, **params) == [varied["abandoned"].pk]


def test_the_htmx_refresh_returns_the_results_only(client, agent, varied):
    client.force_login(agent)
    response = client.get(LIST, {"status": "refused"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="results"' in html
    assert session_links(html) == [f"{varied['refused'].pk}/"]


# --------------------------------------------------------------------------- bad input


def test_a_bad_date_is_reported_at_its_field_and_the_list_still_shown(client, agent, varied):
    client.force_login(agent)
    response = client.get(LIST, {"date_from": "31/02/2026", "status": "refused"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Indiquez une date valide (jj/mm/aaaa)." in field_errors(html, "date_from")
    assert "Indiquez" not in field_errors(html, "status")
    # The other filters still apply.
    assert session_links(html) == [f"{varied['refused'].pk}/"]


def test_an_unknown_status_is_reported_at_its_field(client, agent, varied):
    client.force_login(agent)
    response = client.get(LIST, {"status": "hacked", "tool": "999999", "agent": "abc"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choisissez un état de la liste." in field_errors(html, "status")
    assert "Choisissez un outil de la liste." in field_errors(html, "tool")
    assert "Choisissez un agent de la liste." in field_errors(html, "agent")
    assert len(session_links(html)) == 4


def test_an_end_before_the_start_is_reported_at_the_end_date(client, agent, varied):
    client.force_login(agent)
    response = client.get(LIST, {"date_from": "2026-03-20", "date_to": "2026-03-10"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "La date de fin précède la date de début." in field_errors(html, "date_to")
    assert shown(client, date_from="2026-03-20", date_to="2026-03-10") == [
        varied["abandoned"].pk,
        varied["pending"].pk,
    ]


def test_the_htmx_refresh_brings_the_messages_to_the_fields(client, agent, varied):
    client.force_login(agent)
    html = client.get(
        LIST, {"date_from": "2026-03-20", "date_to": "2026-03-10"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="id_date_to_errors" hx-swap-oob="true"' in html
    assert "La date de fin précède la date de début." in field_errors(html, "date_to")


# --------------------------------------------------------------------------- CSV


def read_csv(response) -> list[list[str]]:
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_has_french_headers_and_the_filtered_rows(client, agent, varied):
    client.force_login(agent)
    response = client.get(CSV, {"member": "brecey"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="telemaintenance-')
    rows = read_csv(response)
    assert rows[0] == [
        "N°",
        "Demandée le",
        "Adhérent",
        "Demande",
        "Outil",
        "Demandée par",
        "État",
        "Fermeture",
        "Décision le",
        "Ouverte le",
        "Fermée le",
        "Durée (min)",
        "Personne présente",
        "Pertes de présence",
        "Motif",
    ]
    assert [row[0] for row in rows[1:]] == [
        str(varied["abandoned"].pk),
        str(varied["closed"].pk),
    ]
    closed = varied["closed"]
    assert rows[2] == [
        str(closed.pk),
        "02/03/2026 10:00",
        "Brécey",
        closed.ticket.reference,
        "RustDesk",
        "Agnes",
        "Fermée par l'utilisateur",
        "par l'utilisateur",
        "02/03/2026 10:02",
        "02/03/2026 10:02",
        "02/03/2026 10:22",
        "20",
        "Alice",
        "0",
        "Vérifier le paramétrage du bordereau",
    ]
    assert b"\r\n" in response.content


def test_the_csv_neutralises_formulas(client, agent, ticket, rustdesk):
    make_session(ticket=ticket, tool=rustdesk, by=agent, at=T0, reason="=HYPERLINK(1)")
    client.force_login(agent)
    rows = read_csv(client.get(CSV))
    assert rows[1][-1] == "'=HYPERLINK(1)"


def test_the_csv_refuses_bad_filters_in_french(client, agent, varied):
    client.force_login(agent)
    response = client.get(CSV, {"date_from": "demain"})
    assert response.status_code == 400
    assert "Indiquez une date valide" in response.content.decode()


# --------------------------------------------------------------------------- who may see it


def test_a_member_user_is_refused(client, alice, varied):
    client.force_login(alice)
    assert client.get(LIST).status_code == 403
    assert client.get(CSV).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client, varied):
    for url in (LIST, CSV):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_staff_without_the_permission_are_refused(client, db):
    # The three roles (agent, billing, manager) all read remote sessions (apps.py); a staff
    # account without a role does not.
    clerk = make_user("clerk@syndicat.example")
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    client.force_login(clerk)
    assert client.get(LIST).status_code == 403
    assert client.get(CSV).status_code == 403
    assert f'href="{LIST}"' not in client.get(reverse("web:staff")).content.decode()


def test_billing_officers_read_the_list(client, billing, varied):
    client.force_login(billing)
    assert client.get(LIST).status_code == 200
    assert client.get(CSV).status_code == 200


# --------------------------------------------------------------------------- queries, escaping


def test_the_page_runs_the_same_queries_for_5_or_60_sessions(client, agent, ticket, tools):
    client.force_login(agent)
    client.get(LIST)  # warm the session and permission caches of the first request

    def add(n):
        start = RemoteSession.objects.count()
        for i in range(start, start + n):
            make_session(
                ticket=ticket,
                tool=tools["RustDesk"] if i % 2 else tools["AnyDesk"],
                by=agent,
                at=T0 + timedelta(minutes=i),
                status=Status.ABANDONED if i % 3 else Status.REFUSED,
            )

    add(5)
    few = count_queries(lambda: client.get(LIST))
    add(55)
    many = count_queries(lambda: client.get(LIST))
    assert few == many
    assert many <= 8
    assert count_queries(lambda: client.get(CSV)) <= many


def test_user_typed_text_is_escaped(client, agent, member_a, ticket, rustdesk):
    member_a.name = "<script>alert('nom')</script>"
    member_a.save()
    make_session(ticket=ticket, tool=rustdesk, by=agent, at=T0, reason="<img src=x onerror=1>")
    client.force_login(agent)
    html = client.get(LIST, {"member": "<b>"}).content.decode() + client.get(LIST).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;nom&#x27;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=1&gt;" in html
    assert "<b>" not in html
