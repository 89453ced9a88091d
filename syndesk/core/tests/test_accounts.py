import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from syndesk.core.accounts import activation_token
from syndesk.core.models import AuditEntry
from syndesk.members.models import Membership
from syndesk.members.services import InvitationRefused, invite_member_user

pytestmark = pytest.mark.django_db
PASSWORD = "Un-mot-de-passe-solide-2026"


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """invite_member_user, with the mail sent as it is after the real commit."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return invite_member_user(**kwargs)

    return run


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0).removeprefix("http://testserver")


def test_a_member_user_signs_in_with_email_and_lands_on_the_portal(client, alice):
    response = client.post(
        reverse("login"), {"username": "ALICE@brecey.example", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("web:portal")


def test_staff_land_on_the_back_office(client, agent):
    client.force_login(agent)
    assert client.get(reverse("web:after-login"))["Location"] == reverse("web:staff")


def test_a_wrong_password_gives_one_message_without_hints(client, alice):
    response = client.post(reverse("login"), {"username": alice.email, "password": "nope"})
    body = html.unescape(response.text)
    assert "Adresse électronique ou mot de passe incorrect." in body
    unknown = client.post(reverse("login"), {"username": "x@example.org", "password": "nope"})
    assert "Adresse électronique ou mot de passe incorrect." in html.unescape(unknown.text)


def test_logout_is_a_post(client, alice):
    client.force_login(alice)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("web:portal")).status_code == 302


def test_password_reset_does_not_reveal_which_accounts_exist(client, alice):
    known = client.post(reverse("password_reset"), {"email": alice.email})
    unknown = client.post(reverse("password_reset"), {"email": "personne@example.org"})
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.email]


def test_password_reset_link_sets_a_new_password(client, alice):
    client.post(reverse("password_reset"), {"email": alice.email})
    link = link_in(mail.outbox[0])
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_weak_new_password_is_refused_in_french(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "123",
            "new_password2": "123",
        },
    )
    errors = response.context["form"].errors["new_password2"]
    assert any("trop court" in e for e in errors)


def test_an_invitation_creates_the_account_and_mails_a_link(
    client, billing, member_a, django_capture_on_commit_callbacks
):
    client.force_login(billing)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("members:invite", args=[member_a.pk]),
            {
                "email": "Secretariat@Brecey.example",
                "first_name": "Anne",
                "last_name": "Lecoq",
                "role": "Secrétaire de mairie",
            },
        )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="secretariat@brecey.example")
    assert not user.has_usable_password()
    assert Membership.objects.filter(user=user, member=member_a).exists()
    assert len(mail.outbox) == 1
    assert "Brécey" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="members.user.invited").exists()


def test_the_invitation_link_sets_the_password_once(client, billing, member_a, invite):
    invite(member=member_a, email="anne@brecey.example", invited_by=billing)
    link = link_in(mail.outbox[0])
    assert client.get(link).context["invalid"] is False
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response["Location"] == reverse("web:after-login")
    assert get_user_model().objects.get(email="anne@brecey.example").check_password(PASSWORD)
    client.logout()
    again = client.post(
        link, {"new_password1": "Autre-mot-de-passe-99", "new_password2": "Autre-mot-de-passe-99"}
    )
    assert again.context["invalid"] is True


def test_an_expired_invitation_is_refused(client, billing, member_a, settings, invite):
    membership = invite(member=member_a, email="anne@brecey.example", invited_by=billing)
    link = link_in(mail.outbox[0])
    token = link.rstrip("/").split("/")[-1]
    assert activation_token.check_token(membership.user, token)
    activation_token._now = lambda: (
        activation_token.__class__._now(activation_token)
        + timedelta(seconds=settings.INVITATION_TIMEOUT + 60)
    )
    try:
        assert not activation_token.check_token(membership.user, token)
        assert client.get(link).context["invalid"] is True
    finally:
        del activation_token._now


def test_a_tampered_link_is_refused(client, alice):
    response = client.get(reverse("activate", kwargs={"uidb64": "MQ", "token": "abc-def"}))
    assert response.context["invalid"] is True
    assert "expiré ou a déjà servi" in html.unescape(response.text)


def test_inviting_an_existing_user_adds_the_member_without_a_new_password(
    billing, alice, member_b, invite
):
    invite(member=member_b, email=alice.email, invited_by=billing)
    assert set(alice.memberships.values_list("member__name", flat=True)) == {"Brécey", "Avranches"}
    assert alice.has_usable_password()
    assert "Connectez-vous avec votre compte habituel" in mail.outbox[0].body


def test_a_staff_address_cannot_be_invited(client, billing, agent, member_a):
    with pytest.raises(InvitationRefused):
        invite_member_user(member=member_a, email=agent.email, invited_by=billing)
    client.force_login(billing)
    response = client.post(reverse("members:invite", args=[member_a.pk]), {"email": agent.email})
    assert "compte du personnel" in response.context["form"].errors["email"][0]
    assert not Membership.objects.exists()


def test_revoking_access_removes_the_membership(client, billing, alice, member_a):
    client.force_login(billing)
    membership = alice.memberships.get()
    client.post(reverse("members:revoke", args=[member_a.pk, membership.pk]))
    assert not alice.memberships.exists()
