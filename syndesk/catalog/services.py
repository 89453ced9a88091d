"""Pricing from the committee's deliberations, and recording tariff grids."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from syndesk.core.audit import log_action

from . import rules
from .models import Offer, TariffBracket, TariffGrid


class NoTariff(Exception):
    """No grid can price this offer for this member on this date; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Price:
    """A price excluding VAT, the grid and deliberation it comes from, and how."""

    amount: Decimal
    grid: TariffGrid
    computation: rules.Computation
    explanation: str


def _euros(amount: Decimal) -> str:
    return f"{number_format(amount, 2, force_grouping=True)} €"


def explain(grid: TariffGrid, computation: rules.Computation, member) -> str:
    deliberation = grid.deliberation
    parts = [
        _("Grille applicable depuis le %(date)s (délibération n° %(number)s du %(delib)s).")
        % {
            "date": date_format(grid.effective_from),
            "number": deliberation.number,
            "delib": date_format(deliberation.date),
        }
    ]
    if computation.method == rules.FLAT:
        parts.append(_("Forfait : %(amount)s HT.") % {"amount": _euros(computation.amount)})
        return " ".join(parts)
    population = _("%(n)s habitants (%(type)s%(year)s)") % {
        "n": number_format(computation.population, force_grouping=True),
        "type": member.get_population_type_display(),
        "year": f" {member.population_year}" if member.population_year else "",
    }
    if computation.method == rules.BRACKET:
        bracket = computation.bracket
        if bracket.max_population is None:
            template = _("%(population)s : tranche de %(low)s habitants et plus, %(amount)s HT.")
        else:
            template = _("%(population)s : tranche de %(low)s à %(top)s habitants, %(amount)s HT.")
        parts.append(
            template
            % {
                "population": population,
                "low": number_format(bracket.min_population, force_grouping=True),
                "top": number_format(bracket.max_population or 0, force_grouping=True),
                "amount": _euros(computation.amount),
            }
        )
    else:
        parts.append(
            _("%(population)s × %(rate)s = %(raw)s HT.")
            % {
                "population": population,
                "rate": _euros(grid.per_inhabitant),
                "raw": _euros(computation.raw_amount),
            }
        )
        if computation.bounded_by == "floor":
            parts.append(
                _("Plancher appliqué : %(amount)s HT.") % {"amount": _euros(computation.amount)}
            )
        elif computation.bounded_by == "ceiling":
            parts.append(
                _("Plafond appliqué : %(amount)s HT.") % {"amount": _euros(computation.amount)}
            )
    if (grid.population_year and member.population_year != grid.population_year) or (
        member.population_type != grid.population_type
    ):
        parts.append(
            _("Attention : la grille se réfère à la %(type)s %(year)s.")
            % {"type": grid.get_population_type_display(), "year": grid.population_year or ""}
        )
    return " ".join(parts)


def price_for(offer: Offer, member, on: date) -> Price:
    """The price of `offer` for `member` on `on`, from the grid then in force."""
    grid = TariffGrid.objects.in_force(offer, on)
    if grid is None:
        raise NoTariff(
            _("Aucune grille tarifaire exécutoire pour « %(offer)s » au %(date)s.")
            % {"offer": offer.name, "date": date_format(on)}
        )
    try:
        computation = rules.compute_price(
            grid.method,
            population=member.population,
            amount=grid.amount,
            per_inhabitant=grid.per_inhabitant,
            floor=grid.floor,
            ceiling=grid.ceiling,
            brackets=grid.rule_brackets() if grid.method == rules.BRACKET else None,
        )
    except rules.PricingError as exc:
        if exc.code == "no_population":
            message = _(
                "La population de %(member)s n'est pas renseignée : le tarif de "
                "« %(offer)s » en dépend."
            )
        else:
            message = _("Aucune tranche de la grille ne couvre la population de %(member)s.")
        raise NoTariff(message % {"member": member.name, "offer": offer.name}) from exc
    return Price(
        amount=computation.amount,
        grid=grid,
        computation=computation,
        explanation=explain(grid, computation, member),
    )


BRACKET_MESSAGES = {
    "empty": _("Indiquez au moins une tranche."),
    "bad_bounds": _("La tranche %(min)s–%(max)s a des bornes incohérentes."),
    "not_from_zero": _(
        "La première tranche doit commencer à 0 habitant (elle commence à %(min)s)."
    ),
    "overlap": _("Les tranches commençant à %(a)s et %(b)s se chevauchent."),
    "gap": _("Aucune tranche ne couvre les populations de %(from)s à %(to)s."),
    "no_top": _("La dernière tranche doit être ouverte (sans maximum) ; elle s'arrête à %(max)s."),
}


def bracket_errors(brackets: list[rules.Bracket]) -> list[str]:
    return [
        str(BRACKET_MESSAGES[code]) % params for code, params in rules.bracket_problems(brackets)
    ]


@transaction.atomic
def save_tariff_grid(*, grid: TariffGrid, brackets: list[rules.Bracket], saved_by) -> TariffGrid:
    """Save a grid with its brackets; refuses overlapping brackets and a second grid of the
    same offer starting the same day."""
    if grid.method == rules.BRACKET:
        errors = bracket_errors(brackets)
        if errors:
            raise ValidationError(errors)
    elif grid.method == rules.FLAT and grid.amount is None:
        raise ValidationError({"amount": _("Indiquez le montant du forfait.")})
    elif grid.method == rules.PER_INHABITANT:
        if grid.per_inhabitant is None:
            raise ValidationError({"per_inhabitant": _("Indiquez le montant par habitant.")})
        if grid.floor is not None and grid.ceiling is not None and grid.floor > grid.ceiling:
            raise ValidationError({"ceiling": _("Le plafond est inférieur au plancher.")})
    clash = TariffGrid.objects.filter(offer=grid.offer, effective_from=grid.effective_from)
    if clash.exclude(pk=grid.pk).exists():
        raise ValidationError(
            {
                "effective_from": _(
                    "Une grille de cette offre s'applique déjà à partir de cette date : "
                    "deux grilles seraient en vigueur le même jour."
                )
            }
        )
    creating = grid.pk is None
    try:
        with transaction.atomic():
            grid.save()
    except IntegrityError as exc:  # a concurrent save won the race
        raise ValidationError(
            {"effective_from": _("Une grille existe déjà à cette date.")}
        ) from exc
    grid.brackets.all().delete()
    if grid.method == rules.BRACKET:
        TariffBracket.objects.bulk_create(
            [
                TariffBracket(
                    grid=grid,
                    min_population=b.min_population,
                    max_population=b.max_population,
                    amount=b.amount,
                )
                for b in brackets
            ]
        )
    log_action(
        "catalog.grid.created" if creating else "catalog.grid.changed",
        actor=saved_by,
        target=grid,
        data={
            "offer": grid.offer.code,
            "from": grid.effective_from.isoformat(),
            "method": grid.method,
        },
    )
    return grid
