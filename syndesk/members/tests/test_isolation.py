"""A member user reaches only their own organisation's data."""

import html

import pytest
from django.urls import reverse

from syndesk.core.testing import assert_isolated
from syndesk.members.models import Contact, Member, Membership
from syndesk.members.portal import SESSION_KEY

pytestmark = pytest.mark.django_db


def test_visible_to_scopes_every_member_queryset(alice, charlie, member_a, member_b, agent):
    Contact.objects.create(member=member_b, last_name="Secret")
    assert list(Member.objects.visible_to(alice)) == [member_a]
    assert list(Member.objects.visible_to(agent).order_by("pk")) == [member_a, member_b]
    assert not Contact.objects.visible_to(alice).exists()
    assert Contact.objects.visible_to(charlie).count() == 1
    assert set(Membership.objects.visible_to(alice)) == set(member_a.memberships.all())


def test_anonymous_and_inactive_users_see_nothing(alice, member_a):
    from django.contrib.auth.models import AnonymousUser

    assert not Member.objects.visible_to(AnonymousUser()).exists()
    alice.is_active = False
    assert not Member.objects.visible_to(alice).exists()


def test_a_member_user_cannot_reach_another_members_pages(client, alice, member_b):
    contact = Contact.objects.create(member=member_b, last_name="Secret")
    assert_isolated(
        client,
        alice,
        list_urls=[reverse("web:portal"), reverse("member-portal:home")],
        hidden_text="Avranches",
        object_urls=[
            reverse("members:detail", args=[member_b.pk]),
            reverse("members:edit", args=[member_b.pk]),
            reverse("members:contact-edit", args=[member_b.pk, contact.pk]),
            reverse("members:list"),
        ],
        post_urls=[
            (reverse("members:edit", args=[member_b.pk]), {"name": "Pirate"}),
            (reverse("members:contact-delete", args=[member_b.pk, contact.pk]), {}),
            (reverse("members:invite", args=[member_b.pk]), {"email": "x@example.org"}),
        ],
        unchanged=lambda: (
            list(Member.objects.values_list("name", flat=True).order_by("pk")),
            Contact.objects.count(),
            Membership.objects.count(),
        ),
    )


def test_a_member_user_cannot_switch_to_a_foreign_member(client, alice, member_b):
    client.force_login(alice)
    response = client.post(reverse("member-portal:switch"), {"member": member_b.pk}, follow=True)
    assert "Vous n'avez pas accès à cette organisation." in html.unescape(response.text)
    assert client.session.get(SESSION_KEY) is None
    assert response.context["active_member"].name == "Brécey"


def test_a_forged_session_value_falls_back_to_an_own_member(client, alice, member_b):
    client.force_login(alice)
    session = client.session
    session[SESSION_KEY] = member_b.pk
    session.save()
    body = client.get(reverse("member-portal:home")).content.decode()
    assert "Brécey" in body
    assert "Avranches" not in body


def test_an_epci_officer_switches_between_their_members(client, alice, member_a, member_b):
    Membership.objects.create(user=alice, member=member_b)
    client.force_login(alice)
    client.post(reverse("member-portal:switch"), {"member": member_b.pk})
    response = client.get(reverse("member-portal:home"))
    assert response.context["member"] == member_b
