"""The desk's reports on a small known dataset: counts per month, software, member and
category, SLA met/breached (agreeing with Ticket.sla()), out-of-scope redirections, time
spent, satisfaction; the pages' permission, period filter, charts and query counts; the CSV
format."""

import html
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from syndesk.core.testing import count_queries
from syndesk.desk import reports, services
from syndesk.desk.models import Exclusion, Priority, SLATarget, Ticket
from syndesk.desk.rules import ClockState

from .conftest import paris
from .test_portal_views import frozen_now

pytestmark = pytest.mark.django_db

NOW = paris(2026, 4, 30, 12, 0)
TODAY = NOW.date()
TWELVE_MONTHS = reports.last_twelve_months(TODAY)  # May 2025 - April 2026


def page(name, *args):
    return reverse(f"desk:{name}", args=args)


@pytest.fixture
def dataset(open_ticket, agent, other_agent, alice, member_b, horizon):
    """Seven tickets with known outcomes (SLA targets as seeded: normal 4 h / 3 days,
    urgent 1 h / 4 h, low 1 day / 5 days, in business time)."""
    t0 = open_ticket(at=paris(2025, 3, 3, 10))  # before the last twelve months
    # March 2026: one answered and resolved in time, one late on both clocks.
    t1 = open_ticket(at=paris(2026, 3, 2, 10))
    services.add_reply(ticket=t1, body="Réponse", by=agent, at=paris(2026, 3, 2, 11))
    services.resolve(ticket=t1, by=agent, at=paris(2026, 3, 3, 10))
    services.rate(ticket=t1, satisfied=True, by=alice, at=paris(2026, 3, 4, 9))
    t2 = open_ticket(at=paris(2026, 3, 2, 10))
    services.add_reply(ticket=t2, body="Réponse", by=agent, at=paris(2026, 3, 3, 9))
    services.resolve(ticket=t2, by=agent, at=paris(2026, 3, 10, 10))
    services.rate(ticket=t2, satisfied=False, by=alice, at=paris(2026, 3, 11, 9))
    # January 2026: low priority on Horizon, resolved without a reply after the first
    # response was due (breached), within the resolution time (met).
    t5 = open_ticket(at=paris(2026, 1, 5, 10), software=horizon, priority=Priority.LOW)
    services.resolve(ticket=t5, by=agent, at=paris(2026, 1, 7, 10))
    # April 2026: urgent, never answered (both clocks breached by now); Avranches (no
    # subscription) redirected as training; one waiting for the member in time.
    t3 = open_ticket(at=paris(2026, 4, 16, 10), priority=Priority.URGENT)
    t4 = open_ticket(at=paris(2026, 4, 20, 9), member=member_b, contact=None, software=None)
    training = Exclusion.objects.get(title="Formation du personnel")
    services.redirect_out_of_scope(
        ticket=t4, exclusion=training, by=agent, at=paris(2026, 4, 20, 9, 30)
    )
    t6 = open_ticket(at=paris(2026, 4, 20, 10))
    services.add_reply(
        ticket=t6, body="Une capture ?", by=agent, wait_for_member=True, at=paris(2026, 4, 20, 11)
    )
    # Time spent.
    services.log_time(ticket=t1, minutes=30, by=agent, on=date(2026, 3, 2))
    services.log_time(ticket=t2, minutes=90, by=agent, on=date(2026, 3, 3))
    services.log_time(ticket=t2, minutes=45, by=other_agent, on=date(2026, 3, 10))
    services.log_time(ticket=t3, minutes=15, by=agent, on=date(2026, 4, 16))
    services.log_time(ticket=t0, minutes=60, by=agent, on=date(2025, 3, 3))
    return {"t0": t0, "t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6}


def values(report) -> list[list]:
    return [[cell.value for cell in row] for row in report.rows]


def build(slug, user, period=TWELVE_MONTHS):
    return reports.build(slug, user, period, now=NOW)


# --------------------------------------------------------------------------- figures


def test_tickets_per_month_cover_twelve_months_with_zeros(dataset, manager):
    report = build("demandes-par-mois", manager)
    rows = values(report)
    assert [r[0] for r in rows][:2] == ["mai 2025", "juin 2025"]
    assert rows[-1][0] == "avril 2026"
    assert len(rows) == 12
    by_month = {r[0]: r[1:] for r in rows}
    assert by_month["janvier 2026"] == [1, 1, 0]  # Horizon: not in the subscription
    assert by_month["mars 2026"] == [2, 0, 0]
    assert by_month["avril 2026"] == [3, 1, 1]  # Avranches: not entitled, redirected
    assert by_month["février 2026"] == [0, 0, 0]
    assert [c.value for c in report.totals] == ["Total", 6, 2, 1]


def test_a_year_and_a_custom_range(dataset, manager):
    year_2025 = reports.year_period(2025, TODAY)
    assert year_2025.months()[0] == date(2025, 1, 1)
    assert build("demandes-par-mois", manager, year_2025).totals[1].value == 1
    this_year = reports.year_period(2026, TODAY)
    assert this_year.label == "Année 2026 (jusqu'au 30 avril)"
    assert len(this_year.months()) == 4
    march = reports.Period(date(2026, 3, 1), date(2026, 3, 31), "mars", "mars")
    assert build("demandes-par-mois", manager, march).totals[1].value == 2


def test_months_follow_paris_time(open_ticket, manager):
    # 31 March 2026 23:30 in Paris is 21:30 UTC: still March.
    open_ticket(at=paris(2026, 3, 31, 23, 30))
    by_month = {r[0]: r[1] for r in values(build("demandes-par-mois", manager))}
    assert (by_month["mars 2026"], by_month["avril 2026"]) == (1, 0)


def test_tickets_per_software_member_and_category(dataset, manager):
    assert values(build("demandes-par-logiciel", manager)) == [
        ["e.magnus", 4, Decimal("66.7"), 0],
        ["Horizon On-Line", 1, Decimal("16.7"), 1],
        ["Sans logiciel indiqué", 1, Decimal("16.7"), 1],
    ]
    assert values(build("demandes-par-adherent", manager)) == [
        ["Brécey", 5, Decimal("83.3"), 1],
        ["Avranches", 1, Decimal("16.7"), 1],
    ]
    categories = {r[0]: r[1] for r in values(build("demandes-par-categorie", manager))}
    assert categories == {
        "Question d'utilisation": 5,
        "Anomalie": 0,
        "Restauration de données": 0,
        "Aide à l'installation d'une nouvelle version": 0,
        "Hors périmètre": 1,
        "Autre": 0,
    }


def test_the_member_ranking_keeps_the_top_twenty(open_ticket, manager, member_a):
    from syndesk.members.models import LegalCategory, Member

    for i in range(22):
        member = Member.objects.create(
            name=f"Commune {i:02d}", legal_category=LegalCategory.COMMUNE, siren=f"9{i:08d}"
        )
        for _ in range(1 + i % 3):
            open_ticket(member=member, contact=None, software=None, at=paris(2026, 4, 1, 10))
    report = build("demandes-par-adherent", manager)
    assert len(report.rows) == reports.TOP_MEMBERS
    assert report.rows[0][1].value == 3
    assert report.totals[1].value == sum(1 + i % 3 for i in range(22))


def test_sla_compliance_per_priority(dataset, manager):
    rows = {r[0]: r[1:] for r in values(build("respect-des-delais", manager))}
    # total, first response met/breached/rate, resolution met/breached/rate
    assert rows["Urgente"] == [1, 0, 1, Decimal("0.0"), 0, 1, Decimal("0.0")]
    assert rows["Haute"] == [0, 0, 0, None, 0, 0, None]
    assert rows["Normale"] == [4, 3, 1, Decimal("75.0"), 2, 1, Decimal("66.7")]
    assert rows["Basse"] == [1, 0, 1, Decimal("0.0"), 1, 0, Decimal("100.0")]
    totals = [c.value for c in build("respect-des-delais", manager).totals]
    assert totals == ["Toutes priorités", 6, 3, 3, Decimal("50.0"), 3, 2, Decimal("60.0")]


def test_sla_counts_agree_with_the_ticket_page(dataset, manager, calendar):
    """The SQL classification and Ticket.sla() (what the ticket page shows) agree."""
    targets = SLATarget.objects.as_map()
    expected = Counter()
    for ticket in Ticket.objects.filter(created_at__gte=TWELVE_MONTHS.bounds()[0]):
        for name, clock in ticket.sla(
            now=NOW, calendar=calendar, target=targets.get(ticket.priority)
        ).items():
            prefix = "fr_done" if name == "first_response" else "res_done"
            if clock.state == ClockState.MET:
                expected[f"{prefix}_met"] += 1
            elif clock.state in (ClockState.MET_LATE, ClockState.BREACHED):
                expected[f"{prefix}_breached"] += 1
    counts = reports.sla_counts(reports._tickets(manager, TWELVE_MONTHS), now=NOW)
    assert {k: v for k, v in counts.items() if k != "total" and v} == dict(expected)


def test_out_of_scope_counts_every_exclusion(dataset, manager):
    report = build("hors-perimetre", manager)
    rows = {r[0]: r[1:] for r in values(report)}
    assert len(rows) == Exclusion.objects.count() == 6
    assert rows["Formation du personnel"] == [1, Decimal("16.7")]
    assert rows["Interventions sur site"] == [0, Decimal("0.0")]
    assert [c.value for c in report.totals] == ["Total", 1, Decimal("16.7")]


def test_time_spent_per_month_and_per_agent(dataset, manager):
    months = {r[0]: r[1:] for r in values(build("temps-par-mois", manager))}
    assert months["mars 2026"] == [Decimal("2.8"), 2]  # 165 minutes on two tickets
    assert months["avril 2026"] == [Decimal("0.3"), 1]  # 15 minutes
    assert months["janvier 2026"] == [Decimal("0.0"), 0]
    agents = build("temps-par-agent", manager)
    assert values(agents) == [
        ["Agnes", Decimal("2.3"), 3, Decimal("75.0")],
        ["Paul", Decimal("0.8"), 1, Decimal("25.0")],
    ]
    assert [c.value for c in agents.totals] == ["Total", Decimal("3.0"), None, Decimal("100.0")]


def test_satisfaction_per_month_of_rating(dataset, manager):
    report = build("satisfaction", manager)
    months = {r[0]: r[1:] for r in values(report)}
    assert months["mars 2026"] == [1, 1, Decimal("50.0")]
    assert months["avril 2026"] == [0, 0, None]
    assert [c.value for c in report.totals] == ["Total", 1, 1, Decimal("50.0")]


def test_summary(dataset, manager):
    summary = reports.summary(manager, TWELVE_MONTHS, now=NOW)
    assert summary == reports.Summary(
        tickets=6,
        unentitled=2,
        redirected=1,
        first_response_rate=Decimal("50.0"),
        resolution_rate=Decimal("60.0"),
        hours=Decimal("3.0"),
        satisfaction_rate=Decimal("50.0"),
        ratings=2,
    )


def test_each_report_runs_a_bounded_number_of_queries(open_ticket, manager, agent):
    def run_all():
        for slug in reports.REPORTS:
            build(slug, manager)
        reports.summary(manager, TWELVE_MONTHS, now=NOW)

    open_ticket(at=paris(2026, 4, 1, 10))
    few = count_queries(run_all)
    for day in range(1, 20):
        ticket = open_ticket(at=paris(2026, 1 + day % 4, day, 10))
        services.log_time(ticket=ticket, minutes=10, by=agent, on=date(2026, 1 + day % 4, day))
    assert count_queries(run_all) == few <= len(reports.REPORTS) + 2 + 3


# --------------------------------------------------------------------------- CSV


def test_the_csv_is_french_spreadsheet_ready(dataset, manager):
    text = reports.to_csv(build("temps-par-mois", manager))
    assert text.startswith("\ufeffMois;Heures passées;Demandes concernées\r\n")
    assert "mars 2026;2,8;2\r\n" in text
    assert text.endswith("Total;3,0;\r\n")  # 30 + 90 + 45 + 15 minutes


def test_the_csv_neutralises_formulas(open_ticket, manager):
    from syndesk.members.models import LegalCategory, Member

    member = Member.objects.create(
        name="=HYPERLINK(1)", legal_category=LegalCategory.COMMUNE, siren="900000001"
    )
    open_ticket(member=member, contact=None, software=None, at=paris(2026, 4, 1, 10))
    text = reports.to_csv(build("demandes-par-adherent", manager))
    assert "'=HYPERLINK(1);1;100,0;1\r\n" in text


def test_the_csv_download(client, dataset, billing):
    client.force_login(billing)
    with frozen_now(NOW):
        response = client.get(page("report-csv", "demandes-par-mois"), {"periode": "2026"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="assistance-demandes-par-mois-2026.csv"'
    )
    body = response.content
    assert body.startswith(b"\xef\xbb\xbfMois;Demandes ouvertes;")
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[1:6] == [
        "janvier 2026;1;1;0",
        "février 2026;0;0;0",
        "mars 2026;2;0;0",
        "avril 2026;3;1;1",
        "Total;6;2;1",
    ]


def test_a_bad_period_is_refused_for_the_csv(client, billing):
    client.force_login(billing)
    response = client.get(
        page("report-csv", "satisfaction"), {"du": "2026-05-01", "au": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "La fin de la période précède son début." in response.content.decode()


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("slug", list(reports.REPORTS))
def test_each_report_page_has_an_accessible_chart_and_its_table(client, dataset, manager, slug):
    client.force_login(manager)
    with frozen_now(NOW):
        response = client.get(page("report", slug))
    assert response.status_code == 200
    content = response.content.decode()
    svg = content[content.index("<svg") : content.index("</svg>")]
    assert 'role="img"' in svg
    assert f'aria-labelledby="graphique-{slug}-titre graphique-{slug}-desc"' in svg
    assert "<title " in svg
    assert "<desc " in svg
    assert "style=" not in content
    assert "<script>" not in content
    coordinates = re.findall(r' (?:x|y|x1|x2|y1|y2|width|height)="([^"%]*)"', svg)
    assert coordinates
    assert all(re.fullmatch(r"\d+(\.\d)?", c) for c in coordinates), coordinates  # not "12,5"
    assert f'<table id="tableau-{slug}">' in content
    assert page("report-csv", slug) in content


def test_the_reports_home_shows_key_figures(client, dataset, manager):
    client.force_login(manager)
    with frozen_now(NOW):
        response = client.get(page("reports"))
    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "12 derniers mois" in text
    assert "Première réponse dans le délai" in text
    assert "50,0\xa0%" in text
    for slug in reports.REPORTS:
        assert page("report", slug) in text


def test_the_period_is_carried_between_reports(client, dataset, manager):
    client.force_login(manager)
    with frozen_now(NOW):
        response = client.get(page("report", "satisfaction"), {"periode": "2025"})
    text = html.unescape(response.content.decode())
    assert "Satisfaction — Année 2025" in text
    assert f"{page('report-csv', 'satisfaction')}?periode=2025" in text
    assert f"{page('report', 'hors-perimetre')}?periode=2025" in text


def test_a_bad_period_is_explained_and_the_default_shown(client, manager):
    client.force_login(manager)
    with frozen_now(NOW):
        response = client.get(page("report", "satisfaction"), {"du": "2026-01-01"})
        other = client.get(page("report", "satisfaction"), {"periode": "1999"})
    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Indiquez les deux dates de la période, ou aucune." in text
    assert "Période affichée : 12 derniers mois." in text
    assert "periode" in other.context["form"].errors


def test_an_unknown_report_is_not_found(client, manager):
    client.force_login(manager)
    assert client.get(page("report", "inconnu")).status_code == 404
    assert client.get(page("report-csv", "inconnu")).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [("manager", 200), ("billing", 200), ("agent", 403), ("alice", 403)],
)
def test_reports_need_the_report_permission(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    for url in (
        page("reports"),
        page("report", "satisfaction"),
        page("report-csv", "satisfaction"),
    ):
        assert client.get(url).status_code == status


def test_an_anonymous_visitor_is_asked_to_sign_in(client):
    response = client.get(page("reports"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_report_pages_run_a_bounded_number_of_queries(client, open_ticket, manager):
    client.force_login(manager)
    open_ticket(at=paris(2026, 4, 1, 10))
    urls = [page("reports")] + [page("report", slug) for slug in reports.REPORTS]
    with frozen_now(NOW):
        few = [count_queries(lambda u=u: client.get(u)) for u in urls]
        for day in range(1, 15):
            open_ticket(at=paris(2026, 3, day, 10))
        assert [count_queries(lambda u=u: client.get(u)) for u in urls] == few
    assert max(few) <= 8
