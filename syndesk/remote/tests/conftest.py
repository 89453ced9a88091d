"""Remote fixtures: the desk's Brécey ticket (member_a: alice and bob; Gisèle Martin is the
town-hall secretary contact) and the seeded tools. Times are Paris wall-clock."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from syndesk.desk.tests import conftest as desk_fixtures
from syndesk.remote import services
from syndesk.remote.models import RemoteTool

T0 = desk_fixtures.MONDAY_10H

# The desk's fixtures, reused as they are.
emagnus = desk_fixtures.emagnus
gisele = desk_fixtures.gisele
open_ticket = desk_fixtures.open_ticket
subscription = desk_fixtures.subscription


@pytest.fixture
def ticket(open_ticket):
    return open_ticket()


@pytest.fixture
def tools(db):
    """The seeded tools (a flushed live-server database loses the data migration)."""
    seed = importlib.import_module("syndesk.remote.migrations.0002_seed_tools")
    seed.seed(apps, None)
    return {tool.name: tool for tool in RemoteTool.objects.all()}


@pytest.fixture
def rustdesk(tools):
    return tools["RustDesk"]


@pytest.fixture
def requested(ticket, rustdesk, agent, django_capture_on_commit_callbacks):
    """A request by agnes on Brécey's ticket, Monday 10:00 (expires 10:30); its mail sent."""
    with django_capture_on_commit_callbacks(execute=True):
        return services.request_session(
            ticket=ticket,
            tool=rustdesk,
            reason="Vérifier le paramétrage du bordereau",
            tool_session_id="123 456 789",
            by=agent,
            ip="192.0.2.10",
            at=T0,
        )


@pytest.fixture
def opened(requested, alice):
    """Alice accepted at 10:02."""
    return services.accept_session(
        session=requested,
        user=alice,
        ip="198.51.100.7",
        user_agent="Mozilla/5.0 (test)",
        at=T0 + timedelta(minutes=2),
    )
