"""The desk's arithmetic and matching rules: pure functions, no database, no request.

SLA (service levels) in business time
-------------------------------------
A ticket has two clocks, *first response* and *resolution*, each with a target duration per
priority (``SLATarget``) expressed in **business time**: only the desk's opening hours count
(annex: Mon-Thu 8:30-12:00 / 13:30-18:00, Fri until 17:00, closed at weekends, on public
holidays and on closure days). The calendar is passed in (``core.hours.BusinessCalendar``),
so that these functions stay pure and are tested against any calendar.

* ``due = calendar.add(created, target)``: the earliest instant at which ``target`` of
  business time has elapsed since the ticket was opened.
* A clock is *paused* while the ticket waits for the member or for the vendor. Resuming
  moves the due date later by the business time spent paused, which is exactly
  ``calendar.add(due, calendar.between(paused_from, paused_until))``. A pause that starts
  when the clock is already past its due date does not erase the breach: the due date is
  then left alone (see ``extend_due``).
* Equivalently (property-tested): with pauses ``p_i`` that started before the final due
  date, ``calendar.between(created, due) == target + sum(calendar.between(p_i))``.
* "Breaching soon": less than ``warning_threshold(target)`` of business time left, that is
  20 % of the target but never more than one business hour (urgent 1h first response: warn
  12 minutes before; low 5-day resolution: warn one business hour before). A scheduled watch
  notifies the assignee and the managers once per ticket, clock and level.

Scope guard
-----------
The annex's exclusions are kept as editable data with keywords. ``match_exclusions`` tells
which exclusions a text evokes: text and keywords are lower-cased and stripped of accents and
punctuation, a handful of French function words ("de", "la", "à"...) are ignored, and a keyword
matches when its words appear consecutively in the text, each text word *starting with* the
keyword word ("formation" matches "formations"; "mise à jour Windows" matches "mises à jour de
windows"). Simple, explainable, and only a suggestion shown to the agent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from django.utils.translation import gettext as _

__all__ = [
    "TICKET_SERIES",
    "Clock",
    "ClockState",
    "Entitlement",
    "ExclusionMatch",
    "clock",
    "due_date",
    "due_with_pauses",
    "evaluate_entitlement",
    "extend_due",
    "find_reference",
    "match_exclusions",
    "normalise_words",
    "remaining",
    "strip_quoted_reply",
    "ticket_reference",
    "warning_threshold",
]


class Calendar(Protocol):
    """What the SLA rules need from ``core.hours.BusinessCalendar``."""

    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def between(self, a: datetime, b: datetime) -> timedelta: ...


_ZERO = timedelta(0)

# --------------------------------------------------------------------------- references

#: Series of the ticket numbers in core.numbering ("AS" for "assistance"): AS-2026-00042.
TICKET_SERIES = "AS"
TICKET_NUMBER_WIDTH = 5
_REFERENCE = re.compile(rf"\[({TICKET_SERIES}-\d{{4}}-\d{{{TICKET_NUMBER_WIDTH},}})\]")


def ticket_reference(year: int, number: int) -> str:
    """'AS-2026-00042': the format core.numbering.next_number produces for the desk."""
    return f"{TICKET_SERIES}-{year}-{number:0{TICKET_NUMBER_WIDTH}d}"


def find_reference(subject: str) -> str | None:
    """The reference written between brackets in a mail subject ("Re: [AS-2026-00042] ..")."""
    found = _REFERENCE.search(subject or "")
    return found.group(1) if found else None


# --------------------------------------------------------------------------- statuses

NEW, IN_PROGRESS, WAITING_MEMBER, WAITING_VENDOR, RESOLVED, CLOSED = (
    "new",
    "in_progress",
    "waiting_member",
    "waiting_vendor",
    "resolved",
    "closed",
)
OPEN_STATUSES = (NEW, IN_PROGRESS, WAITING_MEMBER, WAITING_VENDOR)
WAITING_STATUSES = (WAITING_MEMBER, WAITING_VENDOR)

#: Allowed status changes. "resolved" and "closed" are reached through resolve()/close()
#: (they need an outcome); a resolved ticket reopens to "in_progress"; "closed" is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({IN_PROGRESS, WAITING_MEMBER, WAITING_VENDOR, RESOLVED, CLOSED}),
    IN_PROGRESS: frozenset({WAITING_MEMBER, WAITING_VENDOR, RESOLVED, CLOSED}),
    WAITING_MEMBER: frozenset({IN_PROGRESS, WAITING_VENDOR, RESOLVED, CLOSED}),
    WAITING_VENDOR: frozenset({IN_PROGRESS, WAITING_MEMBER, RESOLVED, CLOSED}),
    RESOLVED: frozenset({IN_PROGRESS, CLOSED}),
    CLOSED: frozenset(),
}


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


# --------------------------------------------------------------------------- SLA


class ClockState(StrEnum):
    NONE = "none"  # no target (no due date)
    OK = "ok"
    SOON = "soon"  # less than the warning threshold left
    BREACHED = "breached"  # due date passed, not met
    PAUSED = "paused"  # waiting for the member or the vendor, not yet breached
    MET = "met"  # met on time
    MET_LATE = "met_late"  # met after the due date


@dataclass(frozen=True)
class Clock:
    """One SLA clock of a ticket at a given instant."""

    due: datetime | None
    state: ClockState
    remaining: timedelta | None  # business time left (negative when overdue)

    @property
    def is_alert(self) -> bool:
        return self.state in (ClockState.SOON, ClockState.BREACHED)


#: "Breaching soon" starts when this share of the target is left...
WARNING_SHARE = 0.2
#: ...but never earlier than this much business time before the due date.
WARNING_CAP = timedelta(hours=1)


def warning_threshold(target: timedelta) -> timedelta:
    """Business time left under which a clock is "breaching soon": 20 % of the target,
    at most one business hour (rounded down to the second)."""
    share = timedelta(seconds=int(target.total_seconds() * WARNING_SHARE))
    return min(share, WARNING_CAP)


def due_date(calendar: Calendar, start: datetime, target: timedelta) -> datetime:
    """The due date of a clock started at ``start`` with ``target`` of business time."""
    return calendar.add(start, target)


def extend_due(
    calendar: Calendar, due: datetime, paused_from: datetime, paused_until: datetime
) -> datetime:
    """The due date after a pause ``[paused_from, paused_until)``.

    The clock stops during the pause, so the due date moves by the business time paused. A
    pause starting at or after the due date leaves it unchanged: the clock had already run out
    and waiting for the member afterwards does not turn a breach into compliance.
    """
    if due <= paused_from:
        return due
    paused = calendar.between(paused_from, paused_until)
    if paused <= _ZERO:
        return due
    return calendar.add(due, paused)


def due_with_pauses(
    calendar: Calendar,
    start: datetime,
    target: timedelta,
    pauses: Iterable[tuple[datetime, datetime]],
) -> datetime:
    """The due date of a clock started at ``start`` after the (ended) pauses, in order."""
    due = due_date(calendar, start, target)
    for paused_from, paused_until in sorted(pauses):
        due = extend_due(calendar, due, paused_from, paused_until)
    return due


def remaining(
    calendar: Calendar, due: datetime, now: datetime, paused_since: datetime | None = None
) -> timedelta:
    """Business time left before ``due`` (negative when overdue). While paused the clock is
    frozen at the instant the pause started."""
    reference = paused_since if paused_since is not None and paused_since < now else now
    return calendar.between(reference, due)


def clock(
    calendar: Calendar,
    *,
    due: datetime | None,
    target: timedelta | None,
    now: datetime,
    met_at: datetime | None = None,
    paused_since: datetime | None = None,
) -> Clock:
    """The state of one clock at ``now``.

    ``met_at`` is when it stopped for good (first public reply, resolution); ``target`` only
    serves the "breaching soon" threshold (None: never "soon").
    """
    if due is None:
        return Clock(None, ClockState.NONE, None)
    if met_at is not None:
        state = ClockState.MET if met_at <= due else ClockState.MET_LATE
        return Clock(due, state, None)
    left = remaining(calendar, due, now, paused_since)
    if paused_since is not None:
        if due <= paused_since:
            return Clock(due, ClockState.BREACHED, left)
        return Clock(due, ClockState.PAUSED, left)
    if now >= due:
        return Clock(due, ClockState.BREACHED, left)
    if target is not None and left < warning_threshold(target):
        return Clock(due, ClockState.SOON, left)
    return Clock(due, ClockState.OK, left)


# --------------------------------------------------------------------------- entitlement


class Entitlement(NamedTuple):
    entitled: bool
    reason: str
    field: str = ""  # what to blame when refused: "member" (subscription) or "software"


def evaluate_entitlement(
    *,
    subscribed: bool,
    on_label: str,
    software_name: str | None = None,
    software_supported: bool = True,
    software_covered: bool | None = None,
) -> Entitlement:
    """Whether a request is covered by the member's subscription, with the reason shown.

    ``subscribed``: an open subscription covers the day (``on_label``, a formatted date).
    ``software_covered``: None when the subscription lists no software (the base assistance
    covers every supported software), else whether the ticket's software is in its list.
    """
    if not subscribed:
        return Entitlement(
            False, _("Aucun abonnement actif au %(date)s.") % {"date": on_label}, "member"
        )
    if software_name is None:
        return Entitlement(True, _("Abonnement actif."))
    if not software_supported:
        return Entitlement(
            False,
            _("Le logiciel %(software)s n'est pas couvert par l'assistance.")
            % {"software": software_name},
            "software",
        )
    if software_covered is False:
        return Entitlement(
            False,
            _("L'abonnement ne couvre pas le logiciel %(software)s.") % {"software": software_name},
            "software",
        )
    return Entitlement(
        True, _("Abonnement actif couvrant %(software)s.") % {"software": software_name}
    )


# --------------------------------------------------------------------------- scope guard

#: French function words ignored on both sides of the matching.
STOPWORDS = frozenset(
    {"a", "au", "aux", "ce", "ces", "cet", "cette", "d", "de", "des", "du", "en", "et", "l"}
    | {"la", "le", "les", "ma", "mes", "mon", "nos", "notre", "sa", "ses", "son", "un", "une"}
    | {"vos", "votre"}
)


def normalise_words(text: str) -> list[str]:
    """Lower-case words without accents, punctuation or French function words."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return [w for w in re.split(r"[^0-9a-z]+", bare) if w and w not in STOPWORDS]


