"""Tariff arithmetic (pure): how a grid set by the committee's deliberation prices an offer
for a member of a given population.

A grid prices an offer in one of three ways: a flat amount; by population bracket (each
bracket [min, max] inclusive, the last one open-ended); or per inhabitant, bounded by a
floor and a ceiling. Amounts are euros excluding VAT, rounded to the cent half up.
"""

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from syndesk.core.money import cents

FLAT = "flat"
BRACKET = "bracket"
PER_INHABITANT = "per_inhabitant"


@dataclass(frozen=True)
class Bracket:
    min_population: int
    max_population: int | None  # None: and above
    amount: Decimal

    def contains(self, population: int) -> bool:
        return self.min_population <= population and (
            self.max_population is None or population <= self.max_population
        )


@dataclass(frozen=True)
class Computation:
    """The price and the facts that produced it (for the "show its reasoning" display)."""

    amount: Decimal
    method: str
    population: int | None = None
    bracket: Bracket | None = None
    raw_amount: Decimal | None = None  # per inhabitant, before floor/ceiling
    bounded_by: str | None = None  # "floor" or "ceiling" when a bound applied


class PricingError(ValueError):
    """The grid cannot price this member (no population, no bracket)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def bracket_problems(brackets: list[Bracket]) -> list[tuple[str, dict]]:
    """What is wrong with a set of brackets: overlaps, gaps, a bad bound, a missing start at
    0 or a missing open-ended top bracket. Empty list when the grid covers every population
    exactly once."""
    problems: list[tuple[str, dict]] = []
    ordered = sorted(brackets, key=lambda b: b.min_population)
    for b in ordered:
        if b.min_population < 0 or (
            b.max_population is not None and b.max_population < b.min_population
        ):
            problems.append(("bad_bounds", {"min": b.min_population, "max": b.max_population}))
    if not ordered:
        return [("empty", {})]
    if ordered[0].min_population != 0:
        problems.append(("not_from_zero", {"min": ordered[0].min_population}))
    for low, high in pairwise(ordered):
        if low.max_population is None or high.min_population <= low.max_population:
            problems.append(("overlap", {"a": low.min_population, "b": high.min_population}))
        elif high.min_population > low.max_population + 1:
            problems.append(
                ("gap", {"from": low.max_population + 1, "to": high.min_population - 1})
            )
    if ordered[-1].max_population is not None:
        problems.append(("no_top", {"max": ordered[-1].max_population}))
    return problems


def compute_price(
    method: str,
    *,
    population: int | None = None,
    amount: Decimal | None = None,
    per_inhabitant: Decimal | None = None,
    floor: Decimal | None = None,
    ceiling: Decimal | None = None,
    brackets: list[Bracket] | None = None,
) -> Computation:
    if method == FLAT:
        return Computation(amount=cents(amount or 0), method=method)
    if population is None:
        raise PricingError("no_population")
    if method == BRACKET:
        for bracket in brackets or []:
            if bracket.contains(population):
                return Computation(
                    amount=cents(bracket.amount),
                    method=method,
                    population=population,
                    bracket=bracket,
                )
        raise PricingError("no_bracket", population=population)
    if method == PER_INHABITANT:
        raw = cents((per_inhabitant or 0) * population)
        bounded, bound = raw, None
        if floor is not None and raw < floor:
            bounded, bound = cents(floor), "floor"
        if ceiling is not None and raw > ceiling:
            bounded, bound = cents(ceiling), "ceiling"
        return Computation(
            amount=bounded, method=method, population=population, raw_amount=raw, bounded_by=bound
        )
    raise ValueError(f"unknown pricing method {method!r}")
