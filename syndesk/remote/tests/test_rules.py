"""The annex's remote-maintenance rules, by example and by property."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndesk.remote import rules

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "template",
    [
        "rustdesk://{session_id}",
        "teamviewer10://control?device={session_id}",
        "anydesk:{session_id}",
        "https://mesh.example.fr/?gotonode={session_id}&viewmode=11",
    ],
)
def test_usual_tool_templates_are_accepted(template):
    assert rules.template_errors(template) == []


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("javascript:alert({session_id})", "forbidden_scheme"),
        ("JavaScript:alert({session_id})", "forbidden_scheme"),
        ("data:text/html,{session_id}", "forbidden_scheme"),
        ("http://mesh.example.fr/{session_id}", "forbidden_scheme"),
        ("file:///etc/{session_id}", "forbidden_scheme"),
        ("rustdesk://", "placeholder"),
        ("rustdesk://{session_id}/{other}", "braces"),
        ("//mesh.example.fr/{session_id}", "scheme"),
        ("https:///{session_id}", "https_host"),
        ("rustdesk:// {session_id}", "whitespace"),
        ("", "empty"),
    ],
)
def test_unsafe_templates_are_refused(template, code):
    assert code in rules.template_errors(template)


def test_launch_link_percent_encodes_the_id_and_refuses_bad_ones():
    assert rules.launch_link("rustdesk://{session_id}", "123456789") == "rustdesk://123456789"
    with pytest.raises(ValueError, match="invalid session id"):
        rules.launch_link("rustdesk://{session_id}", "1/../x")
    with pytest.raises(ValueError, match="unsafe"):
        rules.launch_link("javascript:{session_id}", "1")


def test_session_ids_typed_with_spaces():
    assert rules.normalize_session_id(" 123 456\t789 ") == "123456789"
    assert rules.session_id_is_valid("abc-1.2_3")
    assert not rules.session_id_is_valid("")
    assert not rules.session_id_is_valid("a" * 65)


@pytest.mark.parametrize(
    ("status", "offset", "member_side", "expected"),
    [
        (rules.REQUESTED, 10, True, None),
        (rules.REQUESTED, 30, True, "expired"),
        (rules.EXPIRED, 1, True, "expired"),
        (rules.OPEN, 1, True, "already_decided"),
        (rules.REFUSED, 1, True, "already_decided"),
        (rules.CLOSED, 1, True, "closed"),
        (rules.ABANDONED, 1, True, "closed"),
        (rules.REQUESTED, 1, False, "not_member"),
    ],
)
def test_decision_refusal(status, offset, member_side, expected):
    got = rules.decision_refusal(
        status=status,
        expires_at=T + timedelta(minutes=30),
        now=T + timedelta(minutes=offset),
        member_side=member_side,
    )
    assert got == expected


def test_state_machine_only_opens_from_a_request():
    assert rules.can_move(rules.REQUESTED, rules.OPEN)
    assert not rules.can_move(rules.OPEN, rules.REQUESTED)
    assert not rules.can_move(rules.REFUSED, rules.OPEN)
    assert all(not rules.TRANSITIONS[s] for s in rules.FINAL_STATUSES)


def test_presence_and_staleness_limits():
    timeout = timedelta(seconds=90)
    assert not rules.presence_is_lost(
        last_presence=T, opened_at=T, now=T + timeout, timeout=timeout
    )
    assert rules.presence_is_lost(
        last_presence=T, opened_at=T, now=T + timeout + timedelta(seconds=1), timeout=timeout
    )
    assert not rules.is_stale(
        opened_at=T, now=T + timedelta(hours=4), max_duration=timedelta(hours=4)
    )
    assert rules.is_stale(
        opened_at=T, now=T + timedelta(hours=4, seconds=1), max_duration=timedelta(hours=4)
    )


def test_duration_labels():
    assert rules.duration_label(timedelta(hours=1, minutes=5)) == "1 h 05 min"
    assert rules.duration_label(timedelta(minutes=12, seconds=3)) == "12 min"
    assert rules.duration_label(timedelta(seconds=40)) == "40 s"
    assert rules.duration_label(None) == "—"


session_ids = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
    min_size=1,
    max_size=64,
)


@given(
    session_id=session_ids, tool=st.sampled_from(["rustdesk://", "anydesk:", "https://m.fr/?n="])
)
def test_a_valid_id_never_changes_the_scheme_or_host(session_id, tool):
    link = rules.launch_link(tool + "{session_id}", session_id)
    assert link.startswith(tool)
    assert link == tool + session_id


@given(st.text(max_size=80))
def test_any_text_is_either_refused_as_an_id_or_kept_url_safe(raw):
    value = rules.normalize_session_id(raw)
    if rules.session_id_is_valid(value):
        assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in value)


@given(st.text(max_size=200))
def test_templates_with_a_forbidden_scheme_are_always_refused(rest):
    for scheme in ("javascript:", "data:", "vbscript:"):
        assert rules.template_errors(scheme + rest + "{session_id}")


@given(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=40))
def test_presence_spans_cover_every_beat_and_split_only_on_silence(gaps):
    timeout = timedelta(seconds=90)
    span, spans, at = None, 0, T
    beats = 0
    for gap in gaps:
        at += timedelta(seconds=gap)
        span, new = rules.extend_span(span, at=at, timeout=timeout)
        spans += new
        beats += 1
        if new:
            beats = 1
        assert span.beats == beats
        assert span.last_at == at
    assert spans == 1 + sum(1 for g in gaps[1:] if g > 90)


@given(st.text(max_size=500))
def test_the_text_hash_is_stable_and_distinguishing(text):
    assert rules.text_hash(text) == rules.text_hash(text)
    assert len(rules.text_hash(text)) == 64
    assert rules.text_hash(text) != rules.text_hash(text + ".")
