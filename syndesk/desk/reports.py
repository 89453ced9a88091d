"""The desk's statistics (issue 5 §9): tickets per month, software, member and category, SLA
compliance, out-of-scope redirections, time spent and satisfaction — as tables, server-drawn
SVG charts and French CSV files.

Every figure is aggregated by the database (``values()`` + ``annotate(Count/Sum)``,
``TruncMonth`` in the Europe/Paris time zone): each report runs one or two queries whatever
the number of tickets. Ticket reports count the tickets *opened* in the period; time spent
counts the entries *dated* in it; satisfaction counts the ratings *given* in it.

SLA compliance follows ``Ticket.sla()`` (so that the reports agree with the ticket page):
a clock is *met* when it stopped (first public reply — or resolution/closing — for the
first response; resolution or closing for the resolution) at or before its due date;
*breached* when it stopped later, or is still running past its due date, or was paused
after its due date; otherwise *running* (within time, paused in time, or no target).

CSV files are what French spreadsheet software opens without an import dialog: UTF-8 with a
byte-order mark, ";" between fields, CRLF line ends, decimal comma ("12,5"), no thousands
separator; a text cell starting with = + - @ gets a leading apostrophe (formula injection).

Charts are plain SVG (``Chart``, drawn by ``desk/reports/_chart.html``): presentation
attributes only (the CSP forbids inline styles and scripts), a ``<title>`` and a ``<desc>``,
and the table that follows each chart is its text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django import forms
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syndesk.core.spreadsheet import BOM, french_csv, neutralised

from .models import Category, Exclusion, Outcome, Priority, Satisfaction, Ticket, TimeEntry

#: How many members the "per member" report lists.
TOP_MEMBERS = 20
#: A custom period is at most this long (a bounded chart and table).
MAX_PERIOD_DAYS = 5 * 366
YEARS_OFFERED = 5

# Colours: WCAG AA against white for text, distinct in lightness for the stacked series.
BLUE = "#0b4f8a"
GREEN = "#1b6e3a"
RED = "#a4161a"
GREY = "#8a96a3"
INK = "#1b1f24"
LINE = "#c9d1da"


# --------------------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str
    key: str  # in file names: "12-mois", "2026", "2026-01-01_2026-03-31"

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) in the current time zone (Europe/Paris)."""
        return (
            timezone.make_aware(datetime.combine(self.start, time.min)),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min)),
        )

    def months(self) -> list[date]:
        first, months = self.start.replace(day=1), []
        while first <= self.end:
            months.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return months


def last_twelve_months(today: date) -> Period:
    month = today.month - 11
    year = today.year + (month - 1) // 12
    start = date(year, (month - 1) % 12 + 1, 1)
    return Period(start, today, _("12 derniers mois"), "12-mois")


def year_period(year: int, today: date) -> Period:
    end = min(date(year, 12, 31), today) if year == today.year else date(year, 12, 31)
    label = _("Année %(year)d") % {"year": year}
    if end != date(year, 12, 31):
        label = _("Année %(year)d (jusqu'au %(end)s)") % {
            "year": year,
            "end": date_format(end, "j F"),
        }
    return Period(date(year, 1, 1), end, label, str(year))


