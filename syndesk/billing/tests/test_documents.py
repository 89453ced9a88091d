"""Invoice documents: the PDF carries every mandatory mention; the Factur-X XML passes the
CII XSD and the official EN 16931 business rules (the European Commission's schematron,
run offline with saxonche), for invoices and credit notes, with and without VAT."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from syndesk.billing import documents, services
from syndesk.billing.models import Invoice

from .conftest import subscribe

pytestmark = pytest.mark.django_db

VALIDATION = Path(__file__).resolve().parents[4] / "shared" / "validation" / "en16931-cii"
XSLT = VALIDATION / "EN16931-CII-validation.xslt"
SVRL = "http://purl.oclc.org/dsdl/svrl"


@pytest.fixture(scope="session")
def en16931():
    """The EN 16931 CII schematron compiled once; returns a function giving the fatal
    failures (rule id and text) of an XML document."""
    if not XSLT.exists():
        pytest.skip(f"EN 16931 validation artefacts absent ({XSLT})")
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(XSLT))

    def failures(xml: bytes) -> list[str]:
        node = processor.parse_xml(xml_text=xml.decode())
        report = etree.fromstring(executable.transform_to_string(xdm_node=node).encode())
        return [
            f"{failed.get('id')}: {' '.join(failed.itertext()).strip()}"
            for failed in report.iter(f"{{{SVRL}}}failed-assert")
            if failed.get("flag") == "fatal"
        ]

    return failures


def _issue(member, offers, billing, *, number="DEV-1"):
    subscribe(member, offers, start=date(2026, 3, 15), number=number, commitment_number="EJ-1")
    services.run_invoicing(as_of=date(2026, 4, 1))
    draft = Invoice.objects.get(member=member, status=Invoice.Status.DRAFT)
    return services.issue_invoice(invoice=draft, issued_by=billing, issue_date=date(2026, 4, 1))


def _check(xml: bytes, en16931) -> None:
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert en16931(xml) == []


def test_invoice_without_vat_is_valid_en16931(member_a, support, billing, en16931):
    invoice = _issue(member_a, [support], billing)
    xml = documents.cii_xml(invoice)
    _check(xml, en16931)
    assert b"<ram:CategoryCode>O</ram:CategoryCode>" in xml
    assert b"256 B" in xml


def test_invoice_with_vat_is_valid_en16931(
    member_a, support, payroll_option, billing, vat_number, en16931
):
    invoice = _issue(member_a, [support, payroll_option], billing)
    xml = documents.cii_xml(invoice)
    _check(xml, en16931)
    assert b"<ram:CategoryCode>S</ram:CategoryCode>" in xml
    assert b"<ram:CategoryCode>E</ram:CategoryCode>" in xml  # exempt line, VAT-liable seller
    assert b'<ram:TaxTotalAmount currencyID="EUR">24.00</ram:TaxTotalAmount>' in xml


def test_vat_only_invoice_is_valid_en16931(member_a, payroll_option, billing, vat_number, en16931):
    _check(documents.cii_xml(_issue(member_a, [payroll_option], billing)), en16931)


def test_credit_notes_are_valid_en16931(
    member_a, support, payroll_option, billing, vat_number, en16931
):
    invoice = _issue(member_a, [support, payroll_option], billing)
    credit = services.create_credit_note(
        invoice=invoice, reason="Erreur", issued_by=billing, issue_date=date(2026, 4, 2)
    )
    xml = documents.cii_xml(credit)
    _check(xml, en16931)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert invoice.number.encode() in xml


def test_partial_credit_note_without_vat_is_valid(member_a, support, billing, en16931):
    invoice = _issue(member_a, [support], billing)
    credit = services.create_credit_note(
        invoice=invoice, reason="Geste", issued_by=billing, amount=Decimal("100.00")
    )
    _check(documents.cii_xml(credit), en16931)


def test_prorated_invoice_is_valid(member_a, support, billing, en16931):
    from syndesk.contracts.models import Termination

    subscription = subscribe(member_a, [support], start=date(2025, 3, 15))
    Termination.objects.create(
        subscription=subscription, received_on=date(2026, 2, 10), last_day=date(2026, 4, 30)
    )
    services.run_invoicing(as_of=date(2026, 4, 1), since=date(2026, 1, 1))
    invoice = services.issue_invoice(
        invoice=Invoice.objects.get(), issued_by=billing, issue_date=date(2026, 4, 1)
    )
    assert invoice.prorated
    _check(documents.cii_xml(invoice), en16931)


def test_the_schematron_catches_a_broken_invoice(member_a, support, billing, en16931):
    invoice = _issue(member_a, [support], billing)
    broken = documents.cii_xml(invoice).replace(
        b"<ram:GrandTotalAmount>850.00", b"<ram:GrandTotalAmount>851.00"
    )
    assert any(f.startswith("BR-CO-15") for f in en16931(broken))


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_carries_the_mandatory_mentions(member_a, support, billing):
    invoice = _issue(member_a, [support], billing)
    text = " ".join(_text(documents.invoice_pdf(invoice)).split())
    for mention in (
        invoice.number,
        "Brécey",
        "21500740200013",  # buyer SIRET
        invoice.seller_siret,
        "1er avril 2026",  # issue date
        "15 mars 2026",  # period covered
        "EJ-1",  # commitment number
        "FACTURES",  # service code
        "256 B",  # VAT exemption mention
        "2025-38",  # deliberation
        "mandat administratif",
        "30 jours",
        "10,15",  # late-interest rate
        "40,00",  # recovery indemnity
        "850,00",
    ):
        assert mention in text, mention


def test_facturx_embeds_the_xml_in_a_pdfa3(member_a, support, billing):
    invoice = _issue(member_a, [support], billing)
    pdf = documents.invoice_facturx(invoice)
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert invoice.number.encode() in xml
    metadata = PdfReader(io.BytesIO(pdf)).xmp_metadata
    assert metadata is not None
    raw = metadata.stream.get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in raw or b'pdfaid:part="3"' in raw
    assert b"EN 16931" in raw


def test_documents_are_rendered_after_issue(
    member_a, support, billing, django_capture_on_commit_callbacks
):
    subscribe(member_a, [support], start=date(2026, 3, 15), commitment_number="EJ-1")
    services.run_invoicing(as_of=date(2026, 4, 1))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.issue_invoice(invoice=Invoice.objects.get(), issued_by=billing)
    invoice.refresh_from_db()
    assert invoice.pdf.name.endswith(f"{invoice.number}.pdf")
    assert facturx.get_xml_from_pdf(invoice.facturx.read())[0] == "factur-x.xml"


def test_reminder_letter_pdf(member_a, support, billing):
    invoice = _issue(member_a, [support], billing)
    reminder = services.send_reminder(
        invoice=invoice, kind="letter", sent_by=billing, as_of=date(2026, 6, 1)
    )
    text = " ".join(_text(documents.reminder_pdf(reminder)).split())
    assert invoice.number in text
    assert "40,00" in text


def test_split_address():
    assert documents.split_address("235 rue Joseph Cugnot, 50000 Saint-Lô") == {
        "street": "235 rue Joseph Cugnot",
        "postcode": "50000",
        "city": "Saint-Lô",
    }
    assert documents.split_address("1 place de la Mairie\n50370 Brécey")["city"] == "Brécey"
    assert documents.split_address("Mairie")["street"] == "Mairie"
