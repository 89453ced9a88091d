"""The staff dashboard (/gestion/): one panel per app, registered by that app in the
"staff_home" slot, shown to staff who may read that app's data. Each figure is a link to
the list holding exactly those rows; the page runs a fixed number of queries.

The data: Brécey (member_a), Avranches (member_b) and Coutances each subscribe to the flat
support offer; "today" is frozen on 20 May 2026 for the dates of invoices and quotes, while
tickets and remote sessions live at the real "now" (their clocks read timezone.now())."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from syndesk.billing import services as billing_services
from syndesk.billing.models import Invoice
from syndesk.billing.tests.conftest import subscribe
from syndesk.conftest import make_user
from syndesk.contracts.models import NeedRequest, PurchaseOrder, Quote, Termination
from syndesk.contracts.tests.conftest import deliberation, support  # noqa: F401 (fixtures)
from syndesk.contracts.tests.test_views_helpers import frozen_today
from syndesk.core import roles
from syndesk.core.testing import count_queries
from syndesk.desk import services as desk_services
from syndesk.desk.models import Channel, InboundEmail
from syndesk.inventory.models import Declaration, DeclarationKind, DeclarationStatus
from syndesk.kb.models import Sheet
from syndesk.members.models import LegalCategory, Member
from syndesk.remote import services as remote_services
from syndesk.remote.models import RemoteTool

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 20)
PANELS = {
    "desk": ("desk.view_ticket", "Assistance"),
    "remote": ("remote.view_remotesession", "Télémaintenance"),
    "inventory": ("inventory.view_declaration", "Parc informatique"),
    "kb": ("kb.view_sheet", "Fiches pratiques"),
    "contracts": ("contracts.view_quote", "Contrats"),
    "billing": ("billing.view_invoice", "Facturation"),
}


@pytest.fixture(autouse=True)
def today():
    with frozen_today(TODAY):
        yield TODAY


def _billable(member: Member, siret: str) -> Member:
    member.siret, member.address, member.email = siret, "Mairie", "mairie@example.org"
    member.save()
    return member


@pytest.fixture
def coutances(db):
    return _billable(
        Member.objects.create(
            name="Coutances",
            legal_category=LegalCategory.COMMUNE,
            siren="215001471",
            insee_code="50147",
        ),
        "21500147100019",
    )


def page_text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.text)).split())


def panel(response, app: str) -> str:
    """The text of one app's panel on the dashboard ("" when the page has none)."""
    found = re.search(
        rf'<section class="card" aria-labelledby="{app}-dashboard-title">(.*?)</section>',
        response.text,
        re.S,
    )
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(found.group(1))).split()) if found else ""


def link(response, text: str) -> str:
    """The address of the dashboard link whose text starts with `text`."""
    found = re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(text)}', response.text)
    assert found, f"no link {text!r}"
    return html.unescape(found.group(1))


def listed(response, key: str = "page") -> set[int]:
    """The primary keys of the rows a list page shows."""
    rows = response.context[key]
    rows = getattr(rows, "rows", None) or getattr(rows, "object_list", rows)
    rows = [row[0] if isinstance(row, tuple) else row for row in rows]
    return {row["id"] if isinstance(row, dict) else row.pk for row in rows}


# --------------------------------------------------------------------------- data


@pytest.fixture
def tickets(member_a, manager, agent, alice):
    """For marie (manager): one ticket hers, three unassigned (one opened a month ago, its
    clocks long breached), one waiting for Brécey's answer (agnes'), one resolved."""
    now = timezone.now()

    def ticket(**extra):
        return desk_services.open_ticket(
            member=member_a,
            channel=Channel.PHONE,
            subject="Mandat rejeté par le comptable",
            opened_by=agent,
            **extra,
        )

    mine = desk_services.assign(ticket=ticket(), assignee=manager, by=manager)
    fresh = [ticket(), ticket()]
    late = ticket(at=now - timedelta(days=30))
    waiting = desk_services.assign(ticket=ticket(), assignee=agent, by=agent)
    desk_services.pause_sla(ticket=waiting, reason="Capture d'écran demandée", by=agent)
    done = ticket()
    desk_services.resolve(ticket=done, by=agent)
    for status in ("pending", "pending", "processed"):
        InboundEmail.objects.create(received_at=now, status=status, raw="desk/inbound/x.eml")
    return {"mine": mine, "fresh": fresh, "late": late, "waiting": waiting, "done": done}


