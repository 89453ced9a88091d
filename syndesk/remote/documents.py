"""The trail of a session in words (ticket panel, session page, portal) and its PDF proof
(``core.documents``): request, consent with the exact text and its hash, presence,
hand-overs, closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from syndesk.core.documents import render_pdf

from . import services
from .models import ConsentRecord, EventKind, RemoteSession


@dataclass(frozen=True)
class TrailRow:
    at: datetime
    kind: str
    label: str
    actor: str
    ip: str
    detail: str


def _name(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def trail_of(session: RemoteSession, *, staff: bool) -> list[TrailRow]:
    """The session's events in order (one query). The member side does not see who made a
    refused attempt nor the addresses (they may be another organisation's people)."""
    rows = []
    for event in session.events.select_related("actor").order_by("at", "pk"):
        hide = not staff and event.kind == EventKind.ATTEMPT_REFUSED
        rows.append(
            TrailRow(
                at=event.at,
                kind=event.kind,
                label=str(event.get_kind_display()),
                actor="" if hide else _name(event.actor),
                ip=(event.ip_address or "") if staff else "",
                detail=event.detail,
            )
        )
    return rows


def proof_context(session: RemoteSession) -> dict:
    consent = ConsentRecord.objects.filter(session=session).select_related("user").first()
    return {
        "session": session,
        "consent": consent,
        "trail": trail_of(session, staff=True),
        "spans": list(session.spans.select_related("user").order_by("started_at", "pk")),
        "handovers": list(
            session.handovers.select_related("from_user", "to_user", "to_contact").order_by(
                "at", "pk"
            )
        ),
        "timeout": settings.REMOTE_PRESENCE_TIMEOUT_SECONDS,
        "beat": services.beat_seconds(),
    }


def render_proof(session: RemoteSession) -> bytes:
    """The PDF proof of the whole trail (same content for the same stored rows)."""
    return render_pdf("remote/pdf/proof.html", proof_context(session))
