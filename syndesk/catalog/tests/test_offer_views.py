"""Offer pages: the VAT treatment of an offer, its grids in force and upcoming, and the price
simulator."""

from decimal import Decimal

import pytest
from django.urls import reverse

from syndesk.catalog import rules
from syndesk.catalog.models import Offer
from syndesk.core.models import AuditEntry
from syndesk.core.testing import count_queries
from syndesk.members.models import Member

from .helpers import BRACKETS, NOT_SUBJECT, days, make_deliberation, record_grid, text_of

pytestmark = pytest.mark.django_db

VALID = {
    "code": "option-paie-horizon",
    "name": "Option paie Horizon On-Line",
    "kind": "option",
    "vat_rate": "",
    "vat_mention": NOT_SUBJECT,
    "is_active": "on",
    "position": "3",
}


def test_billing_creates_an_offer_not_subject_to_vat(client, billing):
    client.force_login(billing)
    response = client.post(reverse("catalog:offer-create"), VALID)
    offer = Offer.objects.get(code="option-paie-horizon")
    assert response["Location"] == reverse("catalog:offer-detail", args=[offer.pk])
    assert (offer.vat_rate, offer.vat_mention) == (None, NOT_SUBJECT)
    assert AuditEntry.objects.filter(action="catalog.offer.created", actor=billing).exists()


def test_an_offer_without_rate_needs_the_legal_mention_at_the_field(client, billing):
    client.force_login(billing)
    response = client.post(reverse("catalog:offer-create"), {**VALID, "vat_mention": ""})
    form = response.context["form"]
    assert form.errors["vat_mention"][0].startswith(
        "Sans taux de TVA, indiquez la mention légale d'exonération"
    )
    assert not form.non_field_errors()  # no second, generic message from the constraint
    assert not Offer.objects.exists()


def test_an_offer_with_a_rate_needs_no_mention(client, billing):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:offer-create"), {**VALID, "vat_rate": "20", "vat_mention": ""}
    )
    assert response.status_code == 302
    assert Offer.objects.get().vat_rate == Decimal("20.00")


def test_a_vat_rate_is_a_percentage(client, billing):
    client.force_login(billing)
    response = client.post(reverse("catalog:offer-create"), {**VALID, "vat_rate": "120"})
    assert "vat_rate" in response.context["form"].errors


def test_an_offer_code_is_unique(client, billing, support):
    client.force_login(billing)
    response = client.post(reverse("catalog:offer-create"), {**VALID, "code": "assistance"})
    assert response.context["form"].errors["code"] == ["Une offre porte déjà ce code."]


def test_the_offer_page_shows_the_grid_in_force_and_the_upcoming_one(
    client, agent, support_grid, support
):
    later = make_deliberation("2026-41", session=-2, enforceable=20)
    record_grid(later, support, effective=30, amount=Decimal("2000"))
    client.force_login(agent)
    response = client.get(reverse("catalog:offer-detail", args=[support.pk]))
    timeline = response.context["timeline"]
    assert timeline.current == support_grid
    assert [g.deliberation.number for g in timeline.upcoming] == ["2026-41"]
    text = text_of(response)
    assert "de 2 000 à 4 999 habitants" in text
    assert "5 000 habitants et plus" in text
    assert "Forfait : 2 000,00 € HT." in text
    assert "2025-38" in text


def test_a_pending_grid_says_when_it_will_apply(client, agent, support, pending):
    record_grid(pending, support, effective=0)
    client.force_login(agent)
    response = client.get(reverse("catalog:offer-detail", args=[support.pk]))
    assert response.context["timeline"].current is None
    assert "en attente : exécutoire le" in text_of(response)


def test_the_simulator_prices_a_member_and_explains_why(client, billing, support_grid, member_a):
    client.force_login(billing)
    response = client.get(
        reverse("catalog:offer-detail", args=[support_grid.offer.pk]),
        {"member": member_a.pk, "on": days(0).isoformat()},
    )
    simulation = response.context["simulation"]
    assert simulation["price"].amount == Decimal("1100.00")
    text = text_of(response)
    assert "1 100,00 € HT" in text
    assert simulation["price"].explanation.split(" ")[0] in text
    assert "délibération n° 2025-38" in text
    assert NOT_SUBJECT in text


def test_the_simulator_adds_vat_when_the_offer_is_subject(client, billing, enforceable, payroll):
    record_grid(enforceable, payroll, effective=-30, amount=Decimal("120"))
    member = Member.objects.create(name="Ducey-Les Chéris", siren="200083392")
    client.force_login(billing)
    response = client.get(
        reverse("catalog:offer-detail", args=[payroll.pk]),
        {"member": member.pk, "on": days(0).isoformat()},
    )
    assert response.context["simulation"]["total"] == Decimal("144.00")
    assert "total TTC : 144,00 €" in text_of(response)


def test_the_simulator_says_why_there_is_no_price(client, agent, support_grid, member_b):
    client.force_login(agent)
    response = client.get(
        reverse("catalog:offer-detail", args=[support_grid.offer.pk]),
        {"member": member_b.pk, "on": days(0).isoformat()},
    )
    assert "La population de Avranches n'est pas renseignée" in text_of(response)
    response = client.get(
        reverse("catalog:offer-detail", args=[support_grid.offer.pk]),
        {"member": member_b.pk, "on": days(-365).isoformat()},
    )
    assert "Aucune grille tarifaire exécutoire" in text_of(response)


def test_the_simulator_answers_htmx_with_its_own_section(client, agent, support_grid, member_a):
    client.force_login(agent)
    response = client.get(
        reverse("catalog:offer-detail", args=[support_grid.offer.pk]),
        {"member": member_a.pk, "on": "pas une date"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="simulator"')
    assert "<html" not in body
    assert response.context["form"].errors["on"] == ["Saisissez une date valide."]
    assert 'aria-invalid="true"' in body


def test_the_offer_list_shows_the_tariff_in_force_with_bounded_queries(
    client, billing, enforceable
):
    def add(n, start):
        for i in range(start, start + n):
            offer = Offer.objects.create(code=f"o{i}", name=f"Offre {i}", vat_mention="x")
            record_grid(enforceable, offer, effective=-30)
            record_grid(enforceable, offer, effective=-10, method=rules.BRACKET, brackets=BRACKETS)

    client.force_login(billing)
    url = reverse("catalog:offer-list")
    add(2, 0)
    few = count_queries(lambda: client.get(url))
    add(8, 2)
    assert count_queries(lambda: client.get(url)) == few
    rows = client.get(url).context["rows"]
    assert all(timeline.current.method == rules.BRACKET for _offer, timeline in rows)
    assert "Par tranche de population" in text_of(client.get(url))


def test_the_offer_list_filters_by_kind(client, agent, support, payroll):
    client.force_login(agent)
    page = client.get(reverse("catalog:offer-list"), {"kind": "option"}).context["page"]
    assert list(page) == [payroll]
