"""The one-query permission backend answers exactly as Django's ModelBackend."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndesk.core.backends import PermissionBackend
from syndesk.core.models import User

pytestmark = pytest.mark.django_db

CODENAMES = ["view_ticket", "change_ticket", "view_invoice", "add_invoice", "manage_staff"]


def _permissions(codenames):
    return list(Permission.objects.filter(codename__in=codenames))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    own=st.sets(st.sampled_from(CODENAMES)),
    groups=st.lists(st.sets(st.sampled_from(CODENAMES)), max_size=3),
    superuser=st.booleans(),
    active=st.booleans(),
)
def test_the_same_permissions_as_django(own, groups, superuser, active):
    User.objects.filter(email="perm@syndicat.example").delete()
    Group.objects.filter(name__startswith="perm-test-").delete()
    user = User.objects.create_user(
        "perm@syndicat.example", is_staff=True, is_superuser=superuser, is_active=active
    )
    user.user_permissions.set(_permissions(own))
    for index, codenames in enumerate(groups):
        group = Group.objects.create(name=f"perm-test-{index}")
        group.permissions.set(_permissions(codenames))
        user.groups.add(group)
    expected = ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
    fresh = User.objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as queries:
        found = PermissionBackend().get_all_permissions(fresh)
        # Asked again: the request's cache on the user, no query.
        assert PermissionBackend().get_all_permissions(fresh) == found
    assert found == expected
    assert len(queries) == (1 if active else 0)
    for perm in ("desk.view_ticket", "billing.add_invoice", "core.manage_staff"):
        assert fresh.has_perm(perm) == (perm in expected)


def test_a_staff_page_reads_the_permissions_in_one_query(client, agent):
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("desk:queue")).status_code == 200
    permission_reads = [q for q in queries if '"auth_permission"' in q["sql"]]
    assert len(permission_reads) == 1


def test_a_removed_role_is_refused_at_the_next_request(client, agent):
    client.force_login(agent)
    assert client.get(reverse("desk:queue")).status_code == 200
    agent.groups.clear()
    assert client.get(reverse("desk:queue")).status_code == 403


def test_a_staff_panel_is_shown_only_to_staff_with_its_permission(agent, billing, alice):
    from syndesk.core.panels import Panel

    panel = Panel("x.html", lambda request, obj: {}, staff_permission="desk.change_ticket")
    assert panel.shown_to(agent)
    assert not panel.shown_to(billing)  # staff, without the permission
    assert not panel.shown_to(alice)  # a member user
    assert not panel.shown_to(None)
    assert Panel("x.html", lambda request, obj: {}).shown_to(alice)
