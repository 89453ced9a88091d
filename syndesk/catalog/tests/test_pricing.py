"""price_for on the database: which grid is in force, and why a price cannot be given."""

from datetime import date
from decimal import Decimal

import pytest

from syndesk.catalog import rules
from syndesk.catalog.models import Deliberation, TariffGrid
from syndesk.catalog.services import NoTariff, price_for, tariff_timeline

from .helpers import BRACKETS

pytestmark = pytest.mark.django_db


def deliberation(number, session, enforceable):
    return Deliberation.objects.create(
        number=number, date=session, enforceable_on=enforceable, subject="Tarifs"
    )


def flat(deliberation, offer, effective, amount):
    return TariffGrid.objects.create(
        deliberation=deliberation,
        offer=offer,
        effective_from=effective,
        method=rules.FLAT,
        amount=Decimal(amount),
    )


@pytest.fixture
def history(support):
    """2025 grid; 2026 grid adopted in November, enforceable on 5 December; a 2027 grid
    adopted but enforceable only on 15 January 2027, after its effective date."""
    d2025 = deliberation("2024-50", date(2024, 11, 21), date(2024, 12, 2))
    d2026 = deliberation("2025-38", date(2025, 11, 20), date(2025, 12, 5))
    d2027 = deliberation("2026-41", date(2026, 11, 19), date(2027, 1, 15))
    return {
        "2025": flat(d2025, support, date(2025, 1, 1), "800"),
        "2026": flat(d2026, support, date(2026, 1, 1), "850"),
        "2027": flat(d2027, support, date(2027, 1, 1), "900"),
    }


@pytest.mark.parametrize(
    ("on", "amount"),
    [
        (date(2025, 6, 1), "800.00"),
        (date(2025, 12, 31), "800.00"),
        (date(2026, 1, 1), "850.00"),
        (date(2026, 12, 31), "850.00"),
        # 2027 grid effective but its deliberation not yet enforceable: the 2026 one applies.
        (date(2027, 1, 10), "850.00"),
        (date(2027, 1, 15), "900.00"),
    ],
)
def test_the_latest_effective_grid_of_an_enforceable_deliberation_applies(
    history, support, member_a, on, amount
):
    assert price_for(support, member_a, on).amount == Decimal(amount)


def test_a_grid_whose_deliberation_is_not_enforceable_is_ignored(support, member_a):
    pending = deliberation("2025-38", date(2025, 11, 20), date(2026, 2, 1))
    flat(pending, support, date(2026, 1, 1), "850")
    with pytest.raises(NoTariff) as exc:
        price_for(support, member_a, date(2026, 1, 15))
    assert exc.value.message == (
        "Aucune grille tarifaire exécutoire pour « Assistance logiciels métiers et "
        "dématérialisation » au 15 janvier 2026."
    )


def test_before_any_grid_there_is_no_tariff(history, support, member_a):
    with pytest.raises(NoTariff, match="Aucune grille tarifaire exécutoire"):
        price_for(support, member_a, date(2024, 12, 31))


def test_a_population_based_grid_needs_the_members_population(support_grid, support, member_b):
    with pytest.raises(NoTariff) as exc:
        price_for(support, member_b, support_grid.effective_from)
    assert exc.value.message == (
        "La population de Avranches n'est pas renseignée : le tarif de « Assistance logiciels "
        "métiers et dématérialisation » en dépend."
    )


def test_a_flat_grid_prices_a_member_without_population(history, support, member_b):
    assert price_for(support, member_b, date(2026, 3, 1)).amount == Decimal("850.00")


def test_bracket_price_explains_the_bracket_and_the_deliberation(support_grid, support, member_a):
    price = price_for(support, member_a, support_grid.effective_from)
    assert price.amount == Decimal("1100.00")
    assert price.grid == support_grid
    text = " ".join(price.explanation.replace("\u202f", " ").replace("\xa0", " ").split())
    assert "délibération n° 2025-38" in text
    assert "2 176 habitants" in text
    assert "tranche de 2 000 à 4 999 habitants, 1 100,00 € HT" in text


def test_per_inhabitant_price_explains_the_floor(enforceable, payroll, member_a):
    TariffGrid.objects.create(
        deliberation=enforceable,
        offer=payroll,
        effective_from=enforceable.enforceable_on,
        method=rules.PER_INHABITANT,
        per_inhabitant=Decimal("0.05"),
        floor=Decimal("150"),
        ceiling=Decimal("2500"),
    )
    price = price_for(payroll, member_a, enforceable.enforceable_on)
    assert price.amount == Decimal("150.00")
    assert price.computation.raw_amount == Decimal("108.80")
    assert "Plancher appliqué" in price.explanation


def test_a_member_counted_otherwise_than_the_grid_gets_a_warning(enforceable, support, member_a):
    grid = TariffGrid.objects.create(
        deliberation=enforceable,
        offer=support,
        effective_from=enforceable.enforceable_on,
        method=rules.BRACKET,
        population_type="municipale",
        population_year=2022,
    )
    grid.brackets.create(min_population=0, max_population=None, amount=Decimal("500"))
    price = price_for(support, member_a, enforceable.enforceable_on)
    assert "Attention : la grille se réfère à la population municipale 2022." in (price.explanation)


def test_the_timeline_agrees_with_the_grid_in_force_on_every_day(history, support):
    grids = list(TariffGrid.objects.filter(offer=support).select_related("deliberation"))
    day = date(2024, 12, 1)
    while day < date(2027, 3, 1):
        timeline = tariff_timeline(grids, on=day)
        assert timeline.current == TariffGrid.objects.in_force(support, day), day
        assert timeline.current not in timeline.upcoming + timeline.past
        assert len(timeline.upcoming) + len(timeline.past) + bool(timeline.current) == 3
        day = date.fromordinal(day.toordinal() + 7)


def test_the_timeline_says_when_an_upcoming_grid_will_apply(history, support):
    grids = list(TariffGrid.objects.filter(offer=support).select_related("deliberation"))
    timeline = tariff_timeline(grids, on=date(2026, 12, 1))
    assert timeline.current == history["2026"]
    assert timeline.upcoming == [history["2027"]]
    assert timeline.upcoming[0].applies_from == date(2027, 1, 15)
    assert timeline.upcoming_enforceable == []
    assert timeline.past == [history["2025"]]
    later = tariff_timeline(grids, on=date(2027, 1, 2))
    assert later.upcoming_enforceable == []
    assert tariff_timeline(grids, on=date(2025, 12, 10)).upcoming_enforceable == [history["2026"]]


def test_brackets_fixture_is_a_valid_grid():
    assert rules.bracket_problems(BRACKETS) == []
