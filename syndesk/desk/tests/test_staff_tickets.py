"""The agents' ticket page and its actions: each action posts to its own URL, calls one
service and comes back with a message; a refusal is shown at the field."""

from html import unescape

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syndesk.core.models import AuditEntry
from syndesk.core.testing import count_queries
from syndesk.desk import services
from syndesk.desk.models import (
    Category,
    Exclusion,
    Outcome,
    Priority,
    SLAPause,
    Status,
    Ticket,
    TicketMessage,
    TimeEntry,
)

from .conftest import PDF, PNG, pdf

pytestmark = pytest.mark.django_db


def url(name, ticket, **kwargs):
    return reverse(f"desk:{name}", kwargs={"reference": ticket.reference, **kwargs})


def text(response) -> str:
    """The page as read (HTML entities decoded: Django escapes apostrophes)."""
    return unescape(response.content.decode())


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


# --------------------------------------------------------------------------- page


def test_the_page_shows_header_clocks_and_conversation(signed_in, ticket):
    services.add_note(ticket=ticket, body="Vu avec l'éditeur.", by=ticket.opened_by)
    response = signed_in.get(url("ticket", ticket))
    assert response.status_code == 200
    body = text(response)
    assert f"{ticket.reference} — Mandat rejeté par le comptable" in body
    for shown in (
        "Brécey",
        "Gisèle Martin",
        "e.magnus",
        "Téléphone",
        "Question d'utilisation",
        "Normale",
        "Nouvelle",
        "1re réponse",
        "Résolution",
        "couverte",
    ):
        assert shown in body, shown
    assert 'class="msg-member"' in body
    assert 'class="msg-internal"' in body
    assert "Note interne" in body


def test_the_ticket_url_is_the_one_services_put_in_mails(ticket):
    assert services.ticket_url(ticket, staff=True).endswith(
        f"/gestion/assistance/{ticket.reference}/"
    )


def test_an_unknown_reference_is_404(signed_in):
    assert signed_in.get(reverse("desk:ticket", args=["AS-2026-99999"])).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"), [("billing", 200), ("manager", 200), ("alice", 403), (None, 302)]
)
def test_who_may_read_the_page(client, ticket, persona, status, request):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    response = client.get(url("ticket", ticket))
    assert response.status_code == status
    if persona == "billing":
        assert "Consultation seule." in response.content.decode()
        assert 'action="' + url("reply", ticket) not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("reply", {"reply-kind": "public", "reply-body": "Bonjour"}),
        ("assign", {"assign-assignee": ""}),
        ("status", {"status-status": "in_progress"}),
        ("resolve", {"resolve-outcome": "solved"}),
        ("close", {"close-outcome": "abandoned"}),
        ("log-time", {"time-minutes": "10"}),
        (
            "classify",
            {"classify-subject": "Autre", "classify-category": "usage", "classify-priority": "2"},
        ),
    ],
)
def test_billing_and_member_users_cannot_act(client, ticket, billing, alice, name, data):
    before = (fresh(ticket).status, TicketMessage.objects.count(), TimeEntry.objects.count())
    for user in (billing, alice):
        client.force_login(user)
        assert client.post(url(name, ticket), data).status_code == 403
    client.logout()
    assert client.post(url(name, ticket), data).status_code == 302  # to the login page
    assert (
        fresh(ticket).status,
        TicketMessage.objects.count(),
        TimeEntry.objects.count(),
    ) == before


def test_the_page_runs_a_bounded_number_of_queries(signed_in, open_ticket, agent):
    def grow(ticket, n):
        for i in range(n):
            services.add_reply(
                ticket=ticket, body=f"Réponse {i}", by=agent, attachments=[pdf(f"r{i}.pdf")]
            )
            services.add_note(ticket=ticket, body=f"Note {i}", by=agent)
            services.log_time(ticket=ticket, minutes=5, by=agent)

    small, large = open_ticket(), open_ticket()
    grow(small, 1)
    grow(large, 10)
    few = count_queries(lambda: signed_in.get(url("ticket", small)))
    many = count_queries(lambda: signed_in.get(url("ticket", large)))
    assert few == many
    assert many <= 25


# --------------------------------------------------------------------------- reply


def test_a_public_reply_is_mailed_and_starts_work(
    signed_in, ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            url("reply", ticket), {"reply-kind": "public", "reply-body": "Relancez le bordereau."}
        )
    assert response.status_code == 302
    assert response["Location"] == url("ticket", ticket)
    ticket = fresh(ticket)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.first_responded_at is not None
    assert [m.to for m in mail.outbox] == [["mairie@brecey.example"]]
    page = text(signed_in.get(response["Location"]))
    assert "Réponse envoyée à l'adhérent." in page
    assert 'class="msg-staff"' in page


