"""Tariff arithmetic: examples, then properties over random grids."""

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndesk.catalog.rules import (
    BRACKET,
    FLAT,
    PER_INHABITANT,
    Bracket,
    PricingError,
    bracket_problems,
    compute_price,
)

GRID = [
    Bracket(0, 499, Decimal("350")),
    Bracket(500, 1999, Decimal("650")),
    Bracket(2000, None, Decimal("1100")),
]


def codes(brackets):
    return [code for code, _params in bracket_problems(brackets)]


# Examples ------------------------------------------------------------------------------


def test_a_contiguous_open_ended_grid_has_no_problem():
    assert bracket_problems(GRID) == []


def test_the_order_of_the_brackets_does_not_matter():
    assert bracket_problems(list(reversed(GRID))) == []


def test_it_names_an_overlap():
    problems = bracket_problems([Bracket(0, 500, 1), Bracket(500, None, 2)])
    assert problems == [("overlap", {"a": 0, "b": 500})]


def test_it_names_a_gap_with_its_populations():
    problems = bracket_problems([Bracket(0, 499, 1), Bracket(600, None, 2)])
    assert problems == [("gap", {"from": 500, "to": 599})]


def test_the_first_bracket_starts_at_zero_and_the_last_is_open():
    assert codes([Bracket(1, 10, 1), Bracket(11, 20, 2)]) == ["not_from_zero", "no_top"]


def test_an_open_bracket_before_another_overlaps_it():
    assert codes([Bracket(0, None, 1), Bracket(100, None, 2)]) == ["overlap"]


def test_inverted_bounds_are_reported():
    assert "bad_bounds" in codes([Bracket(0, 99, 1), Bracket(500, 100, 2), Bracket(501, None, 3)])


def test_no_bracket_at_all_is_a_problem():
    assert codes([]) == ["empty"]


def test_flat_needs_no_population():
    assert compute_price(FLAT, amount=Decimal("120")).amount == Decimal("120.00")


@pytest.mark.parametrize(
    ("population", "amount"), [(0, "350.00"), (499, "350.00"), (500, "650.00"), (10**6, "1100.00")]
)
def test_bracket_bounds_are_inclusive(population, amount):
    computation = compute_price(BRACKET, population=population, brackets=GRID)
    assert computation.amount == Decimal(amount)


def test_per_inhabitant_rounds_half_up_to_the_cent():
    computation = compute_price(PER_INHABITANT, population=2175, per_inhabitant=Decimal("0.301"))
    assert computation.raw_amount == Decimal("654.68")  # 654.675
    assert computation.bounded_by is None


def test_per_inhabitant_applies_the_floor_then_says_so():
    computation = compute_price(
        PER_INHABITANT, population=100, per_inhabitant=Decimal("0.30"), floor=Decimal("150")
    )
    assert (computation.amount, computation.raw_amount, computation.bounded_by) == (
        Decimal("150.00"),
        Decimal("30.00"),
        "floor",
    )


def test_per_inhabitant_applies_the_ceiling():
    computation = compute_price(
        PER_INHABITANT, population=20000, per_inhabitant=Decimal("0.30"), ceiling=Decimal("2500")
    )
    assert (computation.amount, computation.bounded_by) == (Decimal("2500.00"), "ceiling")


@pytest.mark.parametrize("method", [BRACKET, PER_INHABITANT])
def test_a_population_based_method_needs_a_population(method):
    with pytest.raises(PricingError) as exc:
        compute_price(method, population=None, brackets=GRID, per_inhabitant=Decimal(1))
    assert exc.value.code == "no_population"


def test_a_population_outside_every_bracket_is_reported():
    with pytest.raises(PricingError) as exc:
        compute_price(BRACKET, population=10, brackets=[Bracket(100, None, Decimal(1))])
    assert (exc.value.code, exc.value.params) == ("no_bracket", {"population": 10})


def test_an_unknown_method_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown pricing method"):
        compute_price("by_mood", population=10)


# Properties ----------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False)


