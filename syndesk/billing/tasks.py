"""Background work of billing: documents rendered after the issuing commit, reminders sent,
and the daily job (see docs/operations.md)."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from syndesk.core.tasks import send_email

from . import services
from .models import Invoice, Reminder


@task
def render_invoice_documents(*, invoice_id: int) -> str:
    """Render the PDF and the Factur-X file of an issued invoice and store them."""
    from .documents import invoice_facturx, invoice_pdf

    invoice = Invoice.objects.select_related("credited_invoice").get(pk=invoice_id)
    pdf = invoice_pdf(invoice)
    facturx = invoice_facturx(invoice, pdf)
    with transaction.atomic():
        invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(pdf), save=False)
        invoice.facturx.save(f"{invoice.number}-facturx.pdf", ContentFile(facturx), save=False)
        invoice.save(update_fields=["pdf", "facturx"])
    return invoice.number


@task
def deliver_reminder(*, reminder_id: int) -> str:
    """A letter reminder gets its PDF (to print and post); an e-mail reminder is sent."""
    from .documents import reminder_pdf

    reminder = Reminder.objects.select_related("invoice__member").get(pk=reminder_id)
    if reminder.kind == Reminder.Kind.LETTER:
        reminder.document.save(
            f"relance-{reminder.invoice.number}-{reminder.sent_on:%Y%m%d}.pdf",
            ContentFile(reminder_pdf(reminder)),
            save=False,
        )
        reminder.save(update_fields=["document"])
        return "letter"
    from django.utils.translation import gettext as _

    send_email.enqueue(
        subject=_("Relance : facture n° %(number)s") % {"number": reminder.invoice.number},
        body=services.reminder_text(reminder),
        to=[reminder.recipient],
    )
    return "email"


@task
def run_daily_billing() -> dict:
    """Draft the invoices of started periods and e-mail the reminders due."""
    return services.daily_billing(timezone.localdate())
