"""Invoices of the yearly subscription, their credit notes, the administrative-mandate
payments recorded from the syndicate's accountant, and the reminders of late invoices.

Points of law (DOMAIN.md §1) that shape these models:

* an invoice is numbered only when it is issued, in a continuous series per year with no gap
  (``FA-2026-00042``; credit notes have their own series ``AV-…``), inside the issuing
  transaction (see ``services.issue_invoice``);
* an issued invoice is a frozen document: the seller's and buyer's identities, the legal
  mentions and the amounts are copied onto it at issue and never change; it is never deleted,
  a correction is a credit note pointing to it;
* the paid status comes from the accountant (manual entry or import), never from the member.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Offer
from syndesk.contracts.models import Subscription
from syndesk.core.scoping import MemberScopedQuerySet
from syndesk.members.models import Member

ZERO = Decimal("0.00")


class FrozenInvoice(Exception):
    """An issued invoice was about to be changed or deleted."""


#: What may still change on an issued invoice: its receipt and due dates, the settlement
#: figures kept up to date by the payment and credit-note services, and the rendered files.
MUTABLE_AFTER_ISSUE = frozenset(
    {
        "received_on",
        "due_date",
        "amount_paid",
        "amount_credited",
        "settled_on",
        "pdf",
        "facturx",
    }
)


class InvoiceQuerySet(MemberScopedQuerySet):
    member_path = "member"

    def delete(self):
        if self.exclude(status=Invoice.Status.DRAFT).exists():
            raise FrozenInvoice("Issued invoices are never deleted; issue a credit note.")
        return super().delete()

    def issued(self):
        return self.filter(status=Invoice.Status.ISSUED)

    def invoices(self):
        return self.filter(kind=Invoice.Kind.INVOICE)

    def credit_notes(self):
        return self.filter(kind=Invoice.Kind.CREDIT_NOTE)

    def open(self):
        """Issued invoices (not credit notes) with an amount still due."""
        return self.issued().invoices().filter(settled_on__isnull=True)

    def overdue(self, as_of):
        return self.open().filter(overdue_q(as_of))

    def falling_due(self, as_of, days: int):
        """Open invoices due from `as_of` to `days` days later, both included."""
        return self.open().filter(falling_due_q(as_of, days))


def overdue_q(as_of) -> models.Q:
    """Among open invoices: past their due date."""
    return models.Q(due_date__lt=as_of)


def falling_due_q(as_of, days: int) -> models.Q:
    """Among open invoices: due from `as_of` to `days` days later, both included."""
    return models.Q(due_date__gte=as_of, due_date__lte=as_of + timedelta(days=days))


def invoice_pdf_path(instance, filename: str) -> str:
    return f"billing/{instance.year or 'brouillons'}/{filename}"


class Invoice(models.Model):
    """An invoice (facture) or a credit note (avoir) of the syndicate to one member.

    A draft has no number and may be changed or discarded. Issuing it numbers it and copies
    every mandatory mention (seller and buyer identities, SIRET, Chorus Pro service code and
    commitment number, deliberation, VAT or its exemption, payment terms, late-interest rate
    and the EUR 40 indemnity) so that the document never changes afterwards. Amounts are
    positive for both kinds; the kind says the direction (type code 380 or 381).
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        CREDIT_NOTE = "credit_note", _("Avoir")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        ISSUED = "issued", _("Émise")

    kind = models.CharField(_("nature"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(_("état"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(_("numéro"), max_length=20, null=True, blank=True, unique=True)
    year = models.PositiveSmallIntegerField(_("exercice"), null=True, blank=True)
    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="invoices"
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("abonnement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    period_index = models.PositiveSmallIntegerField(_("période n°"), null=True, blank=True)
    period_start = models.DateField(_("période du"), null=True, blank=True)
    period_end = models.DateField(_("période au"), null=True, blank=True)
    prorated = models.BooleanField(_("prorata temporis"), default=False)
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("facture d'origine"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    reason = models.CharField(_("motif"), max_length=255, blank=True)

    issue_date = models.DateField(_("date d'émission"), null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Snapshot: the seller (the syndicate), copied at issue.
    seller_name = models.CharField(_("émetteur"), max_length=200, blank=True)
    seller_address = models.TextField(_("adresse de l'émetteur"), blank=True)
    seller_siret = models.CharField(_("SIRET de l'émetteur"), max_length=14, blank=True)
    seller_vat_number = models.CharField(_("n° TVA de l'émetteur"), max_length=20, blank=True)
    # Snapshot: the buyer (the member), copied at issue; the Chorus Pro references may be set
    # on the draft (from the purchase order or the member) and are checked at issue.
    buyer_name = models.CharField(_("destinataire"), max_length=200, blank=True)
    buyer_address = models.TextField(_("adresse de facturation"), blank=True)
    buyer_siren = models.CharField(_("SIREN du destinataire"), max_length=9, blank=True)
    buyer_siret = models.CharField(_("SIRET du destinataire"), max_length=14, blank=True)
    service_code = models.CharField(_("code service"), max_length=100, blank=True)
    commitment_number = models.CharField(_("numéro d'engagement"), max_length=60, blank=True)
    # Snapshot: the legal mentions.
    deliberation_ref = models.CharField(_("délibération tarifaire"), max_length=255, blank=True)
    payment_terms = models.TextField(_("conditions de paiement"), blank=True)
    late_interest_rate = models.DecimalField(
        _("taux des intérêts moratoires (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
    )
    recovery_indemnity = models.DecimalField(
        _("indemnité forfaitaire de recouvrement"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
    )
    vat_mention = models.CharField(_("mention TVA"), max_length=255, blank=True)
    # Amounts (excl. VAT, VAT, incl. VAT), positive for both kinds.
    total_excl_vat = models.DecimalField(
        _("total HT"), max_digits=12, decimal_places=2, default=ZERO
    )
    total_vat = models.DecimalField(_("total TVA"), max_digits=12, decimal_places=2, default=ZERO)
    total_incl_vat = models.DecimalField(
        _("total TTC"), max_digits=12, decimal_places=2, default=ZERO
    )

    # Receipt and settlement (kept by the services, allowed to change after issue).
    received_on = models.DateField(_("reçue le"), null=True, blank=True)
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    amount_paid = models.DecimalField(
        _("montant payé"), max_digits=12, decimal_places=2, default=ZERO
    )
    amount_credited = models.DecimalField(
        _("montant des avoirs"), max_digits=12, decimal_places=2, default=ZERO
    )
    settled_on = models.DateField(_("soldée le"), null=True, blank=True)

    pdf = models.FileField(_("PDF"), upload_to=invoice_pdf_path, blank=True)
    facturx = models.FileField(_("Factur-X"), upload_to=invoice_pdf_path, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-year", "-number", "-pk"]
        permissions = [("issue_invoice", _("Peut émettre des factures et des avoirs"))]
        constraints = [
            # The invoicing run can never bill one period twice, even run twice at once.
            models.UniqueConstraint(
                fields=["subscription", "period_index"],
                condition=models.Q(kind="invoice"),
                name="invoice_one_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft", number__isnull=True)
                | models.Q(
                    status="issued",
                    number__isnull=False,
                    year__isnull=False,
                    issue_date__isnull=False,
                ),
                name="invoice_numbered_iff_issued",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice", credited_invoice__isnull=True)
                | models.Q(kind="credit_note", credited_invoice__isnull=False),
                name="invoice_credit_note_references_invoice",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    total_excl_vat__gte=0,
                    total_vat__gte=0,
                    total_incl_vat__gte=0,
                    amount_paid__gte=0,
                    amount_credited__gte=0,
                ),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__isnull=True)
                | models.Q(period_end__gte=models.F("period_start")),
                name="invoice_period_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "kind", "due_date"], name="invoice_due_idx"),
            # The open invoices (InvoiceQuerySet.open: not settled) by due date: the overdue
            # list and the dashboard read these few rows, not every issued invoice of every
            # year. Not a partial index: SQLite's planner kept (status, kind, due_date) and
            # read every issued invoice.
            models.Index(
                fields=["settled_on", "status", "kind", "due_date"], name="invoice_open_idx"
            ),
            models.Index(fields=["member", "year"], name="invoice_member_year_idx"),
        ]

    def __str__(self) -> str:
        if self.number:
            return self.number
        return _("Brouillon n° %(pk)s — %(member)s") % {"pk": self.pk, "member": self.member}

    def save(self, *args, **kwargs):
        # Legal immutability: once issued, only the receipt/settlement fields and the rendered
        # files may be written, and only through an explicit update_fields.
        if self.pk and self.status == self.Status.ISSUED and not getattr(self, "_issuing", False):
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= MUTABLE_AFTER_ISSUE:
                raise FrozenInvoice(f"{self} is issued: it cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT:
            raise FrozenInvoice(f"{self} is issued: it is never deleted; issue a credit note.")
        return super().delete(*args, **kwargs)

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def amount_due(self) -> Decimal:
        """What the member still owes on this invoice (never negative)."""
        if self.is_credit_note or not self.is_issued:
            return ZERO
        return max(ZERO, self.total_incl_vat - self.amount_paid - self.amount_credited)

    def is_overdue(self, as_of) -> bool:
        return (
            self.is_issued
            and not self.is_credit_note
            and self.settled_on is None
            and self.due_date is not None
            and self.due_date < as_of
        )


class InvoiceLineQuerySet(MemberScopedQuerySet):
    member_path = "invoice__member"


class InvoiceLine(models.Model):
    """One line of an invoice: an offer of the subscription for the period, at the tariff of
    the deliberation in force on the period's first day (or pro rata for a final period)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    offer = models.ForeignKey(
        Offer, verbose_name=_("offre"), null=True, blank=True, on_delete=models.PROTECT
    )
    label = models.CharField(_("désignation"), max_length=255)
    detail = models.TextField(_("détail"), blank=True)
    quantity = models.DecimalField(
        _("quantité"), max_digits=8, decimal_places=2, default=Decimal(1)
    )
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=12, decimal_places=2)
    amount_excl_vat = models.DecimalField(_("montant HT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(
        _("taux de TVA (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    vat_amount = models.DecimalField(
        _("montant de TVA"), max_digits=12, decimal_places=2, default=ZERO
    )
    vat_mention = models.CharField(_("mention d'exonération"), max_length=200, blank=True)
    deliberation = models.CharField(_("délibération"), max_length=255, blank=True)

    objects = InvoiceLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")
        ordering = ["invoice", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="invoice_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0, amount_excl_vat__gte=0, vat_amount__gte=0),
                name="invoice_line_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(vat_rate__isnull=True, vat_mention=""),
                name="invoice_line_vat_rate_or_mention",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        if self.invoice.status != Invoice.Status.DRAFT and not getattr(
            self.invoice, "_issuing", False
        ):
            raise FrozenInvoice("The lines of an issued invoice cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.invoice.status != Invoice.Status.DRAFT:
            raise FrozenInvoice("The lines of an issued invoice cannot be deleted.")
        return super().delete(*args, **kwargs)


class PaymentQuerySet(MemberScopedQuerySet):
    member_path = "invoice__member"


class Payment(models.Model):
    """A payment received by administrative mandate (mandat administratif): the member's
    ordonnateur issued a payment order, its public accountant paid by transfer, and the
    syndicate's accountant recorded the receipt. Entered by staff or imported from the
    accountant's file; never declared by the member."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Saisie")
        IMPORT = "import", _("Import du comptable")

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, related_name="payments"
    )
    mandate_number = models.CharField(_("numéro de mandat"), max_length=40)
    paid_on = models.DateField(_("payé le"))
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    source = models.CharField(
        _("origine"), max_length=8, choices=Source.choices, default=Source.MANUAL
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
            # One mandate pays an invoice once: importing the same file twice is refused.
            models.UniqueConstraint(
                fields=["invoice", "mandate_number"], name="payment_one_per_mandate"
            ),
        ]

    def __str__(self) -> str:
        return _("Mandat %(number)s du %(date)s") % {
            "number": self.mandate_number,
            "date": self.paid_on.strftime("%d/%m/%Y"),
        }


class ReminderQuerySet(MemberScopedQuerySet):
    member_path = "invoice__member"


def reminder_path(instance, filename: str) -> str:
    return f"billing/relances/{filename}"


class Reminder(models.Model):
    """A reminder (relance) of a late invoice, by letter (a PDF) or e-mail. It states the
    late-payment interest (ECB rate + 8 points, simple interest on the amount due for the
    days late) and the EUR 40 recovery indemnity owed by law (CCP R2192-31 and following),
    unless staff waive them, with a reason that is kept."""

    class Kind(models.TextChoices):
        LETTER = "letter", _("Courrier")
        EMAIL = "email", _("Courriel")

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(_("envoi"), max_length=8, choices=Kind.choices)
    sent_on = models.DateField(_("envoyée le"))
    amount_due = models.DecimalField(_("reste dû"), max_digits=12, decimal_places=2)
    days_late = models.PositiveIntegerField(_("jours de retard"))
    interest_rate = models.DecimalField(_("taux"), max_digits=6, decimal_places=2)
    interest = models.DecimalField(_("intérêts moratoires"), max_digits=12, decimal_places=2)
    indemnity = models.DecimalField(
        _("indemnité forfaitaire"), max_digits=8, decimal_places=2, default=ZERO
    )
    waived = models.BooleanField(_("intérêts et indemnité abandonnés"), default=False)
    waiver_reason = models.CharField(_("motif de l'abandon"), max_length=255, blank=True)
    recipient = models.CharField(_("destinataire"), max_length=254, blank=True)
    document = models.FileField(_("lettre"), upload_to=reminder_path, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        ordering = ["-sent_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(waived=False) | ~models.Q(waiver_reason=""),
                name="reminder_waiver_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(interest__gte=0, indemnity__gte=0),
                name="reminder_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return _("Relance du %(date)s — %(invoice)s") % {
            "date": self.sent_on.strftime("%d/%m/%Y"),
            "invoice": self.invoice,
        }

    @property
    def total_claimed(self) -> Decimal:
        return self.amount_due + self.interest + self.indemnity
