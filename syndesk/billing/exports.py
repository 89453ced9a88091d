"""Exports of issued invoices: a ZIP of Factur-X files for an upload to Chorus Pro, and
CSV/XLSX tables of invoices and lines for the syndicate's finance software, which emits the
titres de recette (and the PES ASAP to Hélios, DOMAIN.md §1).

Column headers are French (the finance officers read them); amounts are Decimals with a
point in the CSV (machine-read) and numbers in the XLSX. Credit notes are exported with
negative amounts so that a sum over a file gives what is owed.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook

from syndesk.core.spreadsheet import french_csv

from .models import Invoice


def facturx_bytes(invoice: Invoice) -> bytes:
    """The stored Factur-X file, or one rendered now when the task has not run yet."""
    if invoice.facturx:
        with invoice.facturx.open("rb") as handle:
            return handle.read()
    from .documents import invoice_facturx

    return invoice_facturx(invoice)


def facturx_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def chorus_zip(invoices: Iterable[Invoice]) -> bytes:
    """One Factur-X PDF per issued invoice or credit note, in a ZIP (Chorus Pro's batch
    upload accepts Factur-X files)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            if invoice.is_issued:
                archive.writestr(facturx_filename(invoice), facturx_bytes(invoice))
    return buffer.getvalue()


def _sign(invoice: Invoice, amount: Decimal) -> Decimal:
    return -amount if invoice.is_credit_note else amount


def invoice_header() -> list[str]:
    return [
        _("Numéro"),
        _("Nature"),
        _("Date d'émission"),
        _("Facture d'origine"),
        _("Adhérent"),
        _("SIREN"),
        _("SIRET"),
        _("Code service"),
        _("Numéro d'engagement"),
        _("Période du"),
        _("Période au"),
        _("Total HT"),
        _("TVA"),
        _("Total TTC"),
        _("Reçue le"),
        _("Échéance"),
        _("Payé"),
        _("Avoirs"),
        _("Reste dû"),
    ]


def invoice_row(invoice: Invoice) -> list:
    return [
        invoice.number,
        invoice.get_kind_display(),
        invoice.issue_date,
        invoice.credited_invoice.number if invoice.credited_invoice_id else "",
        invoice.buyer_name,
        invoice.buyer_siren,
        invoice.buyer_siret,
        invoice.service_code,
        invoice.commitment_number,
        invoice.period_start,
        invoice.period_end,
        _sign(invoice, invoice.total_excl_vat),
        _sign(invoice, invoice.total_vat),
        _sign(invoice, invoice.total_incl_vat),
        invoice.received_on,
        invoice.due_date,
        invoice.amount_paid,
        invoice.amount_credited,
        invoice.amount_due,
    ]


def line_header() -> list[str]:
    return [
        _("Numéro"),
        _("Ligne"),
        _("Désignation"),
        _("Détail"),
        _("Quantité"),
        _("Prix unitaire HT"),
        _("Montant HT"),
        _("Taux de TVA"),
        _("Montant de TVA"),
        _("Mention TVA"),
        _("Délibération"),
    ]


def line_rows(invoice: Invoice) -> list[list]:
    return [
        [
            invoice.number,
            index,
            line.label,
            line.detail,
            line.quantity,
            line.unit_price,
            _sign(invoice, line.amount_excl_vat),
            line.vat_rate if line.vat_rate is not None else "",
            _sign(invoice, line.vat_amount),
            line.vat_mention,
            line.deliberation,
        ]
        for index, line in enumerate(invoice.lines.all(), start=1)
    ]


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _issued(invoices: Iterable[Invoice]) -> list[Invoice]:
    if hasattr(invoices, "prefetch_related"):
        invoices = invoices.select_related("credited_invoice").prefetch_related("lines")
    return [invoice for invoice in invoices if invoice.is_issued]


def invoices_csv(invoices: Iterable[Invoice], *, lines: bool = False) -> str:
    """Invoices (or, with `lines`, their lines) as CSV with ';' separators."""
    issued = _issued(invoices)
    if lines:
        rows = ([_cell(v) for v in row] for invoice in issued for row in line_rows(invoice))
        return french_csv(line_header(), rows)
    return french_csv(invoice_header(), ([_cell(v) for v in invoice_row(i)] for i in issued))


def invoices_xlsx(invoices: Iterable[Invoice]) -> bytes:
    """A workbook with two sheets: invoices and their lines."""
    issued = _issued(invoices)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Factures")
    sheet.append(invoice_header())
    for invoice in issued:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in invoice_row(invoice)])
    lines_sheet = workbook.create_sheet(_("Lignes"))
    lines_sheet.append(line_header())
    for invoice in issued:
        for row in line_rows(invoice):
            lines_sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    for ws in (sheet, lines_sheet):
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
