"""The desk's pure rules: SLA arithmetic in business time, the scope guard's matching,
references, statuses, entitlement wording and mail-reply trimming."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndesk.core.hours import BusinessCalendar
from syndesk.desk import rules
from syndesk.desk.rules import ClockState

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
CAL = BusinessCalendar.default()


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# --------------------------------------------------------------------------- references


def test_references_are_gapless_counter_numbers_with_five_digits():
    assert rules.ticket_reference(2026, 42) == "AS-2026-00042"
    assert rules.ticket_reference(2026, 123456) == "AS-2026-123456"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: [AS-2026-00042] Mandat rejeté", "AS-2026-00042"),
        ("TR: RE: [AS-2027-123456] suite", "AS-2027-123456"),
        ("AS-2026-00042 sans crochets", None),
        ("[AS-2026-42] trop court", None),
        ("", None),
    ],
)
def test_a_reference_is_found_between_brackets_in_a_subject(subject, expected):
    assert rules.find_reference(subject) == expected


# --------------------------------------------------------------------------- statuses


def test_closed_is_final_and_resolved_only_reopens_or_closes():
    assert rules.TRANSITIONS[rules.CLOSED] == frozenset()
    assert rules.TRANSITIONS[rules.RESOLVED] == {rules.IN_PROGRESS, rules.CLOSED}
    assert rules.can_transition(rules.NEW, rules.WAITING_VENDOR)
    assert not rules.can_transition(rules.CLOSED, rules.IN_PROGRESS)
    assert not rules.can_transition(rules.RESOLVED, rules.WAITING_MEMBER)


# --------------------------------------------------------------------------- SLA examples


def test_a_due_date_counts_only_opening_hours():
    # Monday 10:00 + 4 business hours: 10:00-12:00, then 13:30-15:30.
    assert rules.due_date(CAL, paris(2026, 3, 2, 10), 4 * H) == paris(2026, 3, 2, 15, 30)


def test_a_ticket_opened_on_friday_evening_is_due_on_monday():
    # Friday 17:30 (closed) + 1h: Monday 8:30-9:30.
    assert rules.due_date(CAL, paris(2026, 3, 6, 17, 30), H) == paris(2026, 3, 9, 9, 30)


def test_public_holidays_do_not_count():
    # Thursday 30 April 2026 17:00 + 2h: 17:00-18:00, Friday 1 May is a holiday, Monday 4 May
    # 8:30-9:30.
    assert rules.due_date(CAL, paris(2026, 4, 30, 17), 2 * H) == paris(2026, 5, 4, 9, 30)


def test_a_pause_pushes_the_due_date_by_the_business_time_paused():
    due = paris(2026, 3, 2, 15, 30)
    # Paused Monday 11:00 -> 14:00: 1h (11-12) + 30 min (13:30-14:00) of business time.
    extended = rules.extend_due(CAL, due, paris(2026, 3, 2, 11), paris(2026, 3, 2, 14))
    assert extended == paris(2026, 3, 2, 17, 0)


def test_a_pause_over_the_weekend_costs_nothing():
    due = paris(2026, 3, 9, 10)
    paused = rules.extend_due(CAL, due, paris(2026, 3, 6, 17, 0), paris(2026, 3, 9, 8, 30))
    assert paused == due


def test_a_pause_after_the_breach_does_not_erase_it():
    due = paris(2026, 3, 2, 15, 30)
    later = rules.extend_due(CAL, due, paris(2026, 3, 2, 16), paris(2026, 3, 3, 16))
    assert later == due


def test_due_with_pauses_folds_the_pauses_in_order():
    start = paris(2026, 3, 2, 10)
    pauses = [
        (paris(2026, 3, 2, 14), paris(2026, 3, 2, 15)),  # 1h
        (paris(2026, 3, 2, 11), paris(2026, 3, 2, 11, 30)),  # 30 min, given out of order
    ]
    assert rules.due_with_pauses(CAL, start, 4 * H, pauses) == paris(2026, 3, 2, 17, 0)


@pytest.mark.parametrize(
    ("target", "threshold"),
    [
        (H, 12 * MIN),  # urgent first response: 20 %
        (4 * H, 48 * MIN),
        (5 * H, H),
        (40 * H, H),  # capped at one business hour
    ],
)
def test_breaching_soon_is_20_percent_of_the_target_capped_at_one_hour(target, threshold):
    assert rules.warning_threshold(target) == threshold


def test_clock_states():
    due = paris(2026, 3, 2, 15, 30)
    target = 4 * H
    state = rules.clock(CAL, due=due, target=target, now=paris(2026, 3, 2, 10), met_at=None)
    assert state.state == ClockState.OK
    assert state.remaining == 4 * H
    soon = rules.clock(CAL, due=due, target=target, now=paris(2026, 3, 2, 14, 50))
    assert soon.state == ClockState.SOON
    assert soon.remaining == 40 * MIN
    late = rules.clock(CAL, due=due, target=target, now=paris(2026, 3, 2, 16, 30))
    assert late.state == ClockState.BREACHED
    assert late.remaining == -H
    paused = rules.clock(
        CAL,
        due=due,
        target=target,
        now=paris(2026, 3, 3, 10),
        paused_since=paris(2026, 3, 2, 15),
    )
    assert paused.state == ClockState.PAUSED
    assert paused.remaining == 30 * MIN  # frozen when the pause started
    met = rules.clock(
        CAL, due=due, target=target, now=paris(2026, 3, 9, 10), met_at=paris(2026, 3, 2, 11)
    )
    assert met.state == ClockState.MET
    met_late = rules.clock(
        CAL, due=due, target=target, now=paris(2026, 3, 9, 10), met_at=paris(2026, 3, 2, 16)
    )
    assert met_late.state == ClockState.MET_LATE
    assert rules.clock(CAL, due=None, target=None, now=due).state == ClockState.NONE


def test_a_clock_paused_after_its_breach_stays_breached():
    state = rules.clock(
        CAL,
        due=paris(2026, 3, 2, 15, 30),
        target=4 * H,
        now=paris(2026, 3, 3, 10),
        paused_since=paris(2026, 3, 2, 16),
    )
    assert state.state == ClockState.BREACHED


# --------------------------------------------------------------------------- SLA properties

# Instants from 2025 to 2027, DST changes and holidays included, to the minute.
instants = st.integers(min_value=0, max_value=3 * 365 * 24 * 60).map(
    lambda m: (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=m)).astimezone(PARIS)
)
durations = st.integers(min_value=1, max_value=60 * 60).map(lambda m: timedelta(minutes=m))
pause_specs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5 * 24 * 60), st.integers(min_value=0, max_value=3000)
    ),
    max_size=4,
)


def _pauses(start, specs):
    """Non-overlapping pauses after ``start``: (gap before, length) in minutes."""
    pauses, cursor = [], utc(start)
    for gap, length in specs:
        begin = cursor + timedelta(minutes=gap)
        end = begin + timedelta(minutes=length)
        pauses.append((begin.astimezone(PARIS), end.astimezone(PARIS)))
        cursor = end
    return pauses


@settings(max_examples=300, deadline=None)
@given(start=instants, target=durations)
def test_property_the_due_date_is_exactly_target_business_time_after_the_start(start, target):
    due = rules.due_date(CAL, start, target)
    assert CAL.between(start, due) == target
    assert utc(due) > utc(start)
    # Earliest: one minute less of business time is reached strictly before.
    assert utc(rules.due_date(CAL, start, target - MIN)) < utc(due)


@settings(max_examples=300, deadline=None)
@given(start=instants, target=durations, specs=pause_specs)
def test_property_pauses_before_the_due_date_add_their_business_time(start, target, specs):
    pauses = _pauses(start, specs)
    due = rules.due_with_pauses(CAL, start, target, pauses)
    counted = sum((CAL.between(a, b) for a, b in pauses if utc(a) < utc(due)), timedelta(0))
    assert CAL.between(start, due) == target + counted
    assert utc(due) >= utc(rules.due_date(CAL, start, target))


@settings(max_examples=200, deadline=None)
@given(start=instants, target=durations, elapsed=st.integers(min_value=0, max_value=10_000))
def test_property_remaining_plus_elapsed_is_the_target(start, target, elapsed):
    due = rules.due_date(CAL, start, target)
    now = (utc(start) + timedelta(minutes=elapsed)).astimezone(PARIS)
    left = rules.remaining(CAL, due, now)
    assert CAL.between(start, now) + left == target
    state = rules.clock(CAL, due=due, target=target, now=now)
    if utc(now) >= utc(due):
        assert state.state == ClockState.BREACHED
        assert left <= timedelta(0)
    elif left < rules.warning_threshold(target):
        assert state.state == ClockState.SOON
    else:
        assert state.state == ClockState.OK


@settings(max_examples=200, deadline=None)
@given(start=instants, target=durations, specs=pause_specs)
def test_property_resuming_extends_like_recomputing(start, target, specs):
    """Extending the due date at each resume gives the same result as recomputing it from
    the start with every pause: priority changes and resumes agree."""
    pauses = _pauses(start, specs)
    due = rules.due_date(CAL, start, target)
    for a, b in pauses:
        due = rules.extend_due(CAL, due, a, b)
    assert utc(due) == utc(rules.due_with_pauses(CAL, start, target, pauses))


@given(target=st.integers(min_value=1, max_value=10**6).map(lambda s: timedelta(seconds=s)))
def test_property_the_warning_threshold_is_below_the_target_and_the_cap(target):
    threshold = rules.warning_threshold(target)
    assert timedelta(0) <= threshold <= min(target, rules.WARNING_CAP)


# --------------------------------------------------------------------------- scope guard


def exclusion(title, keywords):
    return SimpleNamespace(title=title, keywords=keywords)


TRAINING = exclusion("Formation", "formation\nformer")
WINDOWS = exclusion("Postes", "mise à jour Windows, antivirus")
XEMELIOS = exclusion("Xémélios", "Xémélios; certificat DGFiP")
ONSITE = exclusion("Sur site", ["sur site", "se déplacer"])
ALL = [TRAINING, WINDOWS, XEMELIOS, ONSITE]


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        ("Pouvez-vous organiser des FORMATIONS pour la nouvelle secrétaire ?", ["Formation"]),
        ("Les mises à jour de Windows bloquent le poste", ["Postes"]),
        ("Réinstaller XEMELIOS et le certificat de la DGFIP", ["Xémélios"]),
        ("Un technicien peut-il se déplacer sur site ?", ["Sur site"]),
        ("Mandat rejeté par le comptable, bordereau en erreur", []),
        ("Aide à la mise à jour d'e.magnus vers la version 8", []),
        ("Le format du fichier PES est refusé", []),
    ],
)
def test_match_exclusions_by_keyword_prefixes_ignoring_case_and_accents(text, titles):
    assert [m.exclusion.title for m in rules.match_exclusions(text, ALL)] == titles


def test_a_match_says_which_keywords_were_found():
    (match,) = rules.match_exclusions("antivirus et mise a jour windows", [WINDOWS])
    assert match.keywords == ("mise à jour Windows", "antivirus")


def test_keywords_need_consecutive_words():
    assert rules.match_exclusions("mise en place de Windows", [WINDOWS]) == []


@given(st.sampled_from(["formation", "Formation", "FORMATIONS", "formateur"]))
def test_property_matching_ignores_case(word):
    hits = rules.match_exclusions(f"demande de {word}", [exclusion("F", "format")])
    assert len(hits) == 1


def test_normalise_words_drops_accents_punctuation_and_function_words():
    assert rules.normalise_words("L'écran de la Mairie : « Xémélios » !") == [
        "ecran",
        "mairie",
        "xemelios",
    ]


# --------------------------------------------------------------------------- entitlement


def test_entitlement_reasons():
    none = rules.evaluate_entitlement(subscribed=False, on_label="2 mars 2026")
    assert none == (False, "Aucun abonnement actif au 2 mars 2026.", "member")
    base = rules.evaluate_entitlement(subscribed=True, on_label="x")
    assert base.entitled
    unsupported = rules.evaluate_entitlement(
        subscribed=True, on_label="x", software_name="Xémélios", software_supported=False
    )
    assert unsupported.entitled is False
    assert unsupported.field == "software"
    not_listed = rules.evaluate_entitlement(
        subscribed=True, on_label="x", software_name="Horizon", software_covered=False
    )
    assert not_listed.reason == "L'abonnement ne couvre pas le logiciel Horizon."
    all_software = rules.evaluate_entitlement(
        subscribed=True, on_label="x", software_name="Horizon", software_covered=None
    )
    assert all_software.entitled


# --------------------------------------------------------------------------- mail replies


def test_quoted_text_is_cut_from_mail_replies():
    body = (
        "Merci, c'est réglé.\n\nBonne journée\n\n"
        "Le lun. 2 mars 2026 à 10:05, Assistance <assistance@example> a écrit :\n"
        "> Bonjour,\n> essayez ceci\n"
    )
    assert rules.strip_quoted_reply(body) == "Merci, c'est réglé.\n\nBonne journée"


def test_a_fully_quoted_reply_keeps_its_text():
    assert rules.strip_quoted_reply("> seulement une citation") == "> seulement une citation"
