"""Inventory fixtures: e.magnus 2025 and 2026 (2026 needs Windows 10 and 8 GB of RAM), a
workstation and an installation for Brécey (member_a)."""

from datetime import date
from decimal import Decimal

import pytest

from syndesk.catalog.models import Prerequisite, PrerequisiteKind, Software, SoftwareVersion
from syndesk.inventory.licence import LicenceKey
from syndesk.inventory.models import Installation, Workstation

KEY = "EMAG-7H2K-99QX-4242"


@pytest.fixture
def emagnus(db):
    return Software.objects.create(name="e.magnus", editor="Berger-Levrault", category="business")


@pytest.fixture
def v2025(emagnus):
    return SoftwareVersion.objects.create(
        software=emagnus, number="2025", release_date=date(2025, 1, 6)
    )


@pytest.fixture
def v2026(emagnus):
    version = SoftwareVersion.objects.create(
        software=emagnus, number="2026", release_date=date(2026, 1, 5)
    )
    Prerequisite.objects.create(
        version=version, kind=PrerequisiteKind.OS, component="Windows", min_version="10"
    )
    Prerequisite.objects.create(version=version, kind=PrerequisiteKind.RAM, min_quantity=8)
    return version


@pytest.fixture
def workstation(member_a):
    return Workstation.objects.create(
        member=member_a,
        name="Accueil",
        os_family="windows",
        os_version="10",
        ram_gib=Decimal("4"),
        browser="firefox",
        browser_version="128",
    )


@pytest.fixture
def installation(member_a, emagnus, v2026, workstation):
    installation = Installation.objects.create(
        member=member_a, software=emagnus, version=v2026, licence_key=LicenceKey(KEY), seats=3
    )
    installation.workstations.add(workstation)
    return installation
