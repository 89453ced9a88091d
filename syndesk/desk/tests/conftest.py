"""Desk fixtures: Brécey (member_a, personas alice and bob) subscribes since January 2026
with e.magnus covered; Avranches (member_b, charlie) has no subscription. Gisèle Martin is
Brécey's town-hall secretary (a contact with a phone and an address, no portal account).
Times are Paris wall-clock; MONDAY_10H (2 March 2026) is an ordinary business day."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.contracts.models import Subscription
from syndesk.core.hours import BusinessCalendar
from syndesk.desk import services
from syndesk.desk.models import Channel, Ticket
from syndesk.members.models import Contact, MemberPhone

PARIS = ZoneInfo("Europe/Paris")
PDF = b"%PDF-1.7\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


MONDAY_10H = paris(2026, 3, 2, 10, 0)


def pdf(name="capture.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def calendar():
    return BusinessCalendar.default()


@pytest.fixture
def emagnus(db):
    return Software.objects.create(name="e.magnus", editor="Berger-Levrault", category="business")


@pytest.fixture
def emagnus_v8(emagnus):
    return SoftwareVersion.objects.create(software=emagnus, number="8.2")


@pytest.fixture
def horizon(db):
    return Software.objects.create(name="Horizon On-Line", editor="JVS", category="business")


@pytest.fixture
def xemelios(db):
    return Software.objects.create(
        name="Xémélios", editor="DGFiP", category="demat", is_supported=False
    )


@pytest.fixture
def subscription(member_a, emagnus):
    subscription = Subscription.objects.create(member=member_a, start=date(2026, 1, 1))
    subscription.software.add(emagnus)
    return subscription


@pytest.fixture
def gisele(member_a):
    return Contact.objects.create(
        member=member_a,
        first_name="Gisèle",
        last_name="Martin",
        role="Secrétaire de mairie",
        email="mairie@brecey.example",
        phone="+33233480101",
    )


@pytest.fixture
def town_hall_phone(member_a):
    return MemberPhone.objects.create(member=member_a, number="+33233480100")


@pytest.fixture
def other_agent(db):
    from syndesk.conftest import make_user
    from syndesk.core import roles

    return make_user("paul@syndicat.example", role=roles.AGENT)


@pytest.fixture
def open_ticket(member_a, gisele, emagnus, subscription, agent):
    """A factory: a phone ticket for Brécey opened by agnes on Monday 10:00."""

    def make(**overrides) -> Ticket:
        fields = {
            "member": member_a,
            "contact": gisele,
            "software": emagnus,
            "channel": Channel.PHONE,
            "subject": "Mandat rejeté par le comptable",
            "description": "Le bordereau 12 revient en erreur.",
            "opened_by": agent,
            "at": MONDAY_10H,
            **overrides,
        }
        return services.open_ticket(**fields)

    return make


@pytest.fixture
def ticket(open_ticket):
    return open_ticket()
