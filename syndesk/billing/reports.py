"""The billing dashboard (issue 4 §6): invoiced, paid, still due and overdue, by year, month
and member, the invoices to come (anniversaries in the next 60 days), server-drawn SVG
charts and a French CSV file.

Every figure is aggregated by the database (``values()`` + ``annotate(Sum)``): the page runs
a handful of queries whatever the number of invoices. Figures count the issued invoices of
the year (year of issue): "invoiced" is their amount incl. VAT, "credited" the credit notes
issued against them, "paid" the mandate payments recorded on them, "due" what remains, and
"overdue" the part of it past its due date.

Charts are plain SVG with presentation attributes only (the CSP forbids inline styles and
scripts), a ``<title>`` and a ``<desc>``; the table under each chart is its text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from syndesk.core.spreadsheet import french_csv, neutralised

from . import services
from .models import ZERO, Invoice

TOP_MEMBERS = 20
#: Members listed on the page (the CSV lists them all).
MEMBERS_SHOWN = 50
UPCOMING_DAYS = 60
YEARS_SHOWN = 5

GREEN = "#1b6e3a"
BLUE = "#0b4f8a"
RED = "#a4161a"


def _sum(expression, **filters):
    return Coalesce(
        Sum(expression, filter=Q(**filters) if filters else None),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _remaining():
    return F("total_incl_vat") - F("amount_paid") - F("amount_credited")


def _figures(today: date) -> dict:
    """Annotations of one group of issued invoices (credit notes are counted through
    ``amount_credited`` on the invoices they correct)."""
    return {
        "invoiced": _sum("total_incl_vat"),
        "credited": _sum("amount_credited"),
        "paid": _sum("amount_paid"),
        "due": _sum(_remaining(), settled_on__isnull=True),
        "overdue": _sum(_remaining(), settled_on__isnull=True, due_date__lt=today),
    }


@dataclass(frozen=True)
class Row:
    label: str
    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    due: Decimal
    overdue: Decimal
    pk: int | None = None

    @property
    def current(self) -> Decimal:
        """Still due but not late."""
        return self.due - self.overdue


def _row(label: str, values: dict, pk=None) -> Row:
    return Row(
        label,
        values["invoiced"],
        values["credited"],
        values["paid"],
        values["due"],
        values["overdue"],
        pk,
    )


# Charts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    fill: str
    values: Sequence[Decimal]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    size: int = 12


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def euros(value) -> str:
    return f"{number_format(Decimal(value), 2, force_grouping=True)}\N{NO-BREAK SPACE}€"


def _short(value: float) -> str:
    return number_format(round(value), force_grouping=True)


def _ticks(maximum: float) -> list[float]:
    if maximum <= 0:
        return [0, 1]
    raw = maximum / 4
    exponent = 10 ** math.floor(math.log10(raw))
    step = next(m * exponent for m in (1, 2, 5, 10) if raw <= m * exponent)
    count = math.ceil(maximum / step - 1e-9)
    return [i * step for i in range(count + 1)]


def _legend(chart: Chart, series: Sequence[Series], x: float, y: float) -> None:
    for s in series:
        chart.rects.append(Rect(round(x, 1), y - 10, 12, 12, s.fill))
        chart.texts.append(Text(round(x + 17, 1), y, s.label))
        x += 30 + 7 * len(s.label)


def stacked_bars(
    *, id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> Chart:
    """Horizontal stacked bars, one row per label, amounts in euros."""
    width, label_w, right, top, row, bar = 720, 200, 90, 34, 24, 16
    plot_w = width - label_w - right
    totals = [sum(float(s.values[i]) for s in series) for i in range(len(labels))]
    ticks = _ticks(max(totals, default=0))
    scale = plot_w / ticks[-1]
    bottom = top + row * max(len(labels), 1)
    chart = Chart(id, title, desc, width, bottom + 26)
    _legend(chart, series, label_w, 16)
    for tick in ticks:
        x = round(label_w + tick * scale, 1)
        chart.lines.append(Line(x, top - 4, x, bottom))
        chart.texts.append(Text(x, bottom + 16, _short(tick), "middle", size=11))
    for i, label in enumerate(labels):
        y = top + i * row + (row - bar) / 2
        shown = label if len(label) <= 28 else label[:27] + "…"
        chart.texts.append(Text(label_w - 8, round(y + bar - 3, 1), shown, "end"))
        x = float(label_w)
        for s in series:
            value = float(s.values[i])
            if value > 0:
                w = value * scale
                chart.rects.append(
                    Rect(
                        round(x, 1),
                        round(y, 1),
                        round(w, 1),
                        bar,
                        s.fill,
                        f"{label} — {s.label} : {euros(s.values[i])}",
                    )
                )
                x += w
        chart.texts.append(Text(round(x + 6, 1), round(y + bar - 3, 1), _short(totals[i])))
    return chart


# The dashboard -------------------------------------------------------------------------------


@dataclass
class Dashboard:
    year: int
    today: date
    total: Row
    years: list[Row]
    months: list[Row]
    members: list[Row]
    members_count: int
    members_shown: list[Row]
    upcoming: list
    member_chart: Chart
    month_chart: Chart


def dashboard(user, *, year: int, today: date) -> Dashboard:
    issued = Invoice.objects.visible_to(user).issued().invoices()
    of_year = issued.filter(year=year)
    total = _row(_("Total %(year)s") % {"year": year}, of_year.aggregate(**_figures(today)))
    years = [
        _row(str(values["year"]), values)
        for values in issued.filter(year__gt=year - YEARS_SHOWN, year__lte=year)
        .values("year")
        .annotate(**_figures(today))
        .order_by("-year")
    ]
    by_month = {
        values["month"]: values
        for values in of_year.annotate(month=ExtractMonth("issue_date"))
        .values("month")
        .annotate(**_figures(today))
        .order_by("month")
    }
    empty = dict.fromkeys(("invoiced", "credited", "paid", "due", "overdue"), ZERO)
    months = [
        _row(date_format(date(year, m, 1), "F"), by_month.get(m, empty)) for m in range(1, 13)
    ]
    member_values = list(
        of_year.values("member_id", "member__name")
        .annotate(**_figures(today))
        .order_by("-overdue", "-due", "-invoiced", "member__name")
    )
    # The page shows the members with the most overdue first (then still due, then
    # invoiced); the CSV file has every member.
    members = [_row(v["member__name"], v, v["member_id"]) for v in member_values]
    series_of = [
        (_("Payé"), GREEN, "paid"),
        (_("À échoir"), BLUE, "current"),
        (_("En retard"), RED, "overdue"),
    ]
    top = members[:TOP_MEMBERS]
    member_chart = stacked_bars(
        id="chart-members",
        title=_("Facturé en %(year)s par adhérent") % {"year": year},
        desc=_("Montant TTC facturé à chaque adhérent : payé, à échoir et en retard."),
        labels=[r.label for r in top],
        series=[
            Series(label, fill, [getattr(r, attr) for r in top]) for label, fill, attr in series_of
        ],
    )
    month_chart = stacked_bars(
        id="chart-months",
        title=_("Facturé en %(year)s par mois d'émission") % {"year": year},
        desc=_("Montant TTC des factures émises chaque mois : payé, à échoir et en retard."),
        labels=[r.label for r in months],
        series=[
            Series(label, fill, [getattr(r, attr) for r in months])
            for label, fill, attr in series_of
        ],
    )
    return Dashboard(
        year=year,
        today=today,
        total=total,
        years=years,
        months=months,
        members=members,
        members_count=len(members),
        members_shown=members[:MEMBERS_SHOWN],
        upcoming=services.upcoming_invoices(today=today, days=UPCOMING_DAYS),
        member_chart=member_chart,
        month_chart=month_chart,
    )


def _cell(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    return neutralised(str(value))


def dashboard_csv(board: Dashboard) -> str:
    """By member, then the total: what French spreadsheet software opens directly (";",
    decimal comma, CRLF; the caller adds the byte-order mark)."""
    header = [
        _("Adhérent"),
        _("Facturé TTC"),
        _("Avoirs"),
        _("Payé"),
        _("Reste dû"),
        _("Dont en retard"),
    ]
    return french_csv(
        header,
        (
            [
                _cell(v)
                for v in (row.label, row.invoiced, row.credited, row.paid, row.due, row.overdue)
            ]
            for row in [*board.members, board.total]
        ),
    )
