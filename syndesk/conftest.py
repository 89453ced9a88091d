"""Shared fixtures. Personas: alice and bob work for the commune of Brécey, charlie for
Avranches; agnes is a support agent, bruno a billing officer, marie the head of service."""

import os

import pytest

from syndesk.core import roles
from syndesk.members.models import LegalCategory, Member, Membership

# pytest-django's live_server runs the server in a thread beside an async-aware runner.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings, tmp_path):
    # Uploaded files of a test go to its own temporary folder, never to var/media.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "http://testserver"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The desk's users are French public servants; an English test opens its own context.
    return {**browser_context_args, "locale": "fr-FR", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def page(page):
    """pytest-playwright's page, failing fast, and failing on script errors and CSP
    violations."""
    from syndesk.core.testing import watch_console

    problems = watch_console(page)
    yield page
    assert problems == []


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture
def member_a(db):
    return Member.objects.create(
        name="Brécey",
        legal_category=LegalCategory.COMMUNE,
        siren="215007402",
        insee_code="50074",
        postal_code="50370",
        city="Brécey",
        population=2176,
        population_year=2023,
        signatory_name="Jean Dupont",
        signatory_title="Maire",
    )


@pytest.fixture
def member_b(db):
    return Member.objects.create(
        name="Avranches",
        legal_category=LegalCategory.COMMUNE,
        siren="215002502",
        insee_code="50025",
        postal_code="50300",
        city="Avranches",
    )


def make_user(email, *, member=None, role=None, password="correct-horse-battery"):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        email=email,
        password=password,
        first_name=email.split("@")[0].capitalize(),
        is_staff=role is not None,
    )
    if role is not None:
        if not Group.objects.filter(name=role).exists():
            roles.sync_roles()
        user.groups.add(Group.objects.get(name=role))
    if member is not None:
        Membership.objects.create(user=user, member=member)
    return user


@pytest.fixture
def alice(member_a):
    return make_user("alice@brecey.example", member=member_a)


@pytest.fixture
def bob(member_a):
    return make_user("bob@brecey.example", member=member_a)


@pytest.fixture
def charlie(member_b):
    return make_user("charlie@avranches.example", member=member_b)


@pytest.fixture
def agent(db):
    return make_user("agnes@syndicat.example", role=roles.AGENT)


@pytest.fixture
def billing(db):
    return make_user("bruno@syndicat.example", role=roles.BILLING)


@pytest.fixture
def manager(db):
    return make_user("marie@syndicat.example", role=roles.MANAGER)
