"""Remote-maintenance pages: the agent's request and live panel from the ticket page, the
member's consent and live pages, isolation (404, recorded), permissions, bad input, the PDF
proof, the reports; bounded queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from syndesk.core.testing import assert_isolated, count_queries
from syndesk.remote import rules, services
from syndesk.remote.models import (
    ConsentRecord,
    EventKind,
    RemoteSession,
    SessionEvent,
    Status,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_request(ticket, rustdesk, agent):
    """A request made now (not expired)."""
    return services.request_session(
        ticket=ticket,
        tool=rustdesk,
        reason="Contrôler <b>le</b> paramétrage",
        tool_session_id="123456789",
        by=agent,
    )


@pytest.fixture
def live_open(live_request, alice):
    return services.accept_session(session=live_request, user=alice, ip="198.51.100.7")


def portal(session, name="session"):
    return reverse(f"remote-portal:{name}", kwargs={"token": session.token})


def events(session, kind):
    return SessionEvent.objects.filter(session=session, kind=kind)


# --------------------------------------------------------------------------- agent side


def test_the_ticket_page_offers_the_request_form(client, agent, ticket, tools):
    client.force_login(agent)
    page = client.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "Demander une session de télémaintenance" in page
    request_url = reverse("remote:request", args=[ticket.reference])
    assert f'hx-get="{request_url}"' in page
    fragment = client.get(request_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert "RustDesk" in fragment
    assert "MeshCentral" not in fragment  # inactive tools are not offered


def test_the_panel_costs_the_ticket_page_one_query_or_two_with_sessions(
    client, agent, ticket, open_ticket, tools, live_request
):
    other_ticket = open_ticket()
    client.force_login(agent)
    url = reverse("desk:ticket", args=[ticket.reference])
    client.get(url)
    from syndesk.core import panels
    from syndesk.remote.panels import staff_ticket_panel

    class Request:
        user = agent

    # A ticket without a session: one plain query; with sessions, a second one joins them.
    assert count_queries(lambda: staff_ticket_panel(Request(), other_ticket)) == 1
    assert staff_ticket_panel(Request(), other_ticket)["remote_sessions"] == []
    assert count_queries(lambda: staff_ticket_panel(Request(), ticket)) == 2
    assert staff_ticket_panel(Request(), ticket)["remote_sessions"] == [live_request]
    assert [p.template for p in panels.panels_for("staff_ticket_detail")].count(
        "remote/staff/_ticket_panel.html"
    ) == 1


def test_the_member_home_shows_a_pending_request(client, alice, live_request):
    client.force_login(alice)
    page = client.get(reverse("member-portal:home")).content.decode()
    assert portal(live_request) in page


def test_agent_requests_a_session_from_the_ticket(client, agent, ticket, rustdesk):
    client.force_login(agent)
    response = client.post(
        reverse("remote:request", args=[ticket.reference]),
        {"tool": rustdesk.pk, "tool_session_id": "987 654 321", "reason": "Vérifier"},
    )
    session = RemoteSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("remote:session", args=[session.pk])
    assert (session.tool_session_id, session.status) == ("987654321", Status.REQUESTED)
    page = client.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "En attente de l'accord" in page
    assert "rustdesk://" not in page  # no launch link before consent


def test_bad_request_input_is_shown_at_the_field(client, agent, ticket, rustdesk):
    client.force_login(agent)
    response = client.post(
        reverse("remote:request", args=[ticket.reference]),
        {"tool": rustdesk.pk, "tool_session_id": "javascript:alert(1)", "reason": ""},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "reason" in form.errors
    assert not RemoteSession.objects.exists()
    response = client.post(
        reverse("remote:request", args=[ticket.reference]),
        {"tool": rustdesk.pk, "tool_session_id": "a/b", "reason": "ok"},
    )
    assert "tool_session_id" in response.context["form"].errors


def test_member_users_and_billing_cannot_request(client, alice, billing, ticket, rustdesk):
    url = reverse("remote:request", args=[ticket.reference])
    data = {"tool": rustdesk.pk, "tool_session_id": "1", "reason": "x"}
    client.force_login(alice)
    assert client.post(url, data).status_code == 403
    client.force_login(billing)
    assert client.post(url, data).status_code == 403
    assert not RemoteSession.objects.exists()


def test_live_panel_shows_presence_and_the_launch_link_after_consent(client, agent, live_open):
    client.force_login(agent)
    fragment = client.get(reverse("remote:live", args=[live_open.pk])).content.decode()
    assert "Présence confirmée" in fragment
    assert 'href="rustdesk://123456789"' in fragment
    assert 'hx-trigger="every' in fragment
    assert "Demander la fermeture" in fragment


def test_live_panel_warns_when_presence_is_lost(client, agent, live_open):
    services.remote_watch(timezone.now() + timedelta(seconds=120))
    client.force_login(agent)
    fragment = client.get(reverse("remote:live", args=[live_open.pk])).content.decode()
    assert "Présence perdue" in fragment
    assert 'role="alert"' in fragment


def test_agent_requests_the_closing_but_cannot_close(client, agent, live_open):
    client.force_login(agent)
    response = client.post(reverse("remote:request-close", args=[live_open.pk]))
    assert response.status_code == 302
    live_open.refresh_from_db()
    assert live_open.close_requested_at is not None
    response = client.post(portal(live_open, "close"))
    assert response.status_code == 403
    live_open.refresh_from_db()
    assert live_open.status == Status.OPEN
    assert events(live_open, EventKind.ATTEMPT_REFUSED).get().actor == agent


def test_agent_cannot_mark_presence_through_the_portal(client, agent, live_open):
    client.force_login(agent)
    assert client.post(portal(live_open, "presence")).status_code == 403
    assert events(live_open, EventKind.ATTEMPT_REFUSED).count() == 1


def test_session_page_shows_the_trail_escaped_and_the_pdf_downloads(client, agent, live_open):
    client.force_login(agent)
    page = client.get(reverse("remote:session", args=[live_open.pk])).content.decode()
    assert "Journal de la session" in page
    assert "Accord de l&#x27;utilisateur" in page or "Accord de l'utilisateur" in page
    assert "198.51.100.7" in page
    assert "<b>le</b>" not in page  # the reason typed by the agent is escaped
    response = client.get(reverse("remote:pdf", args=[live_open.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_staff_pages_answer_in_bounded_queries(client, agent, live_open, ticket):
    client.force_login(agent)
    urls = [
        reverse("remote:session", args=[live_open.pk]),
        reverse("remote:live", args=[live_open.pk]),
        reverse("remote:reports"),
    ]
    for url in urls:
        client.get(url)  # warm the session and permission caches
        assert count_queries(lambda url=url: client.get(url)) <= 12, url


# --------------------------------------------------------------------------- reports


def test_reports_count_sessions_refusals_and_abandons(client, manager, opened, alice):
    services.close_session(session=opened, by=alice, at=opened.opened_at + timedelta(minutes=20))
    client.force_login(manager)
    response = client.get(reverse("remote:reports"), {"year": 2026})
    report = response.context["report"]
    assert (report.total.requested, report.total.opened, report.total.closed) == (1, 1, 1)
    assert report.total.total == timedelta(minutes=20)
    csv = client.get(reverse("remote:reports-csv"), {"year": 2026}).content.decode()
    assert csv.startswith("\ufeffMois;Demandées")  # byte-order mark for spreadsheets
    assert csv.endswith("\r\n")
    assert csv.splitlines()[-1] == "Total;1;1;0;0;1;0;0;20;20"


def test_reports_refuse_a_bad_year_and_member_users(client, manager, alice):
    client.force_login(manager)
    assert client.get(reverse("remote:reports"), {"year": "abc"}).status_code == 400
    client.force_login(alice)
    assert client.get(reverse("remote:reports")).status_code == 403


# --------------------------------------------------------------------------- member side


def test_the_consent_page_shows_the_three_rules_and_both_buttons(client, alice, live_request):
    client.force_login(alice)
    page = client.get(portal(live_request)).content.decode()
    assert "n&#x27;est ouverte qu&#x27;après mon accord" in page
    assert "en ma présence tout au long de l&#x27;intervention" in page
    assert "fermée sur mon action" in page
    assert "J'accepte la télémaintenance" in page
    assert "Je refuse" in page
    assert "csrfmiddlewaretoken" in page
    assert "rustdesk://" not in page
    assert "<b>le</b>" not in page


def test_the_email_link_leads_to_the_consent_page_after_login(client, live_request):
    response = client.get(portal(live_request))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert str(live_request.token) in response["Location"]


def test_member_accepts_with_the_text_shown(client, alice, live_request):
    client.force_login(alice)
    text = services.consent_text(live_request)
    response = client.post(
        portal(live_request, "accept"),
        {"text_sha256": rules.text_hash(text)},
        HTTP_USER_AGENT="Firefox test",
        REMOTE_ADDR="198.51.100.9",
    )
    assert response.status_code == 302
    consent = ConsentRecord.objects.get()
    assert (consent.user, consent.ip_address, consent.user_agent) == (
        alice,
        "198.51.100.9",
        "Firefox test",
    )
    assert consent.text == text
    page = client.get(portal(live_request)).content.decode()
    assert "Terminer la session" in page
    assert 'hx-trigger="every 15s"' in page


def test_a_stale_text_hash_is_refused_at_the_form(client, alice, live_request):
    client.force_login(alice)
    response = client.post(portal(live_request, "accept"), {"text_sha256": "0" * 64})
    assert response.status_code == 400
    assert "relisez-la" in response.content.decode()
    live_request.refresh_from_db()
    assert live_request.status == Status.REQUESTED


def test_accepting_an_expired_request_is_refused_and_recorded(client, alice, requested):
    client.force_login(alice)
    text = services.consent_text(requested)
    response = client.post(portal(requested, "accept"), {"text_sha256": rules.text_hash(text)})
    assert response.status_code == 400
    requested.refresh_from_db()
    assert requested.status == Status.EXPIRED
    assert events(requested, EventKind.ATTEMPT_REFUSED).count() == 1


def test_member_refuses(client, bob, live_request):
    client.force_login(bob)
    text = services.consent_text(live_request)
    client.post(portal(live_request, "refuse"), {"text_sha256": rules.text_hash(text)})
    live_request.refresh_from_db()
    assert live_request.status == Status.REFUSED


def test_presence_beat_answers_the_live_fragment(client, alice, live_open):
    client.force_login(alice)
    response = client.post(portal(live_open, "presence"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'hx-post="' in response.content.decode()
    assert live_open.spans.get().beats == 2


def test_presence_beat_on_a_closed_session_stops_polling(client, alice, live_open):
    services.close_session(session=live_open, by=alice)
    client.force_login(alice)
    fragment = client.post(portal(live_open, "presence")).content.decode()
    assert "hx-trigger" not in fragment


def test_member_closes_the_session(client, alice, live_open):
    client.force_login(alice)
    response = client.post(portal(live_open, "close"))
    assert response.status_code == 302
    live_open.refresh_from_db()
    assert (live_open.status, live_open.closed_by) == (Status.CLOSED, alice)


def test_member_hands_over_to_a_colleague_and_bad_choices_are_refused(
    client, alice, bob, charlie, live_open
):
    client.force_login(alice)
    response = client.post(portal(live_open, "handover"), {"person": f"u{charlie.pk}"})
    assert response.status_code == 400
    assert "Choisissez une personne de la liste." in response.content.decode()
    response = client.post(portal(live_open, "handover"), {"person": f"u{bob.pk}"})
    assert response.status_code == 302
    live_open.refresh_from_db()
    assert live_open.present_user == bob


def test_another_members_user_gets_404_and_the_attempt_is_recorded(client, charlie, live_request):
    text = services.consent_text(live_request)
    assert_isolated(
        client,
        charlie,
        list_urls=[reverse("remote-portal:list")],
        hidden_text="Brécey",
        object_urls=[portal(live_request), portal(live_request, "pdf")],
        post_urls=[
            (portal(live_request, "accept"), {"text_sha256": rules.text_hash(text)}),
            (portal(live_request, "refuse"), {"text_sha256": rules.text_hash(text)}),
            (portal(live_request, "close"), {}),
            (portal(live_request, "presence"), {}),
        ],
        unchanged=lambda: list(RemoteSession.objects.values_list("status", "decided_at")),
    )
    recorded = events(live_request, EventKind.ATTEMPT_REFUSED)
    assert recorded.count() == 6
    assert {e.actor for e in recorded} == {charlie}


def test_the_member_trail_hides_who_made_a_refused_attempt(client, alice, charlie, live_request):
    client.force_login(charlie)
    client.get(portal(live_request))
    client.force_login(alice)
    page = client.get(portal(live_request)).content.decode()
    assert "Tentative refusée" in page
    assert "Charlie" not in page
    assert "charlie@" not in page


def test_another_member_cannot_reach_staff_pages(client, charlie, live_request):
    assert_isolated(
        client,
        charlie,
        object_urls=[
            reverse("remote:session", args=[live_request.pk]),
            reverse("remote:pdf", args=[live_request.pk]),
        ],
        post_urls=[(reverse("remote:request-close", args=[live_request.pk]), {})],
    )


def test_staff_opening_the_portal_link_are_sent_to_the_back_office(client, agent, live_request):
    client.force_login(agent)
    response = client.get(portal(live_request))
    assert response["Location"] == reverse("remote:session", args=[live_request.pk])


def test_portal_pages_answer_in_bounded_queries(client, alice, live_open):
    client.force_login(alice)
    for url in (portal(live_open), reverse("remote-portal:list")):
        client.get(url)
        assert count_queries(lambda url=url: client.get(url)) <= 15, url


def test_portal_ticket_page_loads_the_requests_of_the_ticket(client, alice, live_request, ticket):
    client.force_login(alice)
    page = client.get(reverse("desk-portal:ticket", args=[ticket.reference])).content.decode()
    panel_url = reverse("remote-portal:ticket-panel", args=[ticket.reference])
    assert f'hx-get="{panel_url}"' in page
    fragment = client.get(panel_url, HTTP_HX_REQUEST="true").content.decode()
    assert "votre accord est demandé" in fragment
    assert portal(live_request) in fragment


def test_the_ticket_panel_of_another_member_is_empty(client, charlie, live_request, ticket):
    client.force_login(charlie)
    fragment = client.get(reverse("remote-portal:ticket-panel", args=[ticket.reference]))
    assert fragment.status_code == 200
    assert fragment.content.decode().strip() == ""
