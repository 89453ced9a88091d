"""Pricing from the committee's deliberations, recording tariff grids, and the catalogue's
other operations (software, versions and their prerequisites, offers, deliberations)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from syndesk.core.audit import log_action
from syndesk.core.formats import long_date

from . import rules
from .models import Deliberation, Offer, Software, SoftwareVersion, TariffBracket, TariffGrid


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
            "date": long_date(grid.effective_from),
            "number": deliberation.number,
            "delib": long_date(deliberation.date),
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
            % {"offer": offer.name, "date": long_date(on)}
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


# Terms each pricing method uses; the others are cleared so a grid never carries stale ones.
_METHOD_TERMS = {
    rules.FLAT: {"amount"},
    rules.BRACKET: set(),
    rules.PER_INHABITANT: {"per_inhabitant", "floor", "ceiling"},
}
_ALL_TERMS = {"amount", "per_inhabitant", "floor", "ceiling"}


def grid_applies(grid: TariffGrid, on: date) -> bool:
    """Whether `grid` may price anything on `on`: effective, and its deliberation enforceable."""
    return grid.effective_from <= on and grid.deliberation.enforceable_on <= on


def _grid_problems(grid: TariffGrid, brackets: list[rules.Bracket]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if grid.method == rules.BRACKET:
        for message in bracket_errors(brackets):
            add("brackets", message)
    elif grid.method == rules.FLAT and grid.amount is None:
        add("amount", _("Indiquez le montant du forfait."))
    elif grid.method == rules.PER_INHABITANT:
        if grid.per_inhabitant is None:
            add("per_inhabitant", _("Indiquez le montant par habitant."))
        if grid.floor is not None and grid.ceiling is not None and grid.floor > grid.ceiling:
            add("ceiling", _("Le plafond est inférieur au plancher."))
    # An administrative act is not retroactive (CE, 25 juin 1948, Société du journal
    # l'Aurore, precisely about tariffs): a grid cannot start before the session that set it.
    if grid.effective_from < grid.deliberation.date:
        add(
            "effective_from",
            _(
                "Une grille ne peut pas s'appliquer avant la séance qui l'a fixée "
                "(le %(date)s) : un tarif n'est pas rétroactif."
            )
            % {"date": long_date(grid.deliberation.date)},
        )
    clash = TariffGrid.objects.filter(offer=grid.offer, effective_from=grid.effective_from)
    if clash.exclude(pk=grid.pk).exists():
        add(
            "effective_from",
            _(
                "Une grille de cette offre s'applique déjà à partir de cette date : "
                "deux grilles seraient en vigueur le même jour."
            ),
        )
    return errors


@transaction.atomic
def save_tariff_grid(*, grid: TariffGrid, brackets: list[rules.Bracket], saved_by) -> TariffGrid:
    """Save a grid with its brackets, all or nothing. Refuses brackets that overlap, leave a
    gap or do not cover every population; a missing term of the method; a start before the
    deliberation's session; a second grid of the same offer starting the same day; and any
    change to a grid that already applies (it may have priced quotes and invoices: a new
    deliberation sets a new grid instead). Errors are keyed by form field, the bracket
    problems under "brackets"."""
    creating = grid.pk is None
    if not creating:
        stored = TariffGrid.objects.select_related("deliberation").get(pk=grid.pk)
        if grid_applies(stored, timezone.localdate()):
            raise ValidationError(
                _(
                    "Cette grille s'applique déjà : elle a pu servir à des devis et des "
                    "factures. Une nouvelle délibération doit fixer une nouvelle grille."
                )
            )
    for name in _ALL_TERMS - _METHOD_TERMS.get(grid.method, set()):
        setattr(grid, name, None)
    errors = _grid_problems(grid, brackets)
    if errors:
        raise ValidationError(errors)
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
                for b in sorted(brackets, key=lambda b: b.min_population)
            ]
        )
    log_action(
        "catalog.grid.created" if creating else "catalog.grid.changed",
        actor=saved_by,
        target=grid,
        data={
            "offer": grid.offer.code,
            "deliberation": grid.deliberation.number,
            "from": grid.effective_from.isoformat(),
            "method": grid.method,
        },
    )
    return grid


@dataclass
class TariffTimeline:
    """An offer's grids seen from one day: the one in force (the same as
    TariffGrid.objects.in_force), those that will apply later, and the superseded ones."""

    on: date
    current: TariffGrid | None = None
    upcoming: list[TariffGrid] = field(default_factory=list)
    past: list[TariffGrid] = field(default_factory=list)

    @property
    def upcoming_enforceable(self) -> list[TariffGrid]:
        """Upcoming grids whose deliberation is already enforceable (what the public sees)."""
        return [g for g in self.upcoming if g.deliberation.enforceable_on <= self.on]


def tariff_timeline(grids: Iterable[TariffGrid], *, on: date) -> TariffTimeline:
    """Sort already loaded grids (with their deliberation) of one offer; no query of its own,
    so that lists can prefetch every offer's grids at once. Each upcoming grid gets
    `applies_from`: its effective date, or the day its deliberation becomes enforceable."""
    grids = list(grids)
    applying = [g for g in grids if grid_applies(g, on)]
    timeline = TariffTimeline(on=on)
    if applying:
        timeline.current = max(applying, key=lambda g: (g.effective_from, g.pk))
    for grid in sorted(grids, key=lambda g: (g.effective_from, g.pk)):
        if grid is timeline.current:
            continue
        if grid in applying or (
            timeline.current is not None and grid.effective_from <= timeline.current.effective_from
        ):
            timeline.past.append(grid)
        else:
            grid.applies_from = max(grid.effective_from, grid.deliberation.enforceable_on)
            timeline.upcoming.append(grid)
    timeline.past.reverse()
    return timeline


# Catalogue operations -------------------------------------------------------------------


@transaction.atomic
def save_software(*, form, saved_by) -> Software:
    """Create or update a software from a validated SoftwareForm."""
    creating = form.instance.pk is None
    changed = [] if creating else list(form.changed_data)
    software = form.save()
    log_action(
        "catalog.software.created" if creating else "catalog.software.changed",
        actor=saved_by,
        target=software,
        data={"fields": changed},
    )
    return software


@transaction.atomic
def save_version(*, form, prerequisites, saved_by) -> SoftwareVersion:
    """Create or update a version and its prerequisites (a validated inline formset, whose
    deletions are applied too) in one transaction."""
    creating = form.instance.pk is None
    changed = [] if creating else list(form.changed_data)
    version = form.save()
    prerequisites.instance = version
    prerequisites.save()
    log_action(
        "catalog.version.created" if creating else "catalog.version.changed",
        actor=saved_by,
        target=version.software,
        data={
            "version": version.number,
            "fields": changed,
            "prerequisites": {
                "added": len(prerequisites.new_objects),
                "changed": len(prerequisites.changed_objects),
                "deleted": len(prerequisites.deleted_objects),
            },
        },
    )
    return version


@transaction.atomic
def save_offer(*, form, saved_by) -> Offer:
    creating = form.instance.pk is None
    changed = [] if creating else list(form.changed_data)
    offer = form.save()
    log_action(
        "catalog.offer.created" if creating else "catalog.offer.changed",
        actor=saved_by,
        target=offer,
        data={"fields": changed},
    )
    return offer


@transaction.atomic
def save_deliberation(*, form, saved_by) -> Deliberation:
    creating = form.instance.pk is None
    changed = [] if creating else list(form.changed_data)
    deliberation = form.save()
    log_action(
        "catalog.deliberation.created" if creating else "catalog.deliberation.changed",
        actor=saved_by,
        target=deliberation,
        data={"fields": changed, "document": bool(deliberation.document)},
    )
    return deliberation
