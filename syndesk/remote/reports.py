"""Remote-maintenance figures: per month of a year, the sessions requested, opened after
consent, refused, expired, closed by the user, abandoned, the presence losses and the
durations. One aggregate query whatever the number of sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from syndesk.core.spreadsheet import BOM, french_csv

from . import rules
from .models import RemoteSession, Status

_COUNTS = {
    "requested": Q(),
    "opened": Q(opened_at__isnull=False),
    "refused": Q(status=Status.REFUSED),
    "expired": Q(status=Status.EXPIRED),
    "closed": Q(status=Status.CLOSED),
    "abandoned": Q(status=Status.ABANDONED),
    "presence_lost": Q(presence_lost_count__gt=0),
}


@dataclass
class Row:
    label: str
    requested: int = 0
    opened: int = 0
    refused: int = 0
    expired: int = 0
    closed: int = 0
    abandoned: int = 0
    presence_lost: int = 0
    finished: int = 0
    total: timedelta = field(default_factory=timedelta)

    @property
    def average(self) -> timedelta | None:
        return self.total / self.finished if self.finished else None

    @property
    def total_label(self) -> str:
        return rules.duration_label(self.total) if self.finished else "—"

    @property
    def average_label(self) -> str:
        return rules.duration_label(self.average)


@dataclass
class Report:
    year: int
    months: list[Row]
    total: Row


def columns() -> list[str]:
    return [
        _("Mois"),
        _("Demandées"),
        _("Ouvertes après accord"),
        _("Refusées"),
        _("Expirées"),
        _("Fermées par l'utilisateur"),
        _("Abandonnées"),
        _("Avec perte de présence"),
        _("Durée totale"),
        _("Durée moyenne"),
    ]


def build(user, year: int) -> Report:
    tz = timezone.get_current_timezone()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    duration = ExpressionWrapper(F("closed_at") - F("opened_at"), output_field=DurationField())
    finished = Q(opened_at__isnull=False, closed_at__isnull=False)
    rows = (
        RemoteSession.objects.visible_to(user)
        .filter(requested_at__gte=start, requested_at__lt=end)
        .annotate(month=TruncMonth("requested_at", tzinfo=tz))
        .values("month")
        .annotate(
            **{name: Count("pk", filter=cond) for name, cond in _COUNTS.items()},
            finished=Count("pk", filter=finished),
            total=Sum(duration, filter=finished),
        )
        .order_by("month")
    )
    months = {m: Row(label=str(MONTHS[m]).capitalize()) for m in range(1, 13)}
    grand = Row(label=_("Total"))
    for values in rows:
        row = months[values["month"].month]
        for name in [*_COUNTS, "finished"]:
            setattr(row, name, values[name])
            setattr(grand, name, getattr(grand, name) + values[name])
        row.total = values["total"] or timedelta(0)
        grand.total += row.total
    return Report(year=year, months=list(months.values()), total=grand)


def to_csv(report: Report) -> str:
    # As the desk's reports: a finished file, byte-order mark included.
    rows = (
        [
            row.label,
            row.requested,
            row.opened,
            row.refused,
            row.expired,
            row.closed,
            row.abandoned,
            row.presence_lost,
            int(row.total.total_seconds() // 60) if row.finished else "",
            int(row.average.total_seconds() // 60) if row.average is not None else "",
        ]
        for row in [*report.months, report.total]
    )
    return BOM + french_csv(columns(), rows)
