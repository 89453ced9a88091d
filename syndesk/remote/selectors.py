"""Read-only selections of remote sessions for the staff list: the filtered, newest-first
queryset (scoped by ``visible_to``) and its CSV export. Writes are in services.py."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from syndesk.core.spreadsheet import french_csv, neutralised

from .filters import RemoteSessionFilterSet
from .models import RemoteSession, Status

# Only what the rows show: the ticket's and member's long texts would widen the join.
LIST_FIELDS = [
    "requested_at",
    "status",
    "close_kind",
    "decided_at",
    "opened_at",
    "closed_at",
    "reason",
    "presence_lost",
    "presence_lost_count",
    "ticket__reference",
    "member__name",
    "tool__name",
    "requested_by__first_name",
    "requested_by__last_name",
    "requested_by__email",
    "present_user__first_name",
    "present_user__last_name",
    "present_user__email",
    "present_contact__first_name",
    "present_contact__last_name",
]


def session_list(*, user, data) -> RemoteSessionFilterSet:
    """The sessions ``user`` may see, filtered by ``data`` (the list's GET parameters),
    newest first; one query for the rows whatever their number (the joins are selected)."""
    queryset = (
        RemoteSession.objects.visible_to(user)
        .select_related(
            "ticket", "member", "tool", "requested_by", "present_user", "present_contact"
        )
        .only(*LIST_FIELDS)
        .order_by("-requested_at", "-pk")
    )
    return RemoteSessionFilterSet(data or None, queryset=queryset)


def dashboard_counts(user) -> dict[str, int]:
    """The sessions of the staff dashboard: those waiting for the member user's consent and
    those open now (the list's "status" filter gives the same rows). One aggregate through
    ``visible_to``."""
    return RemoteSession.objects.visible_to(user).aggregate(
        requested=Count("pk", filter=Q(status=Status.REQUESTED)),
        open=Count("pk", filter=Q(status=Status.OPEN)),
    )


def csv_header() -> list[str]:
    return [
        _("N°"),
        _("Demandée le"),
        _("Adhérent"),
        _("Demande"),
        _("Outil"),
        _("Demandée par"),
        _("État"),
        _("Fermeture"),
        _("Décision le"),
        _("Ouverte le"),
        _("Fermée le"),
        _("Durée (min)"),
        _("Personne présente"),
        _("Pertes de présence"),
        _("Motif"),
    ]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _text(value: str) -> str:
    return neutralised(value or "")


def csv_row(session: RemoteSession) -> list:
    duration = session.duration
    agent = session.requested_by
    return [
        session.pk,
        _when(session.requested_at),
        _text(session.member.name),
        session.ticket.reference,
        _text(session.tool.name),
        _text(agent.get_full_name() or agent.email),
        session.get_status_display(),
        session.get_close_kind_display() if session.close_kind else "",
        _when(session.decided_at),
        _when(session.opened_at),
        _when(session.closed_at),
        int(duration.total_seconds() // 60) if duration is not None else "",
        _text(session.present_label),
        session.presence_lost_count,
        _text(session.reason),
    ]


def sessions_csv(sessions: Iterable[RemoteSession]) -> str:
    """French spreadsheet CSV (syndesk.core.spreadsheet); the caller encodes it with a
    byte-order mark (``utf-8-sig``)."""
    return french_csv(csv_header(), (csv_row(session) for session in sessions))