def keywords_of(raw: str) -> list[str]:
    """Keywords as stored: one per line or separated by commas/semicolons."""
    return [k.strip() for k in re.split(r"[\n,;]+", raw or "") if k.strip()]


def _matches(words: Sequence[str], keyword: Sequence[str]) -> bool:
    if not keyword:
        return False
    width = len(keyword)
    for i in range(len(words) - width + 1):
        if all(words[i + j].startswith(keyword[j]) for j in range(width)):
            return True
    return False


class ExclusionMatch(NamedTuple):
    exclusion: Any
    keywords: tuple[str, ...]  # the keywords (as written) found in the text


def match_exclusions(text: str, exclusions: Iterable[Any]) -> list[ExclusionMatch]:
    """The exclusions whose keywords appear in ``text``, in the order given.

    Each exclusion needs a ``keywords`` attribute: a string (one keyword per line or comma
    separated) or a sequence of strings.
    """
    words = normalise_words(text)
    found = []
    for exclusion in exclusions:
        raw = exclusion.keywords
        keywords = keywords_of(raw) if isinstance(raw, str) else list(raw)
        hits = tuple(k for k in keywords if _matches(words, normalise_words(k)))
        if hits:
            found.append(ExclusionMatch(exclusion, hits))
    return found


# --------------------------------------------------------------------------- inbound mail

_QUOTE_HEADERS = (
    re.compile(r"^\s*Le .{3,200} a écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*On .{3,200} wrote\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(Message d'origine|Original Message)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*(De|From)\s*:\s.+$"),
)


def strip_quoted_reply(body: str) -> str:
    """The new part of a mail reply: cut at the first "Le ... a écrit :" / "-----Original
    Message-----" / "De :" line and drop ">"-quoted lines. The full mail stays stored."""
    kept = []
    for line in (body or "").splitlines():
        if any(p.match(line) for p in _QUOTE_HEADERS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    text = "\n".join(kept).strip()
    return text or (body or "").strip()
