"""Catalogue fixtures for the ordering chain: one support offer priced flat by a
deliberation enforceable since December 2025, and one option for e.magnus."""

from datetime import date
from decimal import Decimal

import pytest

from syndesk.catalog.models import Deliberation, Offer, Software, TariffGrid


@pytest.fixture
def deliberation(db):
    return Deliberation.objects.create(
        number="2025-38",
        date=date(2025, 11, 20),
        subject="Tarifs 2026",
        enforceable_on=date(2025, 12, 5),
    )


@pytest.fixture
def support(deliberation):
    offer = Offer.objects.create(
        code="assistance",
        name="Assistance logiciels métiers et dématérialisation",
        vat_mention="TVA non applicable — article 256 B du CGI",
    )
    TariffGrid.objects.create(
        deliberation=deliberation,
        offer=offer,
        method="flat",
        effective_from=date(2026, 1, 1),
        amount=Decimal("850.00"),
    )
    return offer


@pytest.fixture
def emagnus(db):
    return Software.objects.create(name="e.magnus", editor="Berger-Levrault", category="business")


@pytest.fixture
def payroll_option(deliberation, emagnus):
    offer = Offer.objects.create(
        code="paie-emagnus",
        name="Option paie e.magnus",
        kind="option",
        software=emagnus,
        vat_rate=Decimal("20.00"),
    )
    TariffGrid.objects.create(
        deliberation=deliberation,
        offer=offer,
        method="flat",
        effective_from=date(2026, 1, 1),
        amount=Decimal("120.00"),
    )
    return offer