def test_an_internal_note_is_not_mailed(signed_in, ticket, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url("reply", ticket), {"reply-kind": "internal", "reply-body": "Bizarre."})
    message = ticket.messages.last()
    assert message.kind == TicketMessage.Kind.INTERNAL
    assert mail.outbox == []
    assert fresh(ticket).first_responded_at is None


def test_a_reply_can_wait_for_the_member(signed_in, ticket):
    signed_in.post(
        url("reply", ticket),
        {
            "reply-kind": "public",
            "reply-body": "Envoyez la capture.",
            "reply-wait_for_member": "on",
        },
    )
    ticket = fresh(ticket)
    assert ticket.status == Status.WAITING_MEMBER
    assert ticket.paused_since is not None


def test_an_empty_reply_is_refused_at_the_field(signed_in, ticket):
    response = signed_in.post(url("reply", ticket), {"reply-kind": "public", "reply-body": "  "})
    assert response.status_code == 200
    assert response.context["forms"]["reply"].errors["body"] == ["Le message est vide."]
    assert response.context["error_form"] == "reply"
    assert ticket.messages.count() == 1


def test_attachments_are_stored_and_downloaded_by_staff_only(
    signed_in, client, ticket, alice, billing
):
    response = signed_in.post(
        url("reply", ticket),
        {
            "reply-kind": "public",
            "reply-body": "Voici la procédure.",
            "reply-attachments": [pdf("procédure.pdf"), SimpleUploadedFile("c.png", PNG)],
        },
    )
    assert response.status_code == 302
    attachments = list(ticket.attachments.order_by("pk"))
    assert [a.kind for a in attachments] == ["pdf", "png"]
    download = signed_in.get(reverse("desk:attachment", args=[attachments[0].pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF
    client.force_login(billing)
    assert client.get(reverse("desk:attachment", args=[attachments[0].pk])).status_code == 200
    client.force_login(alice)  # the portal has its own view
    assert client.get(reverse("desk:attachment", args=[attachments[0].pk])).status_code == 403


def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_saved(signed_in, ticket):
    exe = SimpleUploadedFile("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)
    response = signed_in.post(
        url("reply", ticket),
        {"reply-kind": "public", "reply-body": "Ci-joint", "reply-attachments": [exe]},
    )
    assert response.status_code == 200
    errors = response.context["forms"]["reply"].errors["attachments"]
    assert "setup.pdf" in errors[0]
    assert "n'est pas au format" in errors[0]
    assert ticket.messages.count() == 1
    assert not ticket.attachments.exists()


def test_a_file_too_large_is_refused(signed_in, ticket, settings):
    settings.DESK_ATTACHMENT_MAX_BYTES = 10
    response = signed_in.post(
        url("reply", ticket),
        {"reply-kind": "public", "reply-body": "Ci-joint", "reply-attachments": [pdf()]},
    )
    assert (
        "dépasse la taille maximale" in response.context["forms"]["reply"].errors["attachments"][0]
    )
    assert not ticket.attachments.exists()


def test_a_closed_ticket_takes_internal_notes_only(signed_in, ticket, agent):
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    page = signed_in.get(url("ticket", ticket))
    assert list(dict(page.context["forms"]["reply"].fields["kind"].choices)) == ["internal"]
    assert "resolve" not in page.context["forms"]
    response = signed_in.post(url("reply", ticket), {"reply-kind": "public", "reply-body": "Re"})
    assert response.status_code == 200
    assert "kind" in response.context["forms"]["reply"].errors
    response = signed_in.post(url("reply", ticket), {"reply-kind": "internal", "reply-body": "Nb"})
    assert response.status_code == 302
    assert ticket.messages.filter(kind="internal").count() == 1


# --------------------------------------------------------------------------- assignment


def test_assign_to_me_and_to_a_colleague(
    signed_in, ticket, agent, other_agent, django_capture_on_commit_callbacks
):
    signed_in.post(url("assign", ticket), {"assign-assignee": agent.pk})
    assert fresh(ticket).assignee == agent
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url("assign", ticket), {"assign-assignee": other_agent.pk})
    assert response.status_code == 302
    assert fresh(ticket).assignee == other_agent
    assert [m.to for m in mail.outbox] == [[other_agent.email]]
    signed_in.post(url("assign", ticket), {"assign-assignee": ""})
    assert fresh(ticket).assignee is None


def test_a_member_user_or_billing_cannot_be_assigned(signed_in, ticket, alice, billing):
    for user in (alice, billing):
        response = signed_in.post(url("assign", ticket), {"assign-assignee": user.pk})
        assert response.status_code == 200
        assert "assignee" in response.context["forms"]["assign"].errors
    assert fresh(ticket).assignee is None


# --------------------------------------------------------------------------- status


def test_waiting_needs_a_reason_at_the_field(signed_in, ticket):
    response = signed_in.post(url("status", ticket), {"status-status": "waiting_vendor"})
    assert response.status_code == 200
    assert response.context["forms"]["status"].errors["reason"] == [
        "Indiquez pourquoi le délai est suspendu."
    ]
    assert fresh(ticket).status == Status.NEW
    assert not SLAPause.objects.exists()


def test_waiting_with_a_reason_pauses_then_resumes(signed_in, ticket):
    signed_in.post(
        url("status", ticket),
        {"status-status": "waiting_vendor", "status-reason": "Correctif attendu de l'éditeur"},
    )
    ticket = fresh(ticket)
    assert ticket.status == Status.WAITING_VENDOR
    assert SLAPause.objects.get().reason == "Correctif attendu de l'éditeur"
    page = text(signed_in.get(url("ticket", ticket)))
    assert "Correctif attendu de l'éditeur" in page
    signed_in.post(url("status", ticket), {"status-status": "in_progress"})
    ticket = fresh(ticket)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.paused_since is None


def test_an_impossible_status_is_refused(signed_in, ticket):
    response = signed_in.post(url("status", ticket), {"status-status": "closed"})
    assert response.status_code == 200
    assert "status" in response.context["forms"]["status"].errors


# --------------------------------------------------------------------------- resolve, close


def test_resolve_then_reopen(signed_in, ticket, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url("resolve", ticket), {"resolve-outcome": "by_sheet"})
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert (ticket.status, ticket.outcome) == (Status.RESOLVED, Outcome.BY_SHEET)
    assert len(mail.outbox) == 1
    page = signed_in.get(url("ticket", ticket))
    assert "reopen" in page.context["forms"]
    assert "resolve" not in page.context["forms"]
    signed_in.post(url("reopen", ticket), {"reopen-reason": "Le problème revient"})
    ticket = fresh(ticket)
    assert ticket.status == Status.IN_PROGRESS
    assert AuditEntry.objects.filter(action="desk.ticket.reopened").exists()


def test_close_as_duplicate_needs_the_original(signed_in, open_ticket, member_b):
    original, copy = open_ticket(), open_ticket()
    response = signed_in.post(url("close", copy), {})
    assert "outcome" in response.context["forms"]["close"].errors  # no default motive
    response = signed_in.post(url("close", copy), {"close-outcome": "duplicate"})
    assert response.context["forms"]["close"].errors["duplicate_of"] == [
        "Indiquez la demande dont celle-ci est le doublon."
    ]
    response = signed_in.post(
        url("close", copy), {"close-outcome": "duplicate", "close-duplicate_of": "AS-2026-09999"}
    )
    assert "Aucune demande" in response.context["forms"]["close"].errors["duplicate_of"][0]
    other = open_ticket(member=member_b, contact=None, software=None)
    response = signed_in.post(
        url("close", copy), {"close-outcome": "duplicate", "close-duplicate_of": other.reference}
    )
    assert response.context["forms"]["close"].errors["duplicate_of"] == [
        "La demande d'origine concerne un autre adhérent."
    ]
    response = signed_in.post(
        url("close", copy),
        {"close-outcome": "duplicate", "close-duplicate_of": original.reference.lower()},
    )
    assert response.status_code == 302
    copy = fresh(copy)
    assert (copy.status, copy.outcome, copy.duplicate_of) == (
        Status.CLOSED,
        Outcome.DUPLICATE,
        original,
    )


def test_a_closed_ticket_reads_close_in_french(signed_in, ticket, agent):
    # Regression: Django's French catalogue translates the English button "Close" to
    # "Fermer"; the status label carries a context.
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    page = text(signed_in.get(url("ticket", ticket)))
    assert "<strong>Close</strong> — Abandonnée" in page
    assert "Fermer" not in page


def test_a_closed_ticket_refuses_actions_with_the_reason(signed_in, ticket, agent):
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    for name, data, prefix in (
        ("assign", {"assign-assignee": agent.pk}, "assign"),
        ("close", {"close-outcome": "abandoned"}, "close"),
        ("reopen", {}, "reopen"),
        ("resolve", {"resolve-outcome": "solved"}, "resolve"),
    ):
        response = signed_in.post(url(name, ticket), data)
        assert response.status_code == 200, name
        errors = response.context["forms"][prefix].non_field_errors()
        assert errors, name
    assert fresh(ticket).assignee is None


# --------------------------------------------------------------------------- time, classify


def test_log_time(signed_in, ticket, agent):
    response = signed_in.post(url("log-time", ticket), {"time-minutes": "25", "time-note": "Tél."})
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.agent, entry.note) == (25, agent, "Tél.")
    assert "Total : 25 min" in text(signed_in.get(url("ticket", ticket)))


@pytest.mark.parametrize("minutes", ["0", "1441", "abc", ""])
def test_bad_time_is_refused_at_the_field(signed_in, ticket, minutes):
    response = signed_in.post(url("log-time", ticket), {"time-minutes": minutes})
    assert response.status_code == 200
    assert "minutes" in response.context["forms"]["time"].errors
    assert not TimeEntry.objects.exists()


def test_classify_changes_priority_and_flags_entitlement(signed_in, ticket, horizon):
    due = ticket.resolution_due
    response = signed_in.post(
        url("classify", ticket),
        {
            "classify-subject": "Mandat rejeté",
            "classify-software": horizon.pk,
            "classify-category": Category.ANOMALY,
            "classify-priority": Priority.URGENT,
            "classify-contact": ticket.contact_id,
        },
    )
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert (ticket.software, ticket.category, ticket.priority) == (
        horizon,
        Category.ANOMALY,
        Priority.URGENT,
    )
    assert ticket.resolution_due < due
    assert not ticket.entitled
    page = text(signed_in.get(url("ticket", ticket)))
    assert "Attention : L'abonnement ne couvre pas le logiciel Horizon On-Line." in page


def test_classify_refuses_under_the_refuse_policy_at_the_field(
    signed_in, ticket, horizon, settings
):
    settings.DESK_ENTITLEMENT_POLICY = "refuse"
    response = signed_in.post(
        url("classify", ticket),
        {
            "classify-subject": ticket.subject,
            "classify-software": horizon.pk,
            "classify-category": ticket.category,
            "classify-priority": ticket.priority,
        },
    )
    assert response.status_code == 200
    assert response.context["forms"]["classify"].errors["software"] == [
        "L'abonnement ne couvre pas le logiciel Horizon On-Line."
    ]
    assert fresh(ticket).software.name == "e.magnus"


# --------------------------------------------------------------------------- out of scope


def test_the_suggested_exclusion_comes_first_and_redirects_in_one_click(
    signed_in, open_ticket, django_capture_on_commit_callbacks
):
    ticket = open_ticket(subject="Formation au logiciel de paie", description="")
    training = Exclusion.objects.get(title="Formation du personnel")
    page = signed_in.get(url("ticket", ticket))
    assert [m.exclusion for m in page.context["suggestions"]] == [training]
    choices = list(page.context["forms"]["redirect"].fields["exclusion"].choices)
    assert choices[1][0] == training.pk
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url("redirect", ticket), {"redirect-exclusion": training.pk})
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert (ticket.status, ticket.outcome, ticket.category, ticket.exclusion) == (
        Status.CLOSED,
        Outcome.REDIRECTED,
        Category.OUT_OF_SCOPE,
        training,
    )
    assert "fournisseurs et interlocuteurs habituels" in mail.outbox[0].body


def test_an_inactive_exclusion_cannot_be_chosen(signed_in, ticket):
    exclusion = Exclusion.objects.first()
    exclusion.is_active = False
    exclusion.save()
    response = signed_in.post(url("redirect", ticket), {"redirect-exclusion": exclusion.pk})
    assert response.status_code == 200
    assert "exclusion" in response.context["forms"]["redirect"].errors
    assert fresh(ticket).status == Status.NEW


# --------------------------------------------------------------------------- history, panel


def test_the_history_is_in_words(signed_in, ticket, agent, other_agent):
    services.assign(ticket=ticket, assignee=other_agent, by=agent)
    services.pause_sla(ticket=ticket, reason="Capture demandée", by=agent)
    page = text(signed_in.get(url("ticket", ticket)))
    assert "Demande ouverte" in page
    assert "Attribution : à Paul" in page
    assert "Mise en attente : Nouvelle → En attente de l'adhérent — motif : Capture" in page


def test_the_member_page_lists_open_tickets_and_last_calls(signed_in, ticket, agent, gisele):
    call = services.start_call(number=gisele.phone, agent=agent)
    page = text(signed_in.get(reverse("members:detail", args=[ticket.member_id])))
    assert ticket.reference in page
    assert reverse("desk:call", args=[call.pk]) in page
    assert f"?view=all&member={ticket.member_id}" in page
