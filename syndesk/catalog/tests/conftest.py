"""Catalogue fixtures: e.magnus, the support offer (not subject to VAT) and a payroll option
(subject to VAT), and deliberations dated relative to today, since the pages show what
applies today."""

from decimal import Decimal

import pytest

from syndesk.catalog import rules
from syndesk.catalog.models import Offer, OfferKind, Software

from .helpers import BRACKETS, NOT_SUBJECT, make_deliberation, record_grid


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def emagnus(db):
    return Software.objects.create(name="e.magnus", editor="Berger-Levrault", category="business")


@pytest.fixture
def support(db):
    return Offer.objects.create(
        code="assistance",
        name="Assistance logiciels métiers et dématérialisation",
        vat_mention=NOT_SUBJECT,
    )


@pytest.fixture
def payroll(emagnus):
    return Offer.objects.create(
        code="paie-emagnus",
        name="Option paie e.magnus",
        kind=OfferKind.OPTION,
        software=emagnus,
        vat_rate=Decimal("20.00"),
    )


@pytest.fixture
def enforceable(db):
    """Adopted two months ago, enforceable for 50 days."""
    return make_deliberation("2025-38", session=-60, enforceable=-50)


@pytest.fixture
def pending(db):
    """Adopted 5 days ago, enforceable only in 10 days (not yet transmitted and published)."""
    return make_deliberation("2026-12", session=-5, enforceable=10)


@pytest.fixture
def support_grid(enforceable, support):
    """The support offer priced by population bracket for 30 days."""
    return record_grid(enforceable, support, effective=-30, method=rules.BRACKET, brackets=BRACKETS)
