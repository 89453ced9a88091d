"""News fixtures. Brécey (member_a: alice, bob) subscribes with e.magnus; Avranches
(member_b: charlie) with Pastell. Notices are made through the services, as staff would."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from syndesk.catalog.models import Software
from syndesk.contracts.models import Subscription
from syndesk.news import services
from syndesk.news.models import Notice

XSS_BODY = (
    "Texte **utile**.\n\n"
    "<script>alert('body')</script>\n\n"
    '<img src="x" onerror="alert(\'img\')">\n\n'
    "[cliquez](javascript:alert('link'))\n\n"
    '<a href="https://ok.example/" onclick="alert(\'a\')">lien</a>'
)
FORBIDDEN = ("<script", "alert(", "onerror", "onclick", "javascript:")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def emagnus(db):
    return Software.objects.create(name="e.magnus", editor="Berger-Levrault", category="business")


@pytest.fixture
def pastell(db):
    return Software.objects.create(name="Pastell", editor="Libriciel", category="demat")


@pytest.fixture
def subscriptions(member_a, member_b, emagnus, pastell):
    brecey = Subscription.objects.create(member=member_a, start=date(2025, 3, 1))
    brecey.software.add(emagnus)
    avranches = Subscription.objects.create(member=member_b, start=date(2025, 6, 1))
    avranches.software.add(pastell)
    return brecey, avranches


def make_notice(by, *, publish=True, **fields) -> Notice:
    fields.setdefault("kind", Notice.Kind.NEWS)
    fields.setdefault("title", "Nouveauté")
    if fields["kind"] in (Notice.Kind.INTERRUPTION, Notice.Kind.MAINTENANCE):
        fields.setdefault("starts_at", timezone.now() - timedelta(hours=1))
    if fields["kind"] == Notice.Kind.MAINTENANCE:
        fields.setdefault("ends_at", fields["starts_at"] + timedelta(hours=2))
    notice = services.create_notice(created_by=by, **fields)
    if publish:
        notice = services.publish_notice(notice=notice, published_by=by)
    return notice


@pytest.fixture
def notice_factory(agent):
    return lambda **fields: make_notice(agent, **fields)