@pytest.fixture
def invoices(member_a, member_b, coutances, support, billing):  # noqa: F811
    """Brécey's invoice is overdue (due 15 April), Avranches' falls due on 1 June, and
    Coutances' is still a draft."""
    _billable(member_a, "21500740200013")
    _billable(member_b, "21500250200015")
    late_sub = subscribe(member_a, [support], start=date(2026, 3, 15), number="DEV-1")
    billing_services.run_invoicing(as_of=date(2026, 3, 16))
    late = billing_services.issue_invoice(
        invoice=Invoice.objects.get(subscription=late_sub),
        issued_by=billing,
        issue_date=date(2026, 3, 16),
    )
    soon_sub = subscribe(member_b, [support], start=date(2026, 5, 2), number="DEV-2")
    billing_services.run_invoicing(as_of=date(2026, 5, 2))
    soon = billing_services.issue_invoice(
        invoice=Invoice.objects.get(subscription=soon_sub),
        issued_by=billing,
        issue_date=date(2026, 5, 2),
    )
    draft_sub = subscribe(coutances, [support], start=date(2026, 5, 10), number="DEV-3")
    billing_services.run_invoicing(as_of=date(2026, 5, 10))
    draft = Invoice.objects.get(subscription=draft_sub)
    return {"late": late, "soon": soon, "draft": draft, "subscriptions": [late_sub, soon_sub]}


@pytest.fixture
def pipeline(member_a, member_b, invoices):
    """Two requests to handle (one closed), two quotes sent (one expiring on 22 May), a
    draft, an order received, and Avranches' termination ending on 31 July (Brécey's was
    withdrawn)."""
    requests = [
        NeedRequest.objects.create(member=member_a, received_on=TODAY, summary="Paie")
        for _ in range(2)
    ]
    NeedRequest.objects.create(
        member=member_b, received_on=TODAY, summary="Finances", status=NeedRequest.Status.CLOSED
    )

    def quote(number, status, valid_until):
        return Quote.objects.create(
            number=number, member=member_b, date=TODAY, valid_until=valid_until, status=status
        )

    expiring = quote("DEV-2026-0010", Quote.Status.SENT, TODAY + timedelta(days=2))
    sent = quote("DEV-2026-0011", Quote.Status.SENT, TODAY + timedelta(days=25))
    quote("DEV-2026-0012", Quote.Status.DRAFT, TODAY + timedelta(days=30))
    signed = quote("DEV-2026-0013", Quote.Status.SIGNED, TODAY + timedelta(days=30))
    order = PurchaseOrder.objects.create(member=member_b, quote=signed, received_on=TODAY)
    late_sub, soon_sub = invoices["subscriptions"]
    Termination.objects.create(
        subscription=late_sub,
        received_on=date(2026, 4, 2),
        last_day=date(2027, 3, 14),
        withdrawn_on=date(2026, 4, 20),
    )
    ending = Termination.objects.create(
        subscription=soon_sub, received_on=TODAY, last_day=date(2026, 7, 31)
    )
    return {"requests": requests, "quotes": [expiring, sent], "order": order, "ending": ending}


@pytest.fixture
def declarations(member_a, alice):
    def declare(status):
        return Declaration.objects.create(
            member=member_a, kind=DeclarationKind.HARDWARE, status=status, submitted_by=alice
        )

    return {
        "submitted": [declare(DeclarationStatus.SUBMITTED) for _ in range(2)],
        "needs_details": [declare(DeclarationStatus.NEEDS_DETAILS)],
        "accepted": declare(DeclarationStatus.ACCEPTED),
    }


@pytest.fixture
def sessions(tickets, agent, alice):
    """A request waiting for Brécey's consent (on the late ticket) and a session alice
    opened (on a fresh one)."""
    tool = RemoteTool.objects.get_or_create(
        name="RustDesk", defaults={"link_template": "rustdesk://{id}"}
    )[0]

    def request(ticket):
        return remote_services.request_session(
            ticket=ticket, tool=tool, reason="Paramétrage", tool_session_id="123456789", by=agent
        )

    waiting = request(tickets["late"])
    opened = remote_services.accept_session(session=request(tickets["fresh"][0]), user=alice)
    return {"requested": waiting, "open": opened}


@pytest.fixture
def sheets(manager):
    def sheet(n, status):
        return Sheet.objects.create(
            title=f"Fiche {n}",
            slug=f"fiche-{n}",
            body="Texte",
            status=status,
            published_at=timezone.now() if status == Sheet.Status.PUBLISHED else None,
            created_by=manager,
        )

    return {
        "drafts": [sheet(1, Sheet.Status.DRAFT), sheet(2, Sheet.Status.DRAFT)],
        "published": sheet(3, Sheet.Status.PUBLISHED),
    }


@pytest.fixture
def everything(tickets, invoices, pipeline, declarations, sessions, sheets):
    return {**tickets, "invoices": invoices, "pipeline": pipeline}


