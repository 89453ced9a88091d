"""The annex's remote-maintenance rules as pure functions (no database, no request).

The annex ("Obligations de la collectivité pour la connexion à distance"):

1. the connection "est ouverte après accord de l'utilisateur": a session opens only from an
   explicit acceptance of a pending, unexpired request (``decision_refusal``);
2. the intervention is made "en présence de l'utilisateur tout au long de l'intervention,
   ou d'un responsable de la collectivité": the member's page confirms presence
   periodically and a silence longer than the timeout flags the session
   (``presence_is_lost``);
3. the connection is "fermée sur action de celui-ci à la fin de l'intervention": only the
   member side closes; a session left open too long is closed as abandoned
   (``is_stale``).

Launch links: a tool is configured with a link template holding ``{session_id}``; the link
is built only once the session is open (after consent), from a checked session id.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

PLACEHOLDER = "{session_id}"

# Session states.
REQUESTED = "requested"
REFUSED = "refused"
EXPIRED = "expired"
OPEN = "open"
CLOSED = "closed"
ABANDONED = "abandoned"
PENDING_STATUSES = (REQUESTED,)
ACTIVE_STATUSES = (REQUESTED, OPEN)
FINAL_STATUSES = (REFUSED, EXPIRED, CLOSED, ABANDONED)

#: Allowed moves of the state machine.
TRANSITIONS: dict[str, frozenset[str]] = {
    REQUESTED: frozenset({REFUSED, EXPIRED, OPEN}),
    OPEN: frozenset({CLOSED, ABANDONED}),
    REFUSED: frozenset(),
    EXPIRED: frozenset(),
    CLOSED: frozenset(),
    ABANDONED: frozenset(),
}

#: Schemes a launch link may never use: script execution, local files, inline data, and
#: plain http (the link may carry a session id: never in clear on the network).
FORBIDDEN_SCHEMES = frozenset(
    {"javascript", "vbscript", "data", "file", "blob", "about", "http", "ftp", "filesystem"}
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_SESSION_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_TEMPLATE_MAX = 500


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def template_errors(template: str) -> list[str]:
    """Why a launch-link template is unsafe or unusable (codes; empty when it is fine).

    Codes: "empty", "too_long", "placeholder" (no ``{session_id}``), "braces" (another
    ``{...}`` field), "whitespace", "scheme" (no scheme), "forbidden_scheme", "https_host"
    (an https link without a host)."""
    errors: list[str] = []
    value = template or ""
    if not value.strip():
        return ["empty"]
    if len(value) > _TEMPLATE_MAX:
        errors.append("too_long")
    if PLACEHOLDER not in value:
        errors.append("placeholder")
    if value.replace(PLACEHOLDER, "").count("{") or value.replace(PLACEHOLDER, "").count("}"):
        errors.append("braces")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        errors.append("whitespace")
    match = _SCHEME.match(value)
    if match is None:
        errors.append("scheme")
        return errors
    scheme = match.group(1).lower()
    if scheme in FORBIDDEN_SCHEMES:
        errors.append("forbidden_scheme")
    elif scheme == "https":
        host = urlsplit(value.replace(PLACEHOLDER, "x")).hostname
        if not host:
            errors.append("https_host")
    return errors


def normalize_session_id(raw: str) -> str:
    """The tool's session id as typed ("123 456 789" → "123456789"); "" when empty."""
    return re.sub(r"\s+", "", raw or "")


def session_id_is_valid(value: str) -> bool:
    """Letters, digits, dot, dash, underscore; 1 to 64 characters (no URL syntax)."""
    return bool(_SESSION_ID.match(value or ""))


def launch_link(template: str, session_id: str) -> str:
    """The tool's link for one session; raises ValueError on a bad template or id. The id is
    percent-encoded, so it can never change the link's scheme, host or path."""
    if template_errors(template):
        raise ValueError("unsafe launch-link template")
    if not session_id_is_valid(session_id):
        raise ValueError("invalid session id")
    return template.replace(PLACEHOLDER, quote(session_id, safe=""))


def text_hash(text: str) -> str:
    """SHA-256 of the consent text as shown (UTF-8, hex): proves which text was agreed to."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decision_refusal(
    *, status: str, expires_at: datetime, now: datetime, member_side: bool
) -> str | None:
    """Why a consent decision (accept or refuse) cannot be taken now, or None.

    Codes: "not_member" (not a portal user of the member), "already_decided" (accepted,
    refused), "closed" (closed or abandoned), "expired" (past ``expires_at`` or expired)."""
    if not member_side:
        return "not_member"
    if status in (CLOSED, ABANDONED):
        return "closed"
    if status in (OPEN, REFUSED):
        return "already_decided"
    if status == EXPIRED or now >= expires_at:
        return "expired"
    return None


def presence_is_lost(
    *, last_presence: datetime | None, opened_at: datetime, now: datetime, timeout: timedelta
) -> bool:
    """No presence confirmation for longer than ``timeout`` (the opening counts as one)."""
    reference = max(d for d in (last_presence, opened_at) if d is not None)
    return now - reference > timeout


def is_stale(*, opened_at: datetime, now: datetime, max_duration: timedelta) -> bool:
    """Open for longer than the allowed maximum: closed as abandoned."""
    return now - opened_at > max_duration


def duration(opened_at: datetime | None, closed_at: datetime | None) -> timedelta | None:
    if opened_at is None or closed_at is None:
        return None
    return max(closed_at - opened_at, timedelta(0))


def duration_label(value: timedelta | None) -> str:
    """ "1 h 05 min", "12 min", "40 s" (language-neutral units)."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


@dataclass(frozen=True)
class Span:
    """A stretch of continuous presence: beats no further apart than the timeout."""

    started_at: datetime
    last_at: datetime
    beats: int


def extend_span(span: Span | None, *, at: datetime, timeout: timedelta) -> tuple[Span, bool]:
    """Add one beat; returns (span, is_new): a beat after a silence longer than the timeout
    starts a new span (the presence log stays one row per stretch, not one per beat)."""
    if span is None or at - span.last_at > timeout or at < span.started_at:
        return Span(at, at, 1), True
    return Span(span.started_at, max(span.last_at, at), span.beats + 1), False
