"""Exports for Chorus Pro and the finance software, and the billing commands."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import facturx
import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from syndesk.billing import exports, services
from syndesk.billing.management.commands.billing_run import ProgressBar
from syndesk.billing.models import Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(subscription, billing):
    services.run_invoicing(as_of=date(2026, 4, 1))
    return services.issue_invoice(
        invoice=Invoice.objects.get(), issued_by=billing, issue_date=date(2026, 4, 1)
    )


@pytest.fixture
def credit(invoice, billing):
    return services.create_credit_note(
        invoice=invoice,
        reason="Geste",
        issued_by=billing,
        amount=Decimal("50"),
        issue_date=date(2026, 4, 2),
    )


def test_chorus_zip_holds_one_facturx_per_document(invoice, credit):
    data = exports.chorus_zip(Invoice.objects.issued())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        assert names == ["AV-2026-00001.pdf", "FA-2026-00001.pdf"]
        name, _xml = facturx.get_xml_from_pdf(archive.read("FA-2026-00001.pdf"))
    assert name == "factur-x.xml"


def test_invoices_csv_signs_credit_notes(invoice, credit):
    rows = list(csv.reader(io.StringIO(exports.invoices_csv(Invoice.objects.all())), delimiter=";"))
    assert rows[0][0] == "Numéro"
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["FA-2026-00001"][13] == "850.00"
    assert by_number["AV-2026-00001"][13] == "-50.00"
    assert by_number["AV-2026-00001"][3] == "FA-2026-00001"
    assert by_number["FA-2026-00001"][18] == "800.00"  # still due after the credit note


def test_lines_csv(invoice):
    rows = list(csv.reader(io.StringIO(exports.invoices_csv([invoice], lines=True)), delimiter=";"))
    assert rows[1][0] == invoice.number
    assert rows[1][6] == "850.00"


def test_drafts_are_not_exported(subscription):
    services.run_invoicing(as_of=date(2026, 4, 1))
    assert exports.invoices_csv(Invoice.objects.all()).count("\r\n") == 1


def test_invoices_xlsx(invoice, credit):
    workbook = load_workbook(io.BytesIO(exports.invoices_xlsx(Invoice.objects.all())))
    assert workbook.sheetnames == ["Factures", "Lignes"]
    values = [row[13] for row in workbook["Factures"].iter_rows(min_row=2, values_only=True)]
    assert sorted(values) == [-50.0, 850.0]


def test_export_invoices_command_writes_one_facturx_per_document(invoice, credit, tmp_path):
    out = io.StringIO()
    call_command("export_invoices", str(tmp_path / "x"), year=2026, format="facturx", stdout=out)
    files = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert files == ["AV-2026-00001.pdf", "FA-2026-00001.pdf"]
    assert "2 Factur-X" in out.getvalue()
    call_command("export_invoices", str(tmp_path / "none"), year=2025, stdout=io.StringIO())
    assert list((tmp_path / "none").iterdir()) == []


def test_export_invoices_command_csv_and_xlsx(invoice, tmp_path):
    call_command("export_invoices", str(tmp_path), year=2026, format="csv", stdout=io.StringIO())
    call_command("export_invoices", str(tmp_path), year=2026, format="xlsx", stdout=io.StringIO())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "factures-2026.csv",
        "factures-2026.xlsx",
        "lignes-2026.csv",
    ]


def test_billing_run_command(subscription, member_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("billing_run", "--date", "2026-04-01", stdout=out, stderr=err)
    assert "1 invoice(s) drafted" in out.getvalue()
    assert err.getvalue() == ""  # no progress bar when stderr is not a terminal
    out = io.StringIO()
    call_command("billing_run", "--date", "2026-04-01", "--issue", stdout=out, stderr=io.StringIO())
    assert "0 invoice(s) drafted" in out.getvalue()
    assert "1 invoice(s) issued" in out.getvalue()
    assert Invoice.objects.get().number == "FA-2026-00001"


def test_progress_bar_draws_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bar = ProgressBar("Run", stream=stream, width=10)
    bar(5, 10)
    bar(10, 10)
    assert "[#####-----] 5/10" in stream.getvalue()
    assert stream.getvalue().endswith("10/10\n")
