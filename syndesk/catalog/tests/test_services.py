"""save_tariff_grid: what it refuses, and that a refusal leaves nothing behind."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from syndesk.catalog import rules
from syndesk.catalog.forms import SoftwareVersionForm, prerequisite_formset
from syndesk.catalog.models import Prerequisite, TariffBracket, TariffGrid
from syndesk.catalog.services import save_tariff_grid, save_version
from syndesk.core.models import AuditEntry

from .helpers import BRACKETS, days, record_grid

pytestmark = pytest.mark.django_db


def bracket_grid(deliberation, offer, effective=-30, **terms):
    return TariffGrid(
        deliberation=deliberation,
        offer=offer,
        effective_from=days(effective),
        method=rules.BRACKET,
        **terms,
    )


def refusal(**kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        save_tariff_grid(saved_by=None, **kwargs)
    return exc.value.message_dict


def assert_nothing_saved():
    assert not TariffGrid.objects.exists()
    assert not TariffBracket.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_records_a_grid_with_its_brackets_and_an_audit_entry(enforceable, support, manager):
    grid = save_tariff_grid(
        grid=bracket_grid(enforceable, support),
        brackets=list(reversed(BRACKETS)),
        saved_by=manager,
    )
    assert [b.min_population for b in grid.brackets.all()] == [0, 500, 2000, 5000]
    entry = AuditEntry.objects.get(action="catalog.grid.created")
    assert entry.actor == manager
    assert entry.data["deliberation"] == "2025-38"


def test_it_refuses_overlapping_brackets_and_saves_nothing(enforceable, support):
    errors = refusal(
        grid=bracket_grid(enforceable, support),
        brackets=[rules.Bracket(0, 600, 1), rules.Bracket(500, None, 2)],
    )
    assert errors == {"brackets": ["Les tranches commençant à 0 et 500 se chevauchent."]}
    assert_nothing_saved()


def test_it_refuses_a_gap_between_brackets(enforceable, support):
    errors = refusal(
        grid=bracket_grid(enforceable, support),
        brackets=[rules.Bracket(0, 499, 1), rules.Bracket(1000, None, 2)],
    )
    assert errors["brackets"] == ["Aucune tranche ne couvre les populations de 500 à 999."]
    assert_nothing_saved()


def test_it_refuses_a_second_grid_of_the_offer_starting_the_same_day(enforceable, support):
    record_grid(enforceable, support, effective=-30)
    errors = refusal(grid=bracket_grid(enforceable, support, effective=-30), brackets=BRACKETS)
    assert errors == {
        "effective_from": [
            "Une grille de cette offre s'applique déjà à partir de cette date : deux grilles "
            "seraient en vigueur le même jour."
        ]
    }
    assert TariffGrid.objects.count() == 1
    assert not TariffBracket.objects.exists()


def test_two_offers_may_start_the_same_day(enforceable, support, payroll):
    record_grid(enforceable, support, effective=-30)
    record_grid(enforceable, payroll, effective=-30)
    assert TariffGrid.objects.count() == 2


def test_it_says_every_problem_at_once(enforceable, support):
    record_grid(enforceable, support, effective=-30)
    errors = refusal(
        grid=bracket_grid(enforceable, support, effective=-30),
        brackets=[rules.Bracket(10, 20, 1)],
    )
    assert set(errors) == {"brackets", "effective_from"}
    assert len(errors["brackets"]) == 2  # not from zero, no open top bracket


def test_a_flat_grid_needs_its_amount(enforceable, support):
    grid = TariffGrid(
        deliberation=enforceable, offer=support, effective_from=days(0), method=rules.FLAT
    )
    assert refusal(grid=grid, brackets=[]) == {"amount": ["Indiquez le montant du forfait."]}
    assert_nothing_saved()


def test_per_inhabitant_needs_a_rate_and_a_ceiling_above_the_floor(enforceable, support):
    grid = TariffGrid(
        deliberation=enforceable,
        offer=support,
        effective_from=days(0),
        method=rules.PER_INHABITANT,
        floor=Decimal("500"),
        ceiling=Decimal("100"),
    )
    assert refusal(grid=grid, brackets=[]) == {
        "per_inhabitant": ["Indiquez le montant par habitant."],
        "ceiling": ["Le plafond est inférieur au plancher."],
    }


def test_a_grid_cannot_start_before_the_session_that_set_it(enforceable, support):
    errors = refusal(grid=bracket_grid(enforceable, support, effective=-61), brackets=BRACKETS)
    assert "un tarif n'est pas rétroactif" in errors["effective_from"][0]
    assert_nothing_saved()


def test_terms_of_other_methods_are_not_kept(enforceable, support):
    grid = save_tariff_grid(
        grid=bracket_grid(enforceable, support, amount=Decimal(1), per_inhabitant=Decimal(1)),
        brackets=BRACKETS,
        saved_by=None,
    )
    grid.refresh_from_db()
    assert (grid.amount, grid.per_inhabitant) == (None, None)


def test_correcting_an_upcoming_grid_replaces_its_brackets(pending, support, billing):
    grid = record_grid(pending, support, effective=20, method=rules.BRACKET, brackets=BRACKETS)
    grid.method = rules.FLAT
    grid.amount = Decimal("990")
    save_tariff_grid(grid=grid, brackets=[], saved_by=billing)
    assert not TariffBracket.objects.exists()
    assert AuditEntry.objects.filter(action="catalog.grid.changed", actor=billing).exists()


def test_a_grid_already_applying_cannot_be_changed(support_grid):
    support_grid.method = rules.FLAT
    support_grid.amount = Decimal("1")
    with pytest.raises(ValidationError, match="Cette grille s'applique déjà"):
        save_tariff_grid(grid=support_grid, brackets=[], saved_by=None)
    support_grid.refresh_from_db()
    assert support_grid.method == rules.BRACKET
    assert support_grid.brackets.count() == 4


def test_a_grid_effective_but_not_yet_enforceable_can_still_be_corrected(pending, support):
    grid = record_grid(pending, support, effective=0)
    grid.amount = Decimal("600")
    save_tariff_grid(grid=grid, brackets=[], saved_by=None)
    grid.refresh_from_db()
    assert grid.amount == Decimal("600.00")


def test_save_version_records_the_version_and_its_prerequisites(emagnus, agent):
    from syndesk.catalog.models import SoftwareVersion

    instance = SoftwareVersion(software=emagnus)
    form = SoftwareVersionForm({"number": "2026", "release_date": ""}, instance=instance)
    formset = prerequisite_formset(can_delete=False)(
        {
            "prerequisites-TOTAL_FORMS": "2",
            "prerequisites-INITIAL_FORMS": "0",
            "prerequisites-0-kind": "ram",
            "prerequisites-0-min_quantity": "8",
            "prerequisites-1-kind": "",
        },
        instance=instance,
        prefix="prerequisites",
    )
    assert form.is_valid(), form.errors
    assert formset.is_valid(), formset.errors
    version = save_version(form=form, prerequisites=formset, saved_by=agent)
    assert list(Prerequisite.objects.values_list("version", "kind", "min_quantity")) == [
        (version.pk, "ram", Decimal("8.00"))
    ]
    entry = AuditEntry.objects.get(action="catalog.version.created")
    assert entry.data["prerequisites"] == {"added": 1, "changed": 0, "deleted": 0}
