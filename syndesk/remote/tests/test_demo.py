"""The demo sessions load through the services, once."""

import pytest

from syndesk.conftest import make_user
from syndesk.core import roles
from syndesk.remote.demo import load_remote_demo
from syndesk.remote.models import CloseKind, RemoteSession, Status

pytestmark = pytest.mark.django_db


def test_demo_sessions_closed_refused_abandoned_expired(member_a, ticket, tools):
    make_user("agent@syndesk.demo", role=roles.AGENT)
    make_user("mairie@saint-hilaire.demo", member=member_a)
    make_user("dgs@saint-hilaire.demo", member=member_a)
    assert load_remote_demo() == {"sessions": 4}
    assert sorted(RemoteSession.objects.values_list("status", flat=True)) == sorted(
        [Status.CLOSED, Status.REFUSED, Status.ABANDONED, Status.EXPIRED]
    )
    closed = RemoteSession.objects.get(status=Status.CLOSED)
    assert closed.close_kind == CloseKind.BY_USER
    assert closed.closed_by.email == "dgs@saint-hilaire.demo"  # after the hand-over
    assert load_remote_demo() == {"sessions": 4}  # idempotent
