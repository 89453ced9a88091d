"""The public tariff page (/tarifs/): what applies today, what is already decided, and the
deliberation behind each amount."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syndesk.catalog import rules
from syndesk.catalog.models import Offer
from syndesk.core.testing import count_queries

from .helpers import BRACKETS, NOT_SUBJECT, make_deliberation, record_grid, text_of

pytestmark = pytest.mark.django_db

URL = "/tarifs/"


def test_the_url_is_the_public_one():
    assert reverse("tariffs:index") == URL


def test_it_shows_the_grid_in_force_with_its_deliberation(client, support_grid, enforceable):
    enforceable.document = SimpleUploadedFile("d.pdf", b"%PDF-1.4\n%%EOF\n")
    enforceable.save()
    response = client.get(URL)
    text = text_of(response)
    assert "Assistance logiciels métiers et dématérialisation" in text
    assert "de 500 à 1 999 habitants" in text
    assert "5 000 habitants et plus" in text
    assert "1 800,00 €" in text
    assert "Délibération n° 2025-38 du Comité syndical" in text
    assert "« Tarifs 2025-38 »" in text
    assert reverse("tariffs:deliberation-document", args=[enforceable.pk]) in text
    assert NOT_SUBJECT in text


def test_it_shows_flat_and_per_inhabitant_terms_and_vat(client, enforceable, support, payroll):
    record_grid(enforceable, support, effective=-30, amount=Decimal("850"))
    record_grid(
        enforceable,
        payroll,
        effective=-30,
        method=rules.PER_INHABITANT,
        per_inhabitant=Decimal("0.30"),
        floor=Decimal("150"),
        ceiling=Decimal("2500"),
    )
    text = text_of(client.get(URL))
    assert "Forfait : 850,00 € HT." in text
    assert "0,30 € HT par habitant, avec un minimum de 150,00 €, plafonné à 2 500,00 €." in text
    assert "TVA au taux de 20 % en sus des montants hors taxes." in text
    assert "e.magnus (Berger-Levrault)" in text


def test_upcoming_grids_appear_once_their_deliberation_is_enforceable(client, support_grid):
    decided = make_deliberation("2026-30", session=-20, enforceable=-5, subject="Tarifs 2027")
    record_grid(decided, support_grid.offer, effective=40, amount=Decimal("1234"))
    pending = make_deliberation("2026-41", session=-2, enforceable=10, subject="Projet")
    record_grid(pending, support_grid.offer, effective=60, amount=Decimal("9999"))
    response = client.get(URL)
    [(_offer, current, upcoming)] = response.context["rows"]
    assert current == support_grid
    assert [g.deliberation.number for g in upcoming] == ["2026-30"]
    text = text_of(response)
    assert "1 234,00 €" in text
    assert "9 999" not in text
    assert "Projet" not in text


def test_a_grid_of_a_pending_deliberation_is_not_public_even_if_effective(client, support, pending):
    record_grid(pending, support, effective=0, amount=Decimal("777"))
    text = text_of(client.get(URL))
    assert "Aucun tarif en vigueur à ce jour." in text
    assert "777" not in text


def test_withdrawn_offers_are_not_listed(client, support_grid, support):
    support.is_active = False
    support.save()
    assert "Assistance logiciels métiers et dématérialisation" not in text_of(client.get(URL))


def test_the_number_of_queries_does_not_grow_with_the_offers(client, enforceable):
    def add(n, start):
        for i in range(start, start + n):
            offer = Offer.objects.create(code=f"o{i}", name=f"Offre {i}", vat_mention="x")
            record_grid(enforceable, offer, effective=-30, method=rules.BRACKET, brackets=BRACKETS)
            record_grid(enforceable, offer, effective=30)

    add(2, 0)
    few = count_queries(lambda: client.get(URL))
    add(10, 2)
    assert count_queries(lambda: client.get(URL)) == few
    assert few <= 4
