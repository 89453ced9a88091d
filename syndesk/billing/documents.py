"""Invoice documents: the PDF (PDF/A-3b, tagged, French) and the Factur-X EN 16931 file made
of that PDF with the CII XML embedded, plus the reminder letter.

Everything is built from the invoice's frozen snapshot (never from the member's current
record or the current settings), so regenerating a document gives the same content.

VAT categories in the CII XML (EN 16931): a line with a rate is "S" (standard rate). A line
without VAT carries its exemption mention and is "O" (not subject to VAT: a public body
acting as such, art. 256 B CGI) when the syndicate has no VAT number, or "E" (exempt) when
it has one: EN 16931 forbids a seller VAT number on an "O" invoice (BR-O-02) and requires
one on an "E" invoice (BR-E-02).
"""

from __future__ import annotations

import re
from decimal import Decimal

import facturx
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from lxml import etree

from syndesk.core.documents import PdfRenderer
from syndesk.core.formats import long_date

from .models import Invoice, Reminder
from .services import reminder_text, vat_breakdown

INVOICE_TEMPLATE = "billing/pdf/invoice.html"
REMINDER_TEMPLATE = "billing/pdf/reminder.html"

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"
SIRET_SCHEME = "0009"  # ISO 6523 ICD: SIRET code

_POSTAL = re.compile(r"^(?P<street>.*?)[,\n\s]*(?P<postcode>\d{5})\s+(?P<city>[^,\n]+?)\s*$", re.S)


def _euros(amount: Decimal) -> str:
    return f"{number_format(amount, 2, force_grouping=True)}\u00a0€"


def _rate(rate: Decimal) -> str:
    value = rate.normalize()
    return number_format(value, max(0, -value.as_tuple().exponent))


def split_address(text: str) -> dict[str, str]:
    """Street, postcode and city of a French address ("235 rue X, 50000 Saint-Lô")."""
    match = _POSTAL.match(text.strip())
    if not match:
        return {"street": text.strip(), "postcode": "", "city": ""}
    street = " ".join(part.strip() for part in re.split(r"[,\n]", match["street"]) if part.strip())
    return {"street": street, "postcode": match["postcode"], "city": match["city"].strip()}


def vat_category(invoice: Invoice, rate) -> str:
    if rate is not None:
        return "S"
    return "E" if invoice.seller_vat_number else "O"


# CII XML -------------------------------------------------------------------------------------


def _el(parent, tag: str, text=None, **attrs):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", **attrs)
    if text is not None:
        element.text = str(text)
    return element