class ReportPeriodForm(forms.Form):
    """?periode=12-mois|2026|... or ?du=...&au=... (a custom range wins when given)."""

    periode = forms.ChoiceField(label=gettext_lazy("Période"), required=False)
    du = forms.DateField(
        label=gettext_lazy("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    au = forms.DateField(
        label=gettext_lazy("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        years = range(today.year, today.year - YEARS_OFFERED, -1)
        self.fields["periode"].choices = [("12-mois", _("12 derniers mois"))] + [
            (str(y), _("Année %(year)d") % {"year": y}) for y in years
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("du"), data.get("au")
        if bool(start) != bool(end) and not self.errors:
            raise forms.ValidationError(_("Indiquez les deux dates de la période, ou aucune."))
        if start and end:
            if end < start:
                self.add_error("au", _("La fin de la période précède son début."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("au", _("La période est limitée à cinq ans."))
        return data

    def period(self) -> Period:
        """The period asked for; the last twelve months when the input is missing or bad."""
        if not self.is_bound or not self.is_valid():
            return last_twelve_months(self.today)
        data = self.cleaned_data
        if data.get("du") and data.get("au"):
            start, end = data["du"], data["au"]
            label = _("Du %(start)s au %(end)s") % {
                "start": date_format(start, "j F Y"),
                "end": date_format(end, "j F Y"),
            }
            return Period(start, end, label, f"{start.isoformat()}_{end.isoformat()}")
        if data.get("periode", "").isdigit():
            return year_period(int(data["periode"]), self.today)
        return last_twelve_months(self.today)

    def query(self) -> str:
        """The period as a query string, to carry it to the other reports and the CSV."""
        if not self.is_bound or not self.is_valid():
            return ""
        data = self.cleaned_data
        if data.get("du") and data.get("au"):
            return urlencode({"du": data["du"].isoformat(), "au": data["au"].isoformat()})
        return urlencode({"periode": data["periode"]}) if data.get("periode") else ""


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "int"  # "text", "int", "hours" (one decimal), "percent" (one decimal)


@dataclass(frozen=True)
class Cell:
    value: object
    kind: str = "int"

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == "text":
            return str(self.value)
        if self.kind == "int":
            return number_format(self.value, force_grouping=True)
        text = number_format(self.value, decimal_pos=1, force_grouping=True)
        return f"{text}\u00a0%" if self.kind == "percent" else text

    @property
    def csv(self) -> str:
        if self.value is None:
            return ""
        if self.kind == "text":
            return neutralised(str(self.value))
        if self.kind == "int":
            return str(self.value)
        return f"{self.value:.1f}".replace(".", ",")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _hours(minutes: int | None) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _month_of(value) -> date:
    """A TruncMonth value as the first day of the month (aware datetimes in local time)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def _month_label(month: date) -> str:
    return date_format(month, "F Y")


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Series:
    label: str
    fill: str
    values: Sequence[float | int | Decimal]


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
    full: str = ""  # the untruncated label, as a tooltip
    size: int = 12


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def _ticks(maximum: float, *, integer: bool) -> list[float]:
    """Round gridline values from 0 up to at least ``maximum`` (4 or 5 steps)."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / 4
    exponent = 10 ** math.floor(math.log10(raw))
    step = next(m * exponent for m in (1, 2, 5, 10) if raw <= m * exponent)
    if integer:
        step = max(1, round(step))
    count = math.ceil(maximum / step - 1e-9)
    return [i * step for i in range(count + 1)]


def _fmt(value) -> str:
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return number_format(value, decimal_pos=1, force_grouping=True)


def _r(value: float) -> float:
    return round(value, 1)


def _truncate(label: str, width: int = 30) -> tuple[str, str]:
    return (label, "") if len(label) <= width else (label[: width - 1] + "…", label)


def _legend(series: Sequence[Series], y: float, x: float) -> tuple[list[Rect], list[Text]]:
    rects, texts = [], []
    if len(series) < 2:
        return rects, texts
    for s in series:
        rects.append(Rect(_r(x), _r(y - 10), 12, 12, s.fill))
        texts.append(Text(_r(x + 17), _r(y), s.label))
        x += 30 + 7 * len(s.label)
    return rects, texts


def hbar_chart(
    *, id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> Chart:
    """Horizontal bars (stacked when several series): one row per label."""
    width, label_w, right = 720, 230, 70
    top = 34 if len(series) > 1 else 12
    row, bar = 24, 16
    plot_w = width - label_w - right
    totals = [sum(float(s.values[i]) for s in series) for i in range(len(labels))]
    integer = all(isinstance(v, int) for s in series for v in s.values)
    ticks = _ticks(max(totals, default=0), integer=integer)
    scale = plot_w / ticks[-1]
    height = top + row * max(len(labels), 1) + 26
    chart = Chart(id, title, desc, width, height)
    legend_rects, legend_texts = _legend(series, 16, label_w)
    chart.rects.extend(legend_rects)
    chart.texts.extend(legend_texts)
    bottom = top + row * max(len(labels), 1)
    for tick in ticks:
        x = _r(label_w + tick * scale)
        chart.lines.append(Line(x, top - 4, x, bottom))
        chart.texts.append(Text(x, bottom + 16, _fmt(tick), "middle", size=11))
    for i, label in enumerate(labels):
        y = top + i * row + (row - bar) / 2
        shown, full = _truncate(label)
        chart.texts.append(Text(label_w - 8, _r(y + bar - 3), shown, "end", full))
        x = float(label_w)
        for s in series:
            value = float(s.values[i])
            if value > 0:
                w = value * scale
                chart.rects.append(
                    Rect(
                        _r(x),
                        _r(y),
                        _r(w),
                        bar,
                        s.fill,
                        f"{label} — {s.label} : {_fmt(s.values[i])}",
                    )
                )
                x += w
        total = sum(s.values[i] for s in series)
        chart.texts.append(Text(_r(x + 6), _r(y + bar - 3), _fmt(total)))
    return chart


def vbar_chart(
    *, id: str, title: str, desc: str, labels: Sequence[date], series: Sequence[Series]
) -> Chart:
    """Vertical bars per month (stacked when several series)."""
    width, height, left, right = 720, 300, 56, 12
    top, bottom = 40 if len(series) > 1 else 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(float(s.values[i]) for s in series) for i in range(len(labels))]
    integer = all(isinstance(v, int) for s in series for v in s.values)
    ticks = _ticks(max(totals, default=0), integer=integer)
    scale = plot_h / ticks[-1]
    chart = Chart(id, title, desc, width, height)
    legend_rects, legend_texts = _legend(series, 16, left)
    chart.rects.extend(legend_rects)
    chart.texts.extend(legend_texts)
    base = top + plot_h
    for tick in ticks:
        y = _r(base - tick * scale)
        chart.lines.append(Line(left, y, width - right, y))
        chart.texts.append(Text(left - 6, _r(y + 4), _fmt(tick), "end", size=11))
    slot = plot_w / max(len(labels), 1)
    bar = min(slot * 0.7, 48)
    for i, month in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y = float(base)
        for s in series:
            value = float(s.values[i])
            if value > 0:
                h = value * scale
                y -= h
                chart.rects.append(
                    Rect(
                        _r(x),
                        _r(y),
                        _r(bar),
                        _r(h),
                        s.fill,
                        f"{_month_label(month)} — {s.label} : {_fmt(s.values[i])}",
                    )
                )
        total = sum(s.values[i] for s in series)
        center = _r(x + bar / 2)
        if len(labels) <= 24:
            chart.texts.append(Text(center, _r(y - 4), _fmt(total), "middle", size=11))
        chart.texts.append(Text(center, base + 16, date_format(month, "N"), "middle", size=11))
        if i == 0 or month.month == 1:
            chart.texts.append(Text(center, base + 32, str(month.year), "middle", size=11))
    return chart


# --------------------------------------------------------------------------- reports


@dataclass
class Report:
    slug: str
    title: str
    description: str
    period: Period
    columns: list[Column]
    rows: list[list[Cell]]
    chart: Chart
    totals: list[Cell] | None = None

    @property
    def filename(self) -> str:
        return f"assistance-{self.slug}-{self.period.key}.csv"


def _row(columns: Sequence[Column], values: Sequence) -> list[Cell]:
    return [Cell(v, c.kind) for c, v in zip(columns, values, strict=True)]


def _tickets(user, period: Period):
    start, end = period.bounds()
    return Ticket.objects.visible_to(user).filter(created_at__gte=start, created_at__lt=end)


def _chart_id(slug: str) -> str:
    return f"graphique-{slug}"


def _span(period: Period) -> str:
    return period.label.lower() if period.key == "12-mois" else period.label


def tickets_per_month(user, period: Period, *, now: datetime) -> Report:
    slug = "demandes-par-mois"
    found = {
        _month_of(r["month"]): r
        for r in _tickets(user, period)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            total=Count("pk"),
            unentitled=Count("pk", filter=Q(entitled=False)),
            redirected=Count("pk", filter=Q(outcome=Outcome.REDIRECTED)),
        )
        .order_by("month")
    }
    months = period.months()
    columns = [
        Column(_("Mois"), "text"),
        Column(_("Demandes ouvertes")),
        Column(_("dont hors abonnement")),
        Column(_("dont réorientées (hors périmètre)")),
    ]
    values = [
        [found.get(m, {}).get(k, 0) for k in ("total", "unentitled", "redirected")] for m in months
    ]
    rows = [_row(columns, [_month_label(m), *v]) for m, v in zip(months, values, strict=True)]
    totals = _row(columns, [_("Total"), *(sum(v[i] for v in values) for i in range(3))])
    title = _("Demandes par mois")
    return Report(
        slug,
        title,
        _("Demandes ouvertes chaque mois, tous canaux confondus."),
        period,
        columns,
        rows,
        vbar_chart(
            id=_chart_id(slug),
            title=title,
            desc=_(
                "Diagramme en barres du nombre de demandes ouvertes par mois, %(span)s. "
                "Les valeurs figurent dans le tableau qui suit."
            )
            % {"span": _span(period)},
            labels=months,
            series=[Series(_("Demandes"), BLUE, [v[0] for v in values])],
        ),
        totals,
    )


def _ranking(
    *,
    slug: str,
    title: str,
    description: str,
    label: str,
    period: Period,
    items: list[tuple[str, int, int]],
    whole: int,
    totals_label: str,
) -> Report:
    """A ranked table (label, tickets, share, of which not entitled) and its bar chart."""
    columns = [
        Column(label, "text"),
        Column(_("Demandes")),
        Column(_("Part des demandes"), "percent"),
        Column(_("dont hors abonnement")),
    ]
    rows = [_row(columns, [name, n, _percent(n, whole), u]) for name, n, u in items]
    totals = _row(
        columns,
        [totals_label, whole, _percent(whole, whole), None],
    )
    chart = hbar_chart(
        id=_chart_id(slug),
        title=title,
        desc=_(
            "Diagramme en barres horizontales : %(what)s, %(span)s. "
            "Les valeurs figurent dans le tableau qui suit."
        )
        % {"what": description[:1].lower() + description[1:].rstrip("."), "span": _span(period)},
        labels=[name for name, _n, _u in items],
        series=[Series(_("Demandes"), BLUE, [n for _name, n, _u in items])],
    )
    return Report(slug, title, description, period, columns, rows, chart, totals)


def tickets_per_software(user, period: Period, *, now: datetime) -> Report:
    found = list(
        _tickets(user, period)
        .values("software__name")
        .annotate(total=Count("pk"), unentitled=Count("pk", filter=Q(entitled=False)))
        .order_by("-total", F("software__name").asc(nulls_last=True))
    )
    items = [
        (r["software__name"] or _("Sans logiciel indiqué"), r["total"], r["unentitled"])
        for r in found
    ]
    return _ranking(
        slug="demandes-par-logiciel",
        title=_("Demandes par logiciel"),
        description=_("Demandes ouvertes sur la période, par logiciel concerné."),
        label=_("Logiciel"),
        period=period,
        items=items,
        whole=sum(n for _name, n, _u in items),
        totals_label=_("Total"),
    )


def tickets_per_member(user, period: Period, *, now: datetime) -> Report:
    tickets = _tickets(user, period)
    found = list(
        tickets.values("member_id", "member__name")
        .annotate(total=Count("pk"), unentitled=Count("pk", filter=Q(entitled=False)))
        .order_by("-total", "member__name")[:TOP_MEMBERS]
    )
    return _ranking(
        slug="demandes-par-adherent",
        title=_("Demandes par adhérent"),
        description=_("Les %(n)d adhérents ayant ouvert le plus de demandes sur la période.")
        % {"n": TOP_MEMBERS},
        label=_("Adhérent"),
        period=period,
        items=[(r["member__name"], r["total"], r["unentitled"]) for r in found],
        whole=tickets.count(),
        totals_label=_("Total, tous adhérents"),
    )


def tickets_per_category(user, period: Period, *, now: datetime) -> Report:
    found = {
        r["category"]: r
        for r in _tickets(user, period)
        .values("category")
        .annotate(total=Count("pk"), unentitled=Count("pk", filter=Q(entitled=False)))
        .order_by()
    }
    items = [
        (
            str(label),
            found.get(value, {}).get("total", 0),
            found.get(value, {}).get("unentitled", 0),
        )
        for value, label in Category.choices
    ]
    return _ranking(
        slug="demandes-par-categorie",
        title=_("Demandes par catégorie"),
        description=_("Demandes ouvertes sur la période, par catégorie."),
        label=_("Catégorie"),
        period=period,
        items=items,
        whole=sum(n for _label, n, _u in items),
        totals_label=_("Total"),
    )


def _clock_counts(done: str, due: str, now: datetime) -> dict[str, Count]:
    met = Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)})
    breached = (
        Q(**{f"{done}__isnull": False, f"{done}__gt": F(due)})
        | Q(**{f"{done}__isnull": True, "paused_since__isnull": True, f"{due}__lte": now})
        | Q(
            **{
                f"{done}__isnull": True,
                "paused_since__isnull": False,
                f"{due}__lte": F("paused_since"),
            }
        )
    )
    return {
        f"{done}_met": Count("pk", filter=met),
        f"{done}_breached": Count("pk", filter=breached),
    }


def sla_counts(queryset, *, now: datetime, by: str | None = None, extra: dict | None = None):
    """Met/breached counts of both clocks (see the module docstring), with the ``extra``
    aggregates, in one query: a list of dicts per ``by`` value, or one dict when ``by`` is
    None."""
    qs = queryset.alias(
        fr_done=Coalesce("first_responded_at", "resolved_at", "closed_at"),
        res_done=Coalesce("resolved_at", "closed_at"),
    )
    counts = {
        "total": Count("pk"),
        **_clock_counts("fr_done", "first_response_due", now),
        **_clock_counts("res_done", "resolution_due", now),
        **(extra or {}),
    }
    if by is None:
        return qs.aggregate(**counts)
    return list(qs.values(by).annotate(**counts).order_by(f"-{by}"))


def sla_compliance(user, period: Period, *, now: datetime) -> Report:
    slug = "respect-des-delais"
    found = {r["priority"]: r for r in sla_counts(_tickets(user, period), now=now, by="priority")}
    columns = [
        Column(_("Priorité"), "text"),
        Column(_("Demandes")),
        Column(_("1re réponse dans le délai")),
        Column(_("1re réponse hors délai")),
        Column(_("1re réponse : taux de respect"), "percent"),
        Column(_("Résolution dans le délai")),
        Column(_("Résolution hors délai")),
        Column(_("Résolution : taux de respect"), "percent"),
    ]
    keys = ("total", "fr_done_met", "fr_done_breached", "res_done_met", "res_done_breached")
    priorities = sorted(Priority, key=lambda p: -p.value)
    data = [[found.get(p.value, {}).get(k, 0) for k in keys] for p in priorities]

    def row(label, v):
        total, fr_met, fr_late, res_met, res_late = v
        return _row(
            columns,
            [
                label,
                total,
                fr_met,
                fr_late,
                _percent(fr_met, fr_met + fr_late),
                res_met,
                res_late,
                _percent(res_met, res_met + res_late),
            ],
        )

    rows = [row(str(p.label), v) for p, v in zip(priorities, data, strict=True)]
    sums = [sum(v[i] for v in data) for i in range(len(keys))]
    labels, met, late, running = [], [], [], []
    for p, (total, fr_met, fr_late, res_met, res_late) in zip(priorities, data, strict=True):
        labels += [
            _("%(priority)s — 1re réponse") % {"priority": p.label},
            _("%(priority)s — résolution") % {"priority": p.label},
        ]
        met += [fr_met, res_met]
        late += [fr_late, res_late]
        running += [total - fr_met - fr_late, total - res_met - res_late]
    title = _("Respect des délais")
    chart = hbar_chart(
        id=_chart_id(slug),
        title=title,
        desc=_(
            "Barres empilées par priorité et par délai (première réponse, résolution) : "
            "demandes dans le délai, hors délai et en cours, %(span)s. "
            "Les valeurs figurent dans le tableau qui suit."
        )
        % {"span": _span(period)},
        labels=labels,
        series=[
            Series(_("Dans le délai"), GREEN, met),
            Series(_("Hors délai"), RED, late),
            Series(_("En cours ou sans objectif"), GREY, running),
        ],
    )
    return Report(
        slug,
        title,
        _(
            "Délais de première réponse et de résolution des demandes ouvertes sur la période, "
            "mesurés en heures ouvrées, pauses (attente de l'adhérent ou de l'éditeur) déduites. "
            "Le taux de respect ne compte que les délais échus ou tenus."
        ),
        period,
        columns,
        rows,
        chart,
        row(_("Toutes priorités"), sums),
    )


def out_of_scope(user, period: Period, *, now: datetime) -> Report:
    slug = "hors-perimetre"
    start, end = period.bounds()
    in_period = Q(
        tickets__created_at__gte=start,
        tickets__created_at__lt=end,
        tickets__outcome=Outcome.REDIRECTED,
    )
    exclusions = list(
        Exclusion.objects.annotate(total=Count("tickets", filter=in_period)).order_by(
            "position", "pk"
        )
    )
    whole = _tickets(user, period).count()
    columns = [
        Column(_("Exclusion"), "text"),
        Column(_("Demandes réorientées")),
        Column(_("Part des demandes"), "percent"),
    ]
    redirected = sum(e.total for e in exclusions)
    rows = [_row(columns, [e.title, e.total, _percent(e.total, whole)]) for e in exclusions]
    title = _("Demandes hors périmètre")
    return Report(
        slug,
        title,
        _(
            "Demandes ouvertes sur la période et réorientées vers les fournisseurs habituels de "
            "l'adhérent, par exclusion de l'annexe ; part rapportée à toutes les demandes."
        ),
        period,
        columns,
        rows,
        hbar_chart(
            id=_chart_id(slug),
            title=title,
            desc=_(
                "Diagramme en barres horizontales : demandes réorientées par exclusion, "
                "%(span)s. Les valeurs figurent dans le tableau qui suit."
            )
            % {"span": _span(period)},
            labels=[e.title for e in exclusions],
            series=[Series(_("Demandes réorientées"), BLUE, [e.total for e in exclusions])],
        ),
        _row(columns, [_("Total"), redirected, _percent(redirected, whole)]),
    )


def _time_entries(user, period: Period):
    return TimeEntry.objects.visible_to(user).filter(date__gte=period.start, date__lte=period.end)


def time_per_month(user, period: Period, *, now: datetime) -> Report:
    slug = "temps-par-mois"
    found = {
        _month_of(r["month"]): r
        for r in _time_entries(user, period)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(minutes=Sum("minutes"), tickets=Count("ticket", distinct=True))
        .order_by("month")
    }
    months = period.months()
    columns = [
        Column(_("Mois"), "text"),
        Column(_("Heures passées"), "hours"),
        Column(_("Demandes concernées")),
    ]
    minutes = [found.get(m, {}).get("minutes") or 0 for m in months]
    tickets = [found.get(m, {}).get("tickets", 0) for m in months]
    rows = [
        _row(columns, [_month_label(m), _hours(mi), t])
        for m, mi, t in zip(months, minutes, tickets, strict=True)
    ]
    title = _("Temps passé par mois")
    return Report(
        slug,
        title,
        _("Temps saisi par les agents sur les demandes, par mois de la saisie."),
        period,
        columns,
        rows,
        vbar_chart(
            id=_chart_id(slug),
            title=title,
            desc=_(
                "Diagramme en barres des heures passées par mois, %(span)s. "
                "Les valeurs figurent dans le tableau qui suit."
            )
            % {"span": _span(period)},
            labels=months,
            series=[Series(_("Heures"), BLUE, [_hours(m) for m in minutes])],
        ),
        # Tickets worked on in several months count once per month: no total for them.
        _row(columns, [_("Total"), _hours(sum(minutes)), None]),
    )


def time_per_agent(user, period: Period, *, now: datetime) -> Report:
    slug = "temps-par-agent"
    found = list(
        _time_entries(user, period)
        .values("agent_id", "agent__first_name", "agent__last_name", "agent__email")
        .annotate(minutes=Sum("minutes"), tickets=Count("ticket", distinct=True))
        .order_by("-minutes", "agent__last_name", "agent_id")
    )
    whole = sum(r["minutes"] for r in found)
    columns = [
        Column(_("Agent"), "text"),
        Column(_("Heures passées"), "hours"),
        Column(_("Demandes concernées")),
        Column(_("Part du temps"), "percent"),
    ]

    def name(r) -> str:
        full = f"{r['agent__first_name']} {r['agent__last_name']}".strip()
        return full or r["agent__email"]

    rows = [
        _row(columns, [name(r), _hours(r["minutes"]), r["tickets"], _percent(r["minutes"], whole)])
        for r in found
    ]
    title = _("Temps passé par agent")
    return Report(
        slug,
        title,
        _("Temps saisi sur la période, par agent."),
        period,
        columns,
        rows,
        hbar_chart(
            id=_chart_id(slug),
            title=title,
            desc=_(
                "Diagramme en barres horizontales des heures passées par agent, %(span)s. "
                "Les valeurs figurent dans le tableau qui suit."
            )
            % {"span": _span(period)},
            labels=[name(r) for r in found],
            series=[Series(_("Heures"), BLUE, [_hours(r["minutes"]) for r in found])],
        ),
        _row(columns, [_("Total"), _hours(whole), None, _percent(whole, whole)]),
    )


def satisfaction_counts(queryset) -> dict[str, int]:
    return queryset.aggregate(
        satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        unsatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
    )


def _rated(user, period: Period):
    start, end = period.bounds()
    return Ticket.objects.visible_to(user).filter(rated_at__gte=start, rated_at__lt=end)


def satisfaction(user, period: Period, *, now: datetime) -> Report:
    slug = "satisfaction"
    found = {
        _month_of(r["month"]): r
        for r in _rated(user, period)
        .annotate(month=TruncMonth("rated_at"))
        .values("month")
        .annotate(
            satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
            unsatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
        )
        .order_by("month")
    }
    months = period.months()
    columns = [
        Column(_("Mois"), "text"),
        Column(_("Satisfaits")),
        Column(_("Pas satisfaits")),
        Column(_("Taux de satisfaction"), "percent"),
    ]
    good = [found.get(m, {}).get("satisfied", 0) for m in months]
    bad = [found.get(m, {}).get("unsatisfied", 0) for m in months]
    rows = [
        _row(columns, [_month_label(m), g, b, _percent(g, g + b)])
        for m, g, b in zip(months, good, bad, strict=True)
    ]
    title = _("Satisfaction")
    return Report(
        slug,
        title,
        _(
            "Évaluations données par les adhérents sur le portail, par mois de l'évaluation "
            "(un clic « Satisfait » ou « Pas satisfait » par demande résolue)."
        ),
        period,
        columns,
        rows,
        vbar_chart(
            id=_chart_id(slug),
            title=title,
            desc=_(
                "Barres empilées des évaluations par mois (satisfaits, pas satisfaits), "
                "%(span)s. Les valeurs figurent dans le tableau qui suit."
            )
            % {"span": _span(period)},
            labels=months,
            series=[
                Series(_("Satisfaits"), GREEN, good),
                Series(_("Pas satisfaits"), RED, bad),
            ],
        ),
        _row(columns, [_("Total"), sum(good), sum(bad), _percent(sum(good), sum(good) + sum(bad))]),
    )


Builder = Callable[..., Report]

#: slug -> (menu label, builder), in menu order.
REPORTS: dict[str, tuple[str, Builder]] = {
    "demandes-par-mois": (gettext_lazy("Demandes par mois"), tickets_per_month),
    "demandes-par-logiciel": (gettext_lazy("Par logiciel"), tickets_per_software),
    "demandes-par-adherent": (gettext_lazy("Par adhérent"), tickets_per_member),
    "demandes-par-categorie": (gettext_lazy("Par catégorie"), tickets_per_category),
    "respect-des-delais": (gettext_lazy("Respect des délais"), sla_compliance),
    "hors-perimetre": (gettext_lazy("Hors périmètre"), out_of_scope),
    "temps-par-mois": (gettext_lazy("Temps passé par mois"), time_per_month),
    "temps-par-agent": (gettext_lazy("Temps passé par agent"), time_per_agent),
    "satisfaction": (gettext_lazy("Satisfaction"), satisfaction),
}


def build(slug: str, user, period: Period, *, now: datetime | None = None) -> Report:
    """The report ``slug`` (KeyError when unknown)."""
    _label, builder = REPORTS[slug]
    return builder(user, period, now=now or timezone.now())


@dataclass(frozen=True)
class Summary:
    tickets: int
    unentitled: int
    redirected: int
    first_response_rate: Decimal | None
    resolution_rate: Decimal | None
    hours: Decimal
    satisfaction_rate: Decimal | None
    ratings: int


def summary(user, period: Period, *, now: datetime | None = None) -> Summary:
    """Key figures of the period for the reports' home page (three queries)."""
    now = now or timezone.now()
    sla = sla_counts(
        _tickets(user, period),
        now=now,
        extra={
            "unentitled": Count("pk", filter=Q(entitled=False)),
            "redirected": Count("pk", filter=Q(outcome=Outcome.REDIRECTED)),
        },
    )
    minutes = _time_entries(user, period).aggregate(total=Sum("minutes"))["total"]
    rated = satisfaction_counts(_rated(user, period))
    ratings = rated["satisfied"] + rated["unsatisfied"]
    return Summary(
        tickets=sla["total"],
        unentitled=sla["unentitled"],
        redirected=sla["redirected"],
        first_response_rate=_percent(
            sla["fr_done_met"], sla["fr_done_met"] + sla["fr_done_breached"]
        ),
        resolution_rate=_percent(
            sla["res_done_met"], sla["res_done_met"] + sla["res_done_breached"]
        ),
        hours=_hours(minutes),
        satisfaction_rate=_percent(rated["satisfied"], ratings),
        ratings=ratings,
    )


def to_csv(report: Report) -> str:
    """The report as a French CSV file (see the module docstring)."""
    rows = [[cell.csv for cell in row] for row in report.rows]
    if report.totals:
        rows.append([cell.csv for cell in report.totals])
    return BOM + french_csv([c.label for c in report.columns], rows)
