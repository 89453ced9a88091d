import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from syndesk.core import roles
from syndesk.core.roles import role_of

pytestmark = pytest.mark.django_db


def test_roles_are_groups_with_their_declared_permissions(db):
    roles.sync_roles()
    from django.contrib.auth.models import Group

    agent = {p.codename for p in Group.objects.get(name="agent").permissions.all()}
    billing = {p.codename for p in Group.objects.get(name="billing").permissions.all()}
    manager = {p.codename for p in Group.objects.get(name="manager").permissions.all()}
    assert "view_member" in agent
    assert "change_member" not in agent
    assert {"add_member", "change_member"} <= billing
    assert "manage_staff" not in billing
    assert {"manage_staff", "add_closureday", "delete_member"} <= manager


def test_a_manager_creates_a_staff_account_with_an_activation_link(
    client, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("core:staff-create"),
            {
                "email": "Paul@Syndicat.example",
                "first_name": "Paul",
                "last_name": "Hue",
                "role": "agent",
            },
        )
    assert response.status_code == 302
    paul = get_user_model().objects.get(email="paul@syndicat.example")
    assert paul.is_staff
    assert role_of(paul) == "agent"
    assert not paul.has_usable_password()
    assert "/compte/activer/" in mail.outbox[0].body


def test_a_duplicate_staff_address_is_refused(client, manager, agent):
    client.force_login(manager)
    response = client.post(
        reverse("core:staff-create"),
        {
            "email": agent.email.upper(),
            "first_name": "A",
            "last_name": "B",
            "role": "agent",
        },
    )
    assert response.context["form"].errors["email"] == ["Un compte existe déjà avec cette adresse."]


def test_only_managers_manage_staff(client, agent, billing, alice):
    for user in (agent, billing, alice):
        client.force_login(user)
        assert client.get(reverse("core:staff-list")).status_code == 403
        assert client.post(reverse("core:staff-create"), {"email": "x@y.fr"}).status_code == 403
    assert not get_user_model().objects.filter(email="x@y.fr").exists()


def test_a_manager_changes_a_role_and_cannot_deactivate_themselves(client, manager, agent):
    client.force_login(manager)
    client.post(reverse("core:staff-edit", args=[agent.pk]), {"role": "billing", "is_active": "on"})
    assert role_of(agent) == "billing"
    response = client.post(reverse("core:staff-edit", args=[manager.pk]), {"role": "manager"})
    assert "propre compte" in response.context["form"].errors["is_active"][0]
    manager.refresh_from_db()
    assert manager.is_active


def test_member_users_have_no_role(alice):
    assert role_of(alice) is None
