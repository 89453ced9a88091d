"""The call screen: the number (typed or passed by the telephony system), the caller at
once, the unknown number attached in one step, a ticket in a few keystrokes, the call's
end and duration."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from syndesk.desk.models import Call, Channel, Priority, Ticket
from syndesk.members.models import Contact, MemberPhone

pytestmark = pytest.mark.django_db

START = reverse("desk:call-start")


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def take(client, number) -> Call:
    response = client.post(START, {"number": number})
    assert response.status_code == 302, response.context["form"].errors
    call = Call.objects.latest("pk")
    assert response["Location"] == reverse("desk:call", args=[call.pk])
    return call


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 200), ("manager", 200), ("billing", 403), ("alice", 403), (None, 302)],
)
def test_who_may_take_calls(client, persona, status, request):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get(START).status_code == status
    assert client.post(START, {"number": "0233480101"}).status_code in (status, 302)
    if status != 200:
        assert not Call.objects.exists()


def test_the_telephony_link_prefills_the_number_and_previews_the_caller(signed_in, gisele):
    response = signed_in.get(START, {"numero": "+33233480101"})
    page = text(response)
    assert 'value="+33233480101"' in page
    assert "Brécey" in page
    assert "Gisèle Martin" in page
    assert not Call.objects.exists()  # a GET records nothing: Enter takes the call


def test_a_known_number_shows_member_entitlement_and_open_tickets(
    signed_in, agent, gisele, subscription, emagnus, open_ticket
):
    earlier = open_ticket()
    call = take(signed_in, "02 33 48 01 01")
    assert (call.member, call.contact, call.agent) == (gisele.member, gisele, agent)
    response = signed_in.get(reverse("desk:call", args=[call.pk]))
    page = text(response)
    assert "Gisèle Martin" in page
    assert "Couvert : Abonnement actif." in page
    assert "e.magnus" in page  # covered software
    assert earlier.reference in page
    assert "L'inventaire des logiciels installés" in page
    assert "L'assistance est" in page
    assert "autofocus" in str(response.context["ticket_form"]["subject"])


def test_a_member_without_subscription_is_shown_not_covered(signed_in, member_b):
    MemberPhone.objects.create(member=member_b, number="+33233580000")
    call = take(signed_in, "0233580000")
    page = text(signed_in.get(reverse("desk:call", args=[call.pk])))
    assert "Non couvert : Aucun abonnement actif" in page
    assert "ouverte et signalée « non couverte »" in page


def test_a_ticket_is_created_from_the_call(signed_in, gisele, subscription, emagnus):
    call = take(signed_in, "0233480101")
    response = signed_in.post(
        reverse("desk:call-ticket", args=[call.pk]),
        {
            "ticket-subject": "Mandat rejeté",
            "ticket-software": emagnus.pk,
            "ticket-category": "anomaly",
            "ticket-priority": Priority.HIGH,
            "ticket-contact": gisele.pk,
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("desk:ticket", args=[ticket.reference])
    assert (ticket.channel, ticket.member, ticket.contact, ticket.priority, ticket.entitled) == (
        Channel.PHONE,
        gisele.member,
        gisele,
        Priority.HIGH,
        True,
    )
    call.refresh_from_db()
    assert call.ticket == ticket
    assert call.ended_at is None  # the call goes on
    page = text(signed_in.get(response["Location"]))
    assert "Appel en cours avec le 02 33 48 01 01" in page


def test_create_and_end_the_call_in_one_go(signed_in, gisele, subscription):
    call = take(signed_in, "0233480101")
    Call.objects.filter(pk=call.pk).update(started_at=timezone.now() - timedelta(minutes=4))
    signed_in.post(
        reverse("desk:call-ticket", args=[call.pk]),
        {
            "ticket-subject": "Question",
            "ticket-category": "usage",
            "ticket-priority": 2,
            "end_call": "1",
        },
    )
    call.refresh_from_db()
    assert call.ended_at is not None
    assert call.duration >= timedelta(minutes=4)


def test_the_refuse_policy_shows_the_reason_at_the_field(
    signed_in, settings, gisele, subscription, horizon
):
    settings.DESK_ENTITLEMENT_POLICY = "refuse"
    call = take(signed_in, "0233480101")
    response = signed_in.post(
        reverse("desk:call-ticket", args=[call.pk]),
        {
            "ticket-subject": "Paie",
            "ticket-software": horizon.pk,
            "ticket-category": "usage",
            "ticket-priority": 2,
        },
    )
    assert response.status_code == 200
    assert response.context["ticket_form"].errors["software"] == [
        "L'abonnement ne couvre pas le logiciel Horizon On-Line."
    ]
    assert not Ticket.objects.exists()


def test_the_refuse_policy_for_a_member_without_subscription(signed_in, settings, member_b):
    settings.DESK_ENTITLEMENT_POLICY = "refuse"
    MemberPhone.objects.create(member=member_b, number="+33233580000")
    call = take(signed_in, "0233580000")
    page = text(signed_in.get(reverse("desk:call", args=[call.pk])))
    assert "Une demande sera refusée" in page
    response = signed_in.post(
        reverse("desk:call-ticket", args=[call.pk]),
        {"ticket-subject": "Paie", "ticket-category": "usage", "ticket-priority": 2},
    )
    assert "Aucun abonnement actif" in response.context["ticket_form"].non_field_errors()[0]


def test_an_empty_subject_is_refused_at_the_field(signed_in, gisele):
    call = take(signed_in, "0233480101")
    response = signed_in.post(
        reverse("desk:call-ticket", args=[call.pk]),
        {"ticket-subject": "", "ticket-category": "usage", "ticket-priority": 2},
    )
    assert "subject" in response.context["ticket_form"].errors
    assert not Ticket.objects.exists()


def test_an_unknown_number_is_attached_to_a_contact_in_one_step(signed_in, gisele, member_a):
    call = take(signed_in, "06 12 34 56 78")
    response = signed_in.get(reverse("desk:call", args=[call.pk]))
    assert "Numéro inconnu" in text(response)
    assert "ticket_form" not in response.context
    response = signed_in.post(
        reverse("desk:call-identify", args=[call.pk]),
        {"identify-member": member_a.pk, "identify-contact": gisele.pk, "identify-remember": "on"},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.member, call.contact) == (member_a, gisele)
    assert Contact.objects.get(pk=gisele.pk).mobile == "+33612345678"
    page = text(signed_in.get(response["Location"]))
    assert "Appelant identifié : Brécey (Gisèle Martin). Le numéro est enregistré." in page
    assert take(signed_in, "0612345678").contact == gisele


def test_an_unknown_number_is_kept_on_the_member(signed_in, member_a):
    call = take(signed_in, "02 33 00 00 01")
    signed_in.post(
        reverse("desk:call-identify", args=[call.pk]),
        {"identify-member": member_a.pk, "identify-remember": "on"},
    )
    assert MemberPhone.objects.filter(member=member_a, number="+33233000001").exists()


def test_a_shared_number_offers_the_candidates(signed_in, member_a, member_b):
    for member in (member_a, member_b):
        MemberPhone.objects.create(member=member, number="+33233480100")
    call = take(signed_in, "0233480100")
    response = signed_in.get(reverse("desk:call", args=[call.pk]))
    assert "Plusieurs adhérents possibles" in text(response)
    choices = [c[0] for c in response.context["identify_form"].fields["member"].choices][1:]
    assert {c.value for c in choices} == {member_a.pk, member_b.pk}


def test_identify_refuses_a_contact_of_another_member(signed_in, member_b, gisele):
    call = take(signed_in, "0612345678")
    response = signed_in.post(
        reverse("desk:call-identify", args=[call.pk]),
        {"identify-member": member_b.pk, "identify-contact": gisele.pk},
    )
    assert response.status_code == 200
    assert "contact" in response.context["identify_form"].errors
    call.refresh_from_db()
    assert call.member is None


def test_an_invalid_number_cannot_be_remembered(signed_in, member_a):
    call = take(signed_in, "12")
    assert "Numéro non valide" in text(signed_in.get(reverse("desk:call", args=[call.pk])))
    response = signed_in.post(
        reverse("desk:call-identify", args=[call.pk]),
        {"identify-member": member_a.pk, "identify-remember": "on"},
    )
    assert "ne peut être enregistré" in response.context["identify_form"].non_field_errors()[0]


def test_a_ticket_needs_an_identified_caller(signed_in, db):
    call = take(signed_in, "0612345678")
    response = signed_in.post(
        reverse("desk:call-ticket", args=[call.pk]),
        {"ticket-subject": "x", "ticket-category": "usage", "ticket-priority": 2},
        follow=True,
    )
    assert "Identifiez d'abord l'appelant." in text(response)
    assert not Ticket.objects.exists()


def test_an_empty_number_is_refused(signed_in):
    response = signed_in.post(START, {"number": "  "})
    assert response.status_code == 200
    assert "number" in response.context["form"].errors
    assert not Call.objects.exists()


def test_ending_a_call_records_end_and_duration_once(signed_in, gisele):
    call = take(signed_in, "0233480101")
    response = signed_in.post(
        reverse("desk:call-end", args=[call.pk]), {"end-notes": "Rappeler jeudi"}, follow=True
    )
    call.refresh_from_db()
    assert call.ended_at is not None
    assert call.notes == "Rappeler jeudi"
    assert "Appel terminé (" in text(response)
    again = signed_in.post(reverse("desk:call-end", args=[call.pk]), follow=True)
    assert "Cet appel est déjà terminé." in text(again)


def test_running_calls_are_listed_on_the_start_page(signed_in, gisele):
    call = take(signed_in, "0233480101")
    page = text(signed_in.get(START))
    assert reverse("desk:call", args=[call.pk]) in page


def test_billing_cannot_act_on_calls(client, billing, agent, gisele, member_a):
    from syndesk.desk import services

    call = services.start_call(number="0233480101", agent=agent)
    client.force_login(billing)
    page = client.get(reverse("desk:call", args=[call.pk]))  # reads, without the forms
    assert page.status_code == 200
    assert "ticket_form" not in page.context
    assert page.context["end_form"] is None
    assert "Terminer l'appel" not in text(page)
    for name, data in (
        ("call-end", {}),
        ("call-identify", {"identify-member": member_a.pk}),
        ("call-ticket", {"ticket-subject": "x", "ticket-category": "usage", "ticket-priority": 2}),
    ):
        assert client.post(reverse(f"desk:{name}", args=[call.pk]), data).status_code == 403
    call.refresh_from_db()
    assert call.ended_at is None
    assert not Ticket.objects.exists()


def test_a_member_user_cannot_see_a_call(client, alice, agent, gisele):
    from syndesk.desk import services

    call = services.start_call(number="0233480101", agent=agent)
    client.force_login(alice)
    assert client.get(reverse("desk:call", args=[call.pk])).status_code == 403
