"""A ticket typed without a call, and the live hints (exclusions, entitlement, contacts)."""

from html import unescape

import pytest
from django.urls import reverse

from syndesk.desk.models import Channel, Ticket

from .conftest import pdf

pytestmark = pytest.mark.django_db

CREATE = reverse("desk:create")


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def valid(member, **extra):
    return {
        "member": member.pk,
        "channel": Channel.EMAIL,
        "category": "usage",
        "priority": 2,
        "subject": "Export du grand livre",
        **extra,
    }


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 200), ("manager", 200), ("billing", 403), ("alice", 403), (None, 302)],
)
def test_who_may_create(client, persona, status, request, member_a):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get(CREATE).status_code == status
    if status != 200:
        client.post(CREATE, valid(member_a))
        assert not Ticket.objects.exists()


def test_create_with_contact_software_version_and_attachment(
    signed_in, member_a, gisele, emagnus_v8, subscription, agent
):
    response = signed_in.post(
        CREATE,
        valid(
            member_a,
            contact=gisele.pk,
            version=emagnus_v8.pk,
            description="Le fichier est vide.",
            attachments=[pdf()],
        ),
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("desk:ticket", args=[ticket.reference])
    assert (ticket.contact, ticket.software, ticket.version, ticket.opened_by) == (
        gisele,
        emagnus_v8.software,
        emagnus_v8,
        agent,
    )
    assert ticket.channel == Channel.EMAIL
    assert ticket.attachments.count() == 1
    assert ticket.entitled


def test_the_member_is_preselected_from_the_member_page(signed_in, member_a, gisele):
    response = signed_in.get(CREATE, {"member": member_a.pk})
    form = response.context["form"]
    assert form["member"].value() == member_a.pk
    assert list(form.fields["contact"].queryset) == [gisele]


def test_a_contact_of_another_member_is_refused(signed_in, member_b, gisele):
    response = signed_in.post(CREATE, valid(member_b, contact=gisele.pk))
    assert response.status_code == 200
    assert "contact" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_a_portal_channel_cannot_be_typed_by_staff(signed_in, member_a):
    response = signed_in.post(CREATE, valid(member_a, channel=Channel.PORTAL))
    assert "channel" in response.context["form"].errors


def test_a_version_of_another_software_is_refused(signed_in, member_a, emagnus_v8, horizon):
    response = signed_in.post(CREATE, valid(member_a, software=horizon.pk, version=emagnus_v8.pk))
    assert response.context["form"].errors["version"] == [
        "Cette version n'est pas une version du logiciel."
    ]


def test_not_covered_is_flagged_or_refused_at_the_member_field(signed_in, member_b, settings):
    signed_in.post(CREATE, valid(member_b))
    assert Ticket.objects.get().entitled is False
    settings.DESK_ENTITLEMENT_POLICY = "refuse"
    response = signed_in.post(CREATE, valid(member_b))
    assert "Aucun abonnement actif" in response.context["form"].errors["member"][0]
    assert Ticket.objects.count() == 1


def test_empty_subject_and_bad_attachment(signed_in, member_a):
    response = signed_in.post(CREATE, valid(member_a, subject=""))
    assert "subject" in response.context["form"].errors
    response = signed_in.post(CREATE, valid(member_a, attachments=[pdf("x.pdf", b"\x00\x01")]))
    assert "n'est pas au format" in response.context["form"].errors["attachments"][0]
    assert not Ticket.objects.exists()


# --------------------------------------------------------------------------- live hints


def test_exclusion_suggestions_as_the_agent_types(signed_in):
    response = signed_in.get(
        reverse("desk:suggestions"),
        {"subject": "Formation", "description": "au logiciel de paie"},
        headers={"HX-Request": "true"},
    )
    page = text(response)
    assert "Formation du personnel" in page
    assert "<html" not in page
    prefixed = signed_in.get(reverse("desk:suggestions"), {"ticket-subject": "le photocopieur"})
    assert "Paramétrage du photocopieur" in text(prefixed)
    assert text(signed_in.get(reverse("desk:suggestions"), {"subject": "mandat"})).strip() == ""


def test_entitlement_hint(signed_in, member_a, member_b, subscription, emagnus, horizon):
    def hint(**params):
        return text(signed_in.get(reverse("desk:entitlement"), params))

    assert "Couvert : Abonnement actif couvrant e.magnus." in hint(
        member=member_a.pk, software=emagnus.pk
    )
    assert "Non couvert : L'abonnement ne couvre pas le logiciel Horizon On-Line." in hint(
        member=member_a.pk, software=horizon.pk
    )
    assert "Non couvert : Aucun abonnement actif" in hint(member=member_b.pk)
    assert "Choisissez l'adhérent" in hint(member="")


def test_contact_options_for_the_member_chosen(signed_in, member_a, gisele):
    page = text(signed_in.get(reverse("desk:contact-options"), {"identify-member": member_a.pk}))
    assert f'<option value="{gisele.pk}">Gisèle Martin (Secrétaire de mairie)</option>' in page
    assert "Gisèle" not in text(signed_in.get(reverse("desk:contact-options"), {"member": "x"}))


@pytest.mark.parametrize("name", ["suggestions", "entitlement", "contact-options"])
def test_hints_are_for_staff(client, alice, name):
    client.force_login(alice)
    assert client.get(reverse(f"desk:{name}")).status_code == 403
