"""The billing pages around the invoices: the invoicing run, the payment import, the overdue
list, the exports for Chorus Pro and the finance software, and the dashboard."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from syndesk.billing import services
from syndesk.billing.models import Invoice, Payment, Reminder
from syndesk.core.testing import count_queries

from .test_views_helpers import (
    ISSUED_ON,
    LATE_DAY,
    START,
    frozen_today,
    issued_for,
    more_members,
    other_member_invoice,
    text,
    url,
)

pytestmark = pytest.mark.django_db


def csv_upload(content: str, name="paiements.csv"):
    return SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")


# The invoicing run -----------------------------------------------------------------------------


def test_the_run_page_previews_then_drafts_once(client, billing, subscription):
    client.force_login(billing)
    with frozen_today(date(2027, 3, 20)):
        page = client.get(url("run"))
    assert page.context["pending_count"] == 2
    assert "2 périodes à facturer (1 adhérent(s), dont 0 au prorata)." in text(page)
    preview = client.get(url("run"), {"as_of": "2026-03-14"})
    assert preview.context["pending_count"] == 0
    response = client.post(url("run"), {"as_of": "2026-06-01"})
    assert "1 brouillon créé" in text(response)
    assert Invoice.objects.filter(status=Invoice.Status.DRAFT).count() == 1
    again = client.post(url("run"), {"as_of": "2026-06-01"})
    assert again.context["report"].created == []
    assert Invoice.objects.count() == 1


def test_the_run_refuses_a_bad_date(client, billing, subscription):
    client.force_login(billing)
    response = client.post(url("run"), {"as_of": "pas une date"})
    assert response.context["form"].errors["as_of"]
    assert response.context["report"] is None
    assert not Invoice.objects.exists()


def test_the_run_preview_runs_a_bounded_number_of_queries(client, billing, subscription, support):
    client.force_login(billing)
    few = count_queries(lambda: client.get(url("run"), {"as_of": "2026-06-01"}))
    more_members(8, support)
    many = count_queries(lambda: client.get(url("run"), {"as_of": "2026-06-01"}))
    assert many == few


# The payment import ------------------------------------------------------------------------------


def test_import_payments(client, billing, subscription, member_b, support):
    mine = issued_for(subscription, billing)
    theirs = other_member_invoice(member_b, support, billing)
    client.force_login(billing)
    content = (
        "facture;mandat;date;montant\n"
        f"{mine.number};M-1;01/04/2026;850,00\n"
        f"{theirs.number};M-2;02/04/2026;400,00\n"
    )
    response = client.post(url("payment-import"), {"file": csv_upload(content)})
    page = text(response)
    assert "2 paiement(s) importé(s)." in page
    assert Payment.objects.count() == 2
    mine.refresh_from_db()
    assert mine.settled_on == date(2026, 4, 1)


def test_a_bad_import_file_applies_nothing_and_reports_each_row(
    client, billing, subscription, member_b, support
):
    mine = issued_for(subscription, billing)
    client.force_login(billing)
    content = (
        "facture;mandat;date;montant\n"
        f"{mine.number};M-1;01/04/2026;100,00\n"
        "FA-2026-99999;M-2;02/04/2026;400,00\n"
        f"{mine.number};M-3;02/04/2026;douze\n"
        f"{mine.number};M-4;02/04/2026;5000,00\n"
    )
    response = client.post(url("payment-import"), {"file": csv_upload(content)})
    page = text(response)
    assert "3 lignes en erreur : aucun paiement n'a été enregistré." in page
    report = response.context["report"]
    assert [line for line, _message in report.errors] == [3, 4, 5]
    assert "FA-2026-99999" in page
    assert "montant illisible « douze »" in page
    assert "dépasse le reste dû" in page
    assert not Payment.objects.exists()


def test_the_import_refuses_a_file_that_is_not_csv(client, billing):
    client.force_login(billing)
    upload = SimpleUploadedFile("paiements.csv", b"%PDF-1.7\n\x00\x01", content_type="text/csv")
    response = client.post(url("payment-import"), {"file": upload})
    assert "n'est pas au format CSV" in response.context["form"].errors["file"][0]
    huge = csv_upload("facture;mandat;date;montant\n" + "x;y;z;1\n" * 300_000)
    response = client.post(url("payment-import"), {"file": huge})
    assert "taille maximale" in response.context["form"].errors["file"][0]


def test_an_agent_cannot_import_payments(client, agent):
    client.force_login(agent)
    assert client.get(url("payment-import")).status_code == 403


# Overdue --------------------------------------------------------------------------------------


def test_the_overdue_list_and_a_reminder_from_it(client, billing, subscription, member_b, support):
    late = issued_for(subscription, billing)
    paid = other_member_invoice(member_b, support, billing)
    services.record_payment(
        invoice=paid,
        mandate_number="M-9",
        paid_on=date(2026, 4, 10),
        amount=paid.total_incl_vat,
        entered_by=billing,
    )
    client.force_login(billing)
    with frozen_today(LATE_DAY):
        response = client.get(url("overdue"))
        page = text(response)
        assert late.number in page
        assert paid.number not in page
        assert "40,00" in page
        response = client.post(
            url("reminder", late.pk), {"kind": "letter", "next": "overdue"}, follow=True
        )
    assert response.redirect_chain[-1][0] == url("overdue")
    assert Reminder.objects.filter(invoice=late).count() == 1


def test_the_overdue_list_runs_a_bounded_number_of_queries(client, billing, subscription, support):
    issued_for(subscription, billing)
    client.force_login(billing)
    with frozen_today(LATE_DAY):
        few = count_queries(lambda: client.get(url("overdue")))
        more_members(6, support)
        services.run_invoicing(as_of=ISSUED_ON)
        services.issue_drafts(issued_by=billing, issue_date=ISSUED_ON)
        many = count_queries(lambda: client.get(url("overdue")))
    assert many == few


# Exports ---------------------------------------------------------------------------------------


def test_exports_of_a_year(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    services.create_credit_note(
        invoice=invoice,
        reason="Erreur",
        issued_by=billing,
        amount=Decimal("100"),
        issue_date=date(2026, 3, 20),
    )
    client.force_login(billing)
    assert "2026" in text(client.get(url("exports")))
    archive = client.get(url("exports"), {"year": "2026", "format": "chorus"})
    assert archive["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == ["AV-2026-00001.pdf", "FA-2026-00001.pdf"]
    table = client.get(url("exports"), {"year": "2026", "format": "csv"})
    assert 'filename="factures-2026.csv"' in table["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    lines = client.get(url("exports"), {"year": "2026", "format": "lignes"})
    assert lines.status_code == 200
    xlsx = client.get(url("exports"), {"year": "2026", "format": "xlsx"})
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames
    empty = client.get(url("exports"), {"year": "2025", "format": "chorus"})
    assert zipfile.ZipFile(io.BytesIO(empty.content)).namelist() == []


def test_exports_refuse_a_bad_year(client, billing):
    client.force_login(billing)
    response = client.get(url("exports"), {"year": "1900", "format": "csv"})
    assert response.status_code == 200
    assert response.context["form"].errors["year"]


def test_an_agent_cannot_export(client, agent):
    client.force_login(agent)
    assert client.get(url("exports"), {"year": "2026", "format": "csv"}).status_code == 403


# Dashboard ---------------------------------------------------------------------------------------


def test_the_dashboard_sums_by_year_and_member(client, billing, subscription, member_b, support):
    mine = issued_for(subscription, billing)
    theirs = other_member_invoice(member_b, support, billing)
    services.record_payment(
        invoice=theirs,
        mandate_number="M-1",
        paid_on=date(2026, 4, 1),
        amount=Decimal("850.00"),
        entered_by=billing,
    )
    services.record_payment(
        invoice=mine,
        mandate_number="M-2",
        paid_on=date(2026, 4, 1),
        amount=Decimal("50.00"),
        entered_by=billing,
    )
    client.force_login(billing)
    with frozen_today(LATE_DAY):
        response = client.get(url("dashboard"), {"year": "2026"})
        board = response.context["dashboard"]
        assert board.total.invoiced == Decimal("1700.00")
        assert board.total.paid == Decimal("900.00")
        assert board.total.due == Decimal("800.00")
        assert board.total.overdue == Decimal("800.00")
        assert [(r.label, r.overdue) for r in board.members] == [
            ("Brécey", Decimal("800.00")),
            ("Avranches", Decimal("0.00")),
        ]
        assert board.months[2].invoiced == Decimal("1700.00")  # March
        page = text(response)
        assert "<svg" in page
        assert "Facturé en 2026 par adhérent" in page
        assert "Commune" not in page
        table = client.get(url("dashboard-csv"), {"year": "2026"})
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Adhérent"
    assert rows[1] == ["Brécey", "850,00", "0,00", "50,00", "800,00", "800,00"]


def test_the_dashboard_lists_invoices_to_come(client, billing, subscription):
    client.force_login(billing)
    with frozen_today(date(2027, 2, 1)):
        board = client.get(url("dashboard")).context["dashboard"]
    assert [p.start for p in board.upcoming] == [date(2027, 3, 15)]
    assert START.year == 2026


def test_the_dashboard_runs_a_bounded_number_of_queries(client, billing, subscription, support):
    issued_for(subscription, billing)
    client.force_login(billing)
    few = count_queries(lambda: client.get(url("dashboard")))
    more_members(6, support)
    services.run_invoicing(as_of=ISSUED_ON)
    services.issue_drafts(issued_by=billing, issue_date=ISSUED_ON)
    many = count_queries(lambda: client.get(url("dashboard")))
    assert many == few
