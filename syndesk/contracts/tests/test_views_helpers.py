"""Shared helpers of the contract page tests (no tests here): a frozen "today", uploads,
and the ordering chain built through the services, never by writing models directly.
The catalogue fixtures (`support`, `payroll_option`) come from this folder's conftest."""

from contextlib import contextmanager
from datetime import date
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from syndesk.contracts import services

PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
QUOTE_DAY = date(2026, 3, 31)  # valid until 30 April 2026
ORDER_DAY = date(2026, 4, 20)  # the subscription starts here


@contextmanager
def frozen_today(day: date):
    """Freeze timezone.localdate() (what the views and forms call "today")."""
    real = timezone.localdate

    def fake(value=None, timezone=None):
        return day if value is None else real(value, timezone)

    with mock.patch("django.utils.timezone.localdate", side_effect=fake):
        yield day


def pdf_upload(name="signe.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png_upload(name="scan.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def fake_pdf_upload(name="devis.pdf"):
    """A file named .pdf whose content is an executable: refused by its real type."""
    return SimpleUploadedFile(
        name, b"MZ\x90\x00\x03\x00\x00\x00" * 8, content_type="application/pdf"
    )


def huge_pdf_upload(name="enorme.pdf"):
    return SimpleUploadedFile(
        name, PDF_BYTES + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
    )


def draft_quote(member, by, offers, *, day=QUOTE_DAY, request=None):
    return services.create_quote(
        member=member, quote_date=day, offers=offers, created_by=by, request=request
    )


def sent_quote(member, by, offers, *, day=QUOTE_DAY):
    quote = draft_quote(member, by, offers, day=day)
    return services.send_quote(quote=quote, sent_on=day, sent_by=by)


def signed_quote(member, by, offers, *, day=QUOTE_DAY, signed_on=date(2026, 4, 15)):
    quote = sent_quote(member, by, offers, day=day)
    return services.sign_quote(quote=quote, signed_on=signed_on, recorded_by=by)


def complete_order(quote, by, **overrides):
    fields = {
        "received_on": ORDER_DAY,
        "signed_quote": pdf_upload(),
        "signed_annex": pdf_upload("annexe.pdf"),
        "originals_received_on": date(2026, 4, 22),
        **overrides,
    }
    return services.record_order(quote=quote, recorded_by=by, **fields)


def active_subscription(member, by, offers):
    order = complete_order(signed_quote(member, by, offers), by)
    return services.accept_order(order=order, accepted_on=date(2026, 4, 23), accepted_by=by)