def _date(parent, tag: str, day, *, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(
        holder,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        day.strftime("%Y%m%d"),
        format="102",
    )


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _party(parent, tag: str, *, name: str, siret: str, address: str, vat_number: str = ""):
    party = _el(parent, tag)
    _el(party, "ram:Name", name)
    if siret:
        legal = _el(party, "ram:SpecifiedLegalOrganization")
        _el(legal, "ram:ID", siret, schemeID=SIRET_SCHEME)
    parts = split_address(address)
    postal = _el(party, "ram:PostalTradeAddress")
    if parts["postcode"]:
        _el(postal, "ram:PostcodeCode", parts["postcode"])
    if parts["street"]:
        _el(postal, "ram:LineOne", parts["street"])
    if parts["city"]:
        _el(postal, "ram:CityName", parts["city"])
    _el(postal, "ram:CountryID", "FR")
    if vat_number:
        registration = _el(party, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", vat_number, schemeID="VA")
    return party


def _trade_tax(parent, invoice: Invoice, rate, mention: str, *, basis=None, vat=None) -> None:
    tax = _el(parent, "ram:ApplicableTradeTax")
    category = vat_category(invoice, rate)
    if vat is not None:
        _el(tax, "ram:CalculatedAmount", _amount(vat))
    _el(tax, "ram:TypeCode", "VAT")
    if basis is not None and category != "S":
        _el(tax, "ram:ExemptionReason", mention or _("TVA non applicable"))
    if basis is not None:
        _el(tax, "ram:BasisAmount", _amount(basis))
    _el(tax, "ram:CategoryCode", category)
    if category == "S":
        _el(tax, "ram:RateApplicablePercent", f"{rate:.2f}")
    elif category == "E":
        _el(tax, "ram:RateApplicablePercent", "0.00")


def cii_xml(invoice: Invoice) -> bytes:
    """The invoice as UN/CEFACT CII D16B XML, Factur-X EN 16931 profile."""
    if not invoice.is_issued:
        raise ValueError("only an issued invoice has a Factur-X file")
    lines = list(invoice.lines.all())
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    guideline = _el(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _el(guideline, "ram:ID", EN16931)

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", "381" if invoice.is_credit_note else "380")
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    notes = []
    if invoice.deliberation_ref:
        notes.append(("AAI", _("Tarifs fixés par %(refs)s.") % {"refs": invoice.deliberation_ref}))
    if invoice.reason:
        notes.append(("AAI", invoice.reason))
    notes.append(("PMT", recovery_mention(invoice)))
    notes.append(
        (
            "REG",
            _("Émetteur : %(name)s, SIRET %(siret)s.")
            % {"name": invoice.seller_name, "siret": invoice.seller_siret},
        )
    )
    for code, content in notes:
        note = _el(document, "ram:IncludedNote")
        _el(note, "ram:Content", content)
        _el(note, "ram:SubjectCode", code)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_doc = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(line_doc, "ram:LineID", index)
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:Name", line.label)
        if line.detail:
            _el(product, "ram:Description", line.detail)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", _amount(line.unit_price))
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", f"{line.quantity:.2f}", unitCode="C62")
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        _trade_tax(settlement, invoice, line.vat_rate, line.vat_mention)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line.amount_excl_vat))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if invoice.service_code:
        _el(agreement, "ram:BuyerReference", invoice.service_code)
    _party(
        agreement,
        "ram:SellerTradeParty",
        name=invoice.seller_name,
        siret=invoice.seller_siret,
        address=invoice.seller_address,
        vat_number=invoice.seller_vat_number,
    )
    _party(
        agreement,
        "ram:BuyerTradeParty",
        name=invoice.buyer_name,
        siret=invoice.buyer_siret,
        address=invoice.buyer_address,
    )
    if invoice.commitment_number:
        order = _el(agreement, "ram:BuyerOrderReferencedDocument")
        _el(order, "ram:IssuerAssignedID", invoice.commitment_number)

    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", "EUR")
    for group in vat_breakdown(lines):
        _trade_tax(
            settlement,
            invoice,
            group["rate"],
            group["mention"],
            basis=group["basis"],
            vat=group["vat"],
        )
    if invoice.period_start and invoice.period_end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", invoice.period_start)
        _date(period, "ram:EndDateTime", invoice.period_end)
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", invoice.payment_terms or "-")
    if invoice.due_date and not invoice.is_credit_note:
        _date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(invoice.total_excl_vat))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(invoice.total_excl_vat))
    _el(totals, "ram:TaxTotalAmount", _amount(invoice.total_vat), currencyID="EUR")
    _el(totals, "ram:GrandTotalAmount", _amount(invoice.total_incl_vat))
    _el(totals, "ram:DuePayableAmount", _amount(invoice.total_incl_vat))
    if invoice.credited_invoice_id:
        credited = invoice.credited_invoice
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", credited.number)
        _date(reference, "ram:FormattedIssueDateTime", credited.issue_date, qualified=True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# PDF -----------------------------------------------------------------------------------------


def recovery_mention(invoice: Invoice) -> str:
    return _(
        "En cas de retard de paiement, intérêts moratoires au taux de %(rate)s %% l'an (taux de "
        "la BCE majoré de 8 points) et indemnité forfaitaire pour frais de recouvrement de "
        "%(indemnity)s (code de la commande publique, art. R2192-31 et suivants)."
    ) % {
        "rate": _rate(invoice.late_interest_rate or Decimal(0)),
        "indemnity": _euros(invoice.recovery_indemnity or Decimal(0)),
    }


def invoice_context(invoice: Invoice) -> dict:
    lines = list(invoice.lines.all())
    rows = [
        {
            "label": line.label,
            "detail": line.detail,
            "quantity": _rate(line.quantity),
            "unit_price": _euros(line.unit_price),
            "total": _euros(line.amount_excl_vat),
            "vat": f"{_rate(line.vat_rate)} %" if line.vat_rate is not None else line.vat_mention,
        }
        for line in lines
    ]
    breakdown = [
        {
            "label": f"{_rate(g['rate'])} %" if g["rate"] is not None else g["mention"],
            "basis": _euros(g["basis"]),
            "vat": _euros(g["vat"]),
        }
        for g in vat_breakdown(lines)
    ]
    credited = invoice.credited_invoice if invoice.credited_invoice_id else None
    return {
        "invoice": invoice,
        "title": (
            _("Avoir n° %(number)s") if invoice.is_credit_note else _("Facture n° %(number)s")
        )
        % {"number": invoice.number},
        "rows": rows,
        "breakdown": breakdown,
        "issue_date": long_date(invoice.issue_date),
        "due_date": long_date(invoice.due_date) if invoice.due_date else "",
        "period_start": long_date(invoice.period_start) if invoice.period_start else "",
        "period_end": long_date(invoice.period_end) if invoice.period_end else "",
        "total_excl_vat": _euros(invoice.total_excl_vat),
        "total_vat": _euros(invoice.total_vat),
        "total_incl_vat": _euros(invoice.total_incl_vat),
        "seller_lines": [p for p in invoice.seller_address.split("\n") if p],
        "buyer_lines": [p for p in invoice.buyer_address.split("\n") if p],
        "recovery": recovery_mention(invoice),
        "credited": credited,
        "credited_date": long_date(credited.issue_date) if credited else "",
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice or credit note as a tagged PDF/A-3b (the base of the Factur-X file)."""
    renderer = PdfRenderer(pdfa=True)
    with renderer.language():
        context = invoice_context(invoice)
    return renderer.render(INVOICE_TEMPLATE, context)


def invoice_facturx(invoice: Invoice, pdf: bytes | None = None) -> bytes:
    """The Factur-X EN 16931 file: the PDF/A-3 with factur-x.xml embedded (XSD-checked)."""
    pdf = pdf if pdf is not None else invoice_pdf(invoice)
    return facturx.generate_from_binary(
        pdf,
        cii_xml(invoice),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        lang="fr-FR",
        pdf_metadata={
            "author": invoice.seller_name,
            "keywords": "Factur-X",
            "title": str(invoice),
            "subject": invoice_context(invoice)["title"],
        },
    )


def reminder_pdf(reminder: Reminder) -> bytes:
    invoice = reminder.invoice
    renderer = PdfRenderer(pdfa=False)
    with renderer.language():
        context = {
            "reminder": reminder,
            "invoice": invoice,
            "sent_on": long_date(reminder.sent_on),
            "body": reminder_text(reminder),
            "buyer_lines": [p for p in invoice.buyer_address.split("\n") if p],
            "amount_due": _euros(reminder.amount_due),
            "interest": _euros(reminder.interest),
            "indemnity": _euros(reminder.indemnity),
            "total": _euros(reminder.total_claimed),
        }
    return renderer.render(REMINDER_TEMPLATE, context)