@st.composite
def partitions(draw, max_cut=10**6):
    """A valid grid: sorted distinct cut points split [0, ∞) into brackets, in any order."""
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=max_cut), max_size=8)))
    lows = [0, *cuts]
    highs = [c - 1 for c in cuts] + [None]
    brackets = [Bracket(lo, hi, draw(amounts)) for lo, hi in zip(lows, highs, strict=True)]
    return draw(st.permutations(brackets))


@st.composite
def bracket_sets(draw, top=60):
    """Any brackets with sound bounds (min <= max) over small populations, so that every
    population can be checked one by one."""

    def bracket(low):
        high = draw(st.one_of(st.none(), st.integers(min_value=low, max_value=top)))
        return Bracket(low, high, Decimal(1))

    lows = draw(st.lists(st.integers(min_value=0, max_value=top), min_size=1, max_size=6))
    return [bracket(low) for low in lows]


def coverage(brackets, population):
    return sum(1 for b in brackets if b.contains(population))


@given(partitions())
def test_every_valid_partition_is_accepted(brackets):
    assert bracket_problems(brackets) == []


@given(partitions(), st.integers(min_value=0, max_value=2 * 10**6))
def test_bracket_pricing_picks_the_unique_containing_bracket(brackets, population):
    computation = compute_price(BRACKET, population=population, brackets=brackets)
    containing = [b for b in brackets if b.contains(population)]
    assert containing == [computation.bracket]
    assert computation.amount == containing[0].amount.quantize(Decimal("0.01"))


@settings(max_examples=300)
@given(bracket_sets())
def test_a_grid_is_accepted_exactly_when_it_covers_every_population_once(brackets):
    top = 62  # beyond every bound: an open bracket covers it, a closed one does not
    exactly_once = all(coverage(brackets, p) == 1 for p in range(top + 1))
    assert (bracket_problems(brackets) == []) == exactly_once


@settings(max_examples=300)
@given(bracket_sets())
def test_every_population_counted_twice_is_reported_as_an_overlap(brackets):
    if any(coverage(brackets, p) > 1 for p in range(62)):
        assert "overlap" in codes(brackets)


@settings(max_examples=300)
@given(partitions(max_cut=60), st.data())
def test_every_gap_is_reported_with_its_exact_populations(brackets, data):
    """Remove some brackets of a valid grid: the holes in the middle are the gaps, the hole
    at the start is "not_from_zero", a missing open bracket is "no_top"."""
    kept = sorted(
        data.draw(st.lists(st.sampled_from(brackets), min_size=1, unique=True)),
        key=lambda b: b.min_population,
    )
    expected = []
    if kept[0].min_population > 0:
        expected.append(("not_from_zero", {"min": kept[0].min_population}))
    for low, high in pairwise(kept):
        if high.min_population > low.max_population + 1:
            expected.append(
                ("gap", {"from": low.max_population + 1, "to": high.min_population - 1})
            )
    if kept[-1].max_population is not None:
        expected.append(("no_top", {"max": kept[-1].max_population}))
    assert bracket_problems(kept) == expected
    uncovered = [p for p in range(62) if coverage(kept, p) == 0]
    assert bool(uncovered) == bool(expected)


@given(
    population=st.integers(min_value=0, max_value=10**6),
    rate=st.decimals(min_value=0, max_value=50, places=4, allow_nan=False),
    bounds=st.tuples(amounts, amounts).map(sorted),
)
def test_per_inhabitant_stays_within_floor_and_ceiling(population, rate, bounds):
    floor, ceiling = bounds
    computation = compute_price(
        PER_INHABITANT, population=population, per_inhabitant=rate, floor=floor, ceiling=ceiling
    )
    assert floor <= computation.amount <= ceiling
    if floor <= computation.raw_amount <= ceiling:
        assert computation.amount == computation.raw_amount
        assert computation.bounded_by is None


@given(
    population=st.integers(min_value=0, max_value=10**6),
    rate=st.decimals(min_value=0, max_value=50, places=4, allow_nan=False),
    floor=amounts,
)
def test_a_floor_alone_is_a_minimum(population, rate, floor):
    computation = compute_price(
        PER_INHABITANT, population=population, per_inhabitant=rate, floor=floor
    )
    assert computation.amount == max(computation.raw_amount, floor)