def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("web:staff"))
    assert response.status_code == 200
    return response


# --------------------------------------------------------------------------- figures


def test_the_desk_panel_counts_the_queues_tabs(client, manager, tickets):
    response = dashboard(client, manager)
    assert panel(response, "desk") == (
        "Assistance 1 demande qui m'est attribuée 3 demandes non attribuées "
        "1 demande au délai proche ou dépassé 1 demande en attente de l'adhérent "
        "2 courriels à trier"
    )


def test_each_desk_link_lists_exactly_the_rows_counted(client, manager, tickets):
    response = dashboard(client, manager)
    expected = {
        "1 demande qui m'est attribuée": {tickets["mine"].pk},
        "3 demandes non attribuées": {t.pk for t in [*tickets["fresh"], tickets["late"]]},
        "1 demande au délai proche ou dépassé": {tickets["late"].pk},
        "1 demande en attente de l'adhérent": {tickets["waiting"].pk},
    }
    for text, pks in expected.items():
        assert listed(client.get(link(response, text))) == pks, text
    triage = client.get(link(response, "2 courriels à trier"))
    assert listed(triage) == set(
        InboundEmail.objects.filter(status="pending").values_list("pk", flat=True)
    )


def test_an_agent_sees_her_own_tickets(client, agent, tickets):
    assert "1 demande qui m'est attribuée" in panel(dashboard(client, agent), "desk")


def test_the_billing_panel_counts_drafts_overdue_and_due_soon(client, manager, invoices):
    response = dashboard(client, manager)
    assert panel(response, "billing") == (
        "Facturation 1 facture en brouillon à émettre "
        "1 facture en retard de paiement (reste dû : 850,00 €) "
        "1 facture à échéance dans les 30 jours"
    )
    drafts = client.get(link(response, "1 facture en brouillon"))
    assert listed(drafts) == {invoices["draft"].pk}
    overdue = client.get(link(response, "1 facture en retard"))
    assert overdue.request["PATH_INFO"] == reverse("billing:overdue")
    assert listed(overdue) == {invoices["late"].pk}
    assert overdue.context["total_due"] == Decimal("850.00")
    due_soon = client.get(link(response, "1 facture à échéance"))
    assert due_soon.request["PATH_INFO"] == reverse("billing:list")
    assert listed(due_soon) == {invoices["soon"].pk}


def test_the_overdue_figure_follows_the_overdue_list_after_a_payment(
    client, manager, billing, invoices
):
    billing_services.record_payment(
        invoice=invoices["late"],
        mandate_number="M-1",
        paid_on=TODAY,
        amount=Decimal("850.00"),
        entered_by=billing,
    )
    counts = billing_services.dashboard_counts(manager, today=TODAY)
    assert (counts["overdue"], counts["overdue_amount"]) == (0, Decimal("0"))
    assert not billing_services.overdue_invoices(TODAY).exists()


def test_an_agent_reaches_the_overdue_invoices_through_the_list_filter(client, agent, invoices):
    response = dashboard(client, agent)
    overdue = client.get(link(response, "1 facture en retard"))
    assert overdue.status_code == 200
    assert overdue.request["PATH_INFO"] == reverse("billing:list")
    assert listed(overdue) == {invoices["late"].pk}


def test_the_contracts_panel_counts_what_the_pipeline_groups(client, manager, pipeline):
    response = dashboard(client, manager)
    assert panel(response, "contracts") == (
        "Contrats 2 demandes d'adhérents à traiter "
        "2 devis envoyés en attente de signature dont 1 expire dans les 7 jours "
        "1 bon de commande en attente d'acceptation "
        "1 résiliation prenant effet dans les 90 jours"
    )
    page = client.get(link(response, "2 demandes d'adhérents"))
    assert link(response, "2 demandes d'adhérents").endswith("#requests-title")
    assert listed(page, "requests") == {r.pk for r in pipeline["requests"]}
    sent = {q.pk for q in page.context["quotes"] if q.status == Quote.Status.SENT}
    assert sent == {q.pk for q in pipeline["quotes"]}
    assert listed(page, "orders") == {pipeline["order"].pk}
    assert [t.pk for _, _, t in page.context["upcoming"]["terminations"]] == [pipeline["ending"].pk]


def test_the_inventory_panel_counts_the_queues_tabs(client, manager, declarations):
    response = dashboard(client, manager)
    assert panel(response, "inventory") == (
        "Parc informatique 2 déclarations à examiner 1 déclaration en attente de précisions"
    )
    to_examine = client.get(link(response, "2 déclarations à examiner"))
    assert listed(to_examine) == {d.pk for d in declarations["submitted"]}
    details = client.get(link(response, "1 déclaration en attente"))
    assert listed(details) == {d.pk for d in declarations["needs_details"]}


def test_the_remote_panel_counts_sessions_waiting_and_open(client, manager, sessions):
    response = dashboard(client, manager)
    assert panel(response, "remote") == (
        "Télémaintenance 1 session en attente de l'accord de l'adhérent "
        "1 session ouverte en ce moment"
    )
    for text, session in (("1 session en attente", "requested"), ("1 session ouverte", "open")):
        assert listed(client.get(link(response, text))) == {sessions[session].pk}


def test_the_kb_panel_counts_draft_sheets(client, manager, sheets):
    response = dashboard(client, manager)
    assert panel(response, "kb") == "Fiches pratiques 2 fiches en brouillon (non publiées)"
    drafts = client.get(link(response, "2 fiches en brouillon"))
    assert listed(drafts) == {s.pk for s in sheets["drafts"]}


def test_zero_figures_are_shown_muted(client, manager):
    response = dashboard(client, manager)
    for app, (_perm, title) in PANELS.items():
        assert panel(response, app).startswith(title), app
    # French puts 0 in the singular (the plural catalogue), the source strings in the plural.
    assert re.search(r'class="muted">0 demandes? non attribuées?<', response.text)
    assert re.search(r'class="muted">0 factures? en brouillon à émettre<', response.text)


def test_panels_come_in_order_desk_first(client, manager):
    response = dashboard(client, manager)
    positions = [response.text.index(f'aria-labelledby="{app}-dashboard-title"') for app in PANELS]
    assert positions == sorted(positions)
    assert positions[-1] < response.text.index('aria-labelledby="members-title"')


# --------------------------------------------------------------------------- who sees what


def test_member_users_never_reach_the_dashboard(client, alice, everything):
    client.force_login(alice)
    response = client.get(reverse("web:staff"))
    assert response.status_code == 403
    assert "dashboard-title" not in response.text


@pytest.mark.parametrize("role", [roles.AGENT, roles.BILLING, roles.MANAGER])
def test_each_role_sees_the_panels_of_the_apps_it_may_read(client, role, everything):
    user = make_user(f"{role}-dash@syndicat.example", role=role)
    response = dashboard(client, user)
    for app, (perm, _title) in PANELS.items():
        assert bool(panel(response, app)) == user.has_perm(perm), (role, app)


@pytest.mark.parametrize("app", list(PANELS))
def test_a_panel_is_shown_only_with_its_apps_view_permission(client, app, everything):
    from django.contrib.auth.models import Permission

    def staff(email, *perms):
        user = make_user(email)
        user.is_staff = True
        user.save()
        for perm in perms:
            label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=label, codename=codename)
            )
        return user

    perm = PANELS[app][0]
    without = dashboard(client, staff("sans@syndicat.example", "members.view_member"))
    assert "dashboard-title" not in without.text
    only = dashboard(client, staff("avec@syndicat.example", "members.view_member", perm))
    assert panel(only, app)
    assert [a for a in PANELS if panel(only, a)] == [app]


# --------------------------------------------------------------------------- queries


def test_the_dashboard_runs_a_fixed_number_of_queries(
    client,
    manager,
    agent,
    billing,
    support,  # noqa: F811
    coutances,
    everything,
):
    client.force_login(manager)
    client.get(reverse("web:staff"))
    few = count_queries(lambda: client.get(reverse("web:staff")))
    # The app panels: desk 7 (closure days, SLA targets, a count per tab, mail), contracts
    # 4, billing 2 (drafts, open invoices), the others 1 each; the page itself: session,
    # user, permissions, member count, calendar.
    assert few == 21
    for n in range(30):
        ticket = desk_services.open_ticket(
            member=coutances, channel=Channel.PHONE, subject=f"Demande {n}", opened_by=agent
        )
        if n % 3 == 0:
            desk_services.assign(ticket=ticket, assignee=manager, by=manager)
        member = _billable(
            Member.objects.create(
                name=f"Commune {n:02d}", legal_category=LegalCategory.COMMUNE, siren=f"2{n:08d}"
            ),
            f"2{n:08d}00012",
        )
        subscribe(member, [support], start=date(2026, 3, 15), number=f"DEV-X{n}")
    billing_services.run_invoicing(as_of=date(2026, 3, 16))
    # The series is chronological: after Avranches' invoice of 2 May, due on 9 June.
    report = billing_services.issue_drafts(issued_by=billing, issue_date=date(2026, 5, 10))
    assert len(report.issued) == 31
    counts = billing_services.dashboard_counts(manager, today=TODAY)
    assert (counts["drafts"], counts["due_soon"]) == (0, 32)
    assert count_queries(lambda: client.get(reverse("web:staff"))) == few
