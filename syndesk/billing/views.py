"""Staff pages of billing: the invoice list and page (issue, references, receipt, mandate
payments, credit notes, reminders, downloads), the invoicing run, the payment import, the
overdue list, the exports for Chorus Pro and the finance software, and the dashboard.

Views stay thin: load through `visible_to` / `get_visible_or_404`, validate a form, call one
service, redirect; a service's refusal is shown at the field it names. Documents are served
by views that check permissions, never as /media/ URLs.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Prefetch, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from syndesk.core.audit import history_of
from syndesk.core.permissions import StaffPermissionMixin
from syndesk.core.scoping import get_visible_or_404

from . import documents, exports, reports, services
from .filters import InvoiceFilterSet
from .forms import (
    CreditNoteForm,
    DiscardForm,
    DraftReferencesForm,
    IssueForm,
    PaymentForm,
    PaymentImportForm,
    ReceiptForm,
    ReminderForm,
    RunForm,
    YearForm,
    apply_service_error,
)
from .models import Invoice, InvoiceLine, Payment, Reminder

PAGE_SIZE = 50
PANEL_LIMIT = 10
PREVIEW_LIMIT = 200
LIST_FIELDS = [
    "kind",
    "status",
    "number",
    "year",
    "member__name",
    "period_start",
    "period_end",
    "issue_date",
    "issued_at",
    "due_date",
    "total_incl_vat",
    "amount_paid",
    "amount_credited",
    "settled_on",
    "credited_invoice__number",
]
DRAFT_FORMS = {"references", "discard", "issue"}


def today() -> date:
    return timezone.localdate()


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The stored PDF, or one rendered now when the background task has not run yet."""
    if invoice.pdf:
        try:
            with invoice.pdf.open("rb") as handle:
                return handle.read()
        except FileNotFoundError:
            pass
    return documents.invoice_pdf(invoice)


def invoice_facturx_bytes(invoice: Invoice) -> bytes:
    try:
        return exports.facturx_bytes(invoice)
    except FileNotFoundError:
        return documents.invoice_facturx(invoice)


def pdf_download(invoice: Invoice) -> HttpResponse:
    if not invoice.is_issued:
        raise Http404
    return _attachment(invoice_pdf_bytes(invoice), f"{invoice.number}.pdf", "application/pdf")


def facturx_download(invoice: Invoice) -> HttpResponse:
    if not invoice.is_issued:
        raise Http404
    return _attachment(
        invoice_facturx_bytes(invoice), f"{invoice.number}-facturx.pdf", "application/pdf"
    )


# Invoice list --------------------------------------------------------------------------------


class InvoiceListView(StaffPermissionMixin, View):
    permission_required = "billing.view_invoice"

    def get(self, request):
        queryset = (
            Invoice.objects.visible_to(request.user)
            .select_related("member", "credited_invoice")
            # Only what the rows show: the frozen snapshot's long texts would make the
            # database sort wide rows (PostgreSQL spills them to disk).
            .only(*LIST_FIELDS)
            # Newest first. Numbers follow the issue order (the series is chronological),
            # so the issue timestamp orders them without sorting strings by collation.
            .order_by("-year", "-issue_date", "-issued_at", "-pk")
        )
        filterset = InvoiceFilterSet(request.GET, queryset=queryset)
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        without_member = query.copy()
        without_member.pop("member", None)
        form = filterset.form
        context = {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "query_without_member": without_member.urlencode(),
            "chosen_member": form.cleaned_data.get("member") if form.is_valid() else None,
            "today": today(),
            "drafts": Invoice.objects.visible_to(request.user)
            .filter(status=Invoice.Status.DRAFT, kind=Invoice.Kind.INVOICE)
            .count(),
            "issue_form": IssueForm(),
        }
        if request.htmx:
            return render(request, "billing/invoice_list.html#results", context)
        return render(request, "billing/invoice_list.html", context)


class IssueDraftsView(StaffPermissionMixin, View):
    """Issue every draft invoice; those that cannot be issued are listed with the reason."""

    permission_required = "billing.issue_invoice"

    def post(self, request):
        form = IssueForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Indiquez une date d'émission valide."))
            return redirect("billing:list")
        drafts = (
            Invoice.objects.visible_to(request.user)
            .filter(status=Invoice.Status.DRAFT, kind=Invoice.Kind.INVOICE)
            .order_by("period_start", "pk")
        )
        report = services.issue_drafts(
            issued_by=request.user,
            issue_date=form.cleaned_data["issue_date"],
            invoices=drafts,
        )
        return render(request, "billing/issue_report.html", {"report": report})


# Invoice page and its actions ----------------------------------------------------------------


def _invoice_queryset():
    return Invoice.objects.select_related(
        "member", "credited_invoice", "subscription", "issued_by", "created_by"
    ).prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.select_related("offer")),
        Prefetch("payments", queryset=Payment.objects.select_related("entered_by")),
        Prefetch("reminders", queryset=Reminder.objects.select_related("sent_by")),
        "credit_notes",
    )


def invoice_detail_response(request, invoice: Invoice, *, forms=None, status=200):
    forms = forms or {}
    day = today()
    figures = None
    if invoice.is_overdue(day):
        figures = services.reminder_figures(invoice=invoice, as_of=day)
    termination_credit = (
        services.termination_credit_amount(invoice)
        if invoice.is_issued and not invoice.is_credit_note and invoice.subscription_id
        else None
    )
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "member": invoice.member,
            "today": day,
            "lines": invoice.lines.all(),
            "payments": invoice.payments.all(),
            "reminders": invoice.reminders.all(),
            "credit_notes": invoice.credit_notes.all(),
            "overdue": invoice.is_overdue(day),
            "figures": figures,
            "termination_credit": termination_credit,
            "references_form": forms.get("references")
            or DraftReferencesForm(
                initial={
                    "commitment_number": invoice.commitment_number,
                    "service_code": invoice.service_code,
                }
            ),
            "issue_form": forms.get("issue") or IssueForm(),
            "discard_form": forms.get("discard") or DiscardForm(),
            "receipt_form": forms.get("receipt")
            or ReceiptForm(initial={"received_on": invoice.received_on}),
            "payment_form": forms.get("payment")
            or PaymentForm(initial={"amount": invoice.amount_due or None}),
            "credit_form": forms.get("credit") or CreditNoteForm(),
            "reminder_form": forms.get("reminder") or ReminderForm(initial={"kind": "letter"}),
            "action_errors": forms.get("errors", []),
            "history": history_of(invoice)[:50],
        },
        status=status,
    )


class InvoiceDetailView(StaffPermissionMixin, View):
    permission_required = "billing.view_invoice"

    def get(self, request, pk):
        invoice = get_visible_or_404(_invoice_queryset(), request.user, pk=pk)
        return invoice_detail_response(request, invoice)


class _InvoiceActionView(StaffPermissionMixin, View):
    """A POST on one invoice: form → one service → redirect, or the page with the errors."""

    form_class: type
    forms_key = ""
    success_message = ""

    def get_invoice(self, request, pk) -> Invoice:
        return get_visible_or_404(_invoice_queryset(), request.user, pk=pk)

    def perform(self, invoice: Invoice, data: dict):  # pragma: no cover - overridden
        raise NotImplementedError

    def message(self, invoice: Invoice, result) -> str:
        return self.success_message

    def post(self, request, pk):
        invoice = self.get_invoice(request, pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                result = self.perform(invoice, form.cleaned_data)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, self.message(invoice, result))
                return self.redirect_after(invoice, result)
        invoice = self.get_invoice(request, pk)
        forms = {self.forms_key: form}
        if not self.form_shown(invoice):
            # The page does not show this form (an issued invoice has no draft forms, an
            # invoice not late has no reminder form...): say why at the top.
            forms["errors"] = list(form.non_field_errors()) + [
                e for name, errors in form.errors.items() if name != "__all__" for e in errors
            ]
        return invoice_detail_response(request, invoice, forms=forms)

    def redirect_after(self, invoice: Invoice, result):
        return redirect("billing:detail", pk=invoice.pk)

    def form_shown(self, invoice: Invoice) -> bool:
        """Whether the invoice page shows this action's form (as the template decides)."""
        if self.forms_key in DRAFT_FORMS:
            return invoice.status == Invoice.Status.DRAFT
        if not invoice.is_issued or invoice.is_credit_note:
            return False
        if self.forms_key == "reminder":
            return invoice.is_overdue(today())
        if self.forms_key == "payment":
            return invoice.amount_due > 0
        return True


class DraftReferencesView(_InvoiceActionView):
    permission_required = "billing.change_invoice"
    form_class, forms_key = DraftReferencesForm, "references"

    def perform(self, invoice, data):
        return services.update_draft(
            invoice=invoice,
            changed_by=self.request.user,
            commitment_number=data["commitment_number"],
            service_code=data["service_code"],
        )

    def message(self, invoice, result):
        return _("Références Chorus Pro du brouillon enregistrées.")


class DiscardDraftView(_InvoiceActionView):
    permission_required = "billing.change_invoice"
    form_class, forms_key = DiscardForm, "discard"

    def perform(self, invoice, data):
        return services.discard_draft(invoice=invoice, discarded_by=self.request.user)

    def message(self, invoice, result):
        return _("Brouillon supprimé.")

    def redirect_after(self, invoice, result):
        return redirect("billing:list")


class IssueInvoiceView(_InvoiceActionView):
    permission_required = "billing.issue_invoice"
    form_class, forms_key = IssueForm, "issue"

    def perform(self, invoice, data):
        return services.issue_invoice(
            invoice=invoice, issued_by=self.request.user, issue_date=data["issue_date"]
        )

    def message(self, invoice, result):
        return _("Facture %(number)s émise ; échéance le %(due)s.") % {
            "number": result.number,
            "due": result.due_date.strftime("%d/%m/%Y"),
        }


class ReceiptView(_InvoiceActionView):
    permission_required = "billing.change_invoice"
    form_class, forms_key = ReceiptForm, "receipt"

    def perform(self, invoice, data):
        return services.record_receipt(
            invoice=invoice, recorded_by=self.request.user, received_on=data["received_on"]
        )

    def message(self, invoice, result):
        return _("Date de réception enregistrée ; échéance le %(due)s.") % {
            "due": result.due_date.strftime("%d/%m/%Y")
        }


class PaymentView(_InvoiceActionView):
    permission_required = "billing.add_payment"
    form_class, forms_key = PaymentForm, "payment"

    def perform(self, invoice, data):
        return services.record_payment(
            invoice=invoice,
            mandate_number=data["mandate_number"],
            paid_on=data["paid_on"],
            amount=data["amount"],
            entered_by=self.request.user,
        )

    def message(self, invoice, result):
        return _("Paiement par le mandat %(number)s enregistré.") % {
            "number": result.mandate_number
        }


class CreditNoteView(_InvoiceActionView):
    permission_required = "billing.issue_invoice"
    form_class, forms_key = CreditNoteForm, "credit"

    def perform(self, invoice, data):
        return services.create_credit_note(
            invoice=invoice,
            reason=data["reason"],
            issued_by=self.request.user,
            amount=data["amount"],
        )

    def message(self, invoice, result):
        return _("Avoir %(number)s émis.") % {"number": result.number}

    def redirect_after(self, invoice, result):
        return redirect("billing:detail", pk=result.pk)


class ReminderView(_InvoiceActionView):
    permission_required = "billing.add_reminder"
    form_class, forms_key = ReminderForm, "reminder"

    def perform(self, invoice, data):
        return services.send_reminder(
            invoice=invoice,
            kind=data["kind"],
            sent_by=self.request.user,
            waive=data["waive"],
            waiver_reason=data["waiver_reason"],
        )

    def message(self, invoice, result):
        if result.kind == Reminder.Kind.EMAIL:
            return _("Relance envoyée par courriel à %(email)s.") % {"email": result.recipient}
        return _("Lettre de relance prête : téléchargez-la pour l'imprimer et l'envoyer.")

    def redirect_after(self, invoice, result):
        if self.request.POST.get("next") == "overdue":
            return redirect("billing:overdue")
        return redirect("billing:detail", pk=invoice.pk)


class _InvoiceDownloadView(StaffPermissionMixin, View):
    """The staff side of the two downloads; the portal has its own base (portal_views)."""

    permission_required = "billing.view_invoice"

    def get_invoice(self, request, pk) -> Invoice:
        return get_visible_or_404(
            Invoice.objects.select_related("member", "credited_invoice"), request.user, pk=pk
        )


class InvoicePdfView(_InvoiceDownloadView):
    def get(self, request, pk):
        return pdf_download(self.get_invoice(request, pk))


class InvoiceFacturxView(_InvoiceDownloadView):
    def get(self, request, pk):
        return facturx_download(self.get_invoice(request, pk))


class ReminderLetterView(StaffPermissionMixin, View):
    permission_required = "billing.view_reminder"

    def get(self, request, pk):
        reminder = get_visible_or_404(
            Reminder.objects.select_related("invoice__member"), request.user, pk=pk
        )
        if reminder.document:
            try:
                with reminder.document.open("rb") as handle:
                    content = handle.read()
            except FileNotFoundError:
                content = documents.reminder_pdf(reminder)
        else:
            content = documents.reminder_pdf(reminder)
        return _attachment(
            content,
            f"relance-{reminder.invoice.number}-{reminder.sent_on:%Y%m%d}.pdf",
            "application/pdf",
        )


# Invoicing run -------------------------------------------------------------------------------


class RunView(StaffPermissionMixin, View):
    """Choose a date, see what the run would draft, launch it, and read what it did."""

    permission_required = "billing.add_invoice"

    def _render(self, request, form, *, report=None):
        pending = []
        if form.is_valid():
            pending = services.pending_periods(as_of=form.cleaned_data["as_of"])
        return render(
            request,
            "billing/run.html",
            {
                "form": form,
                "pending": pending[:PREVIEW_LIMIT],
                "pending_count": len(pending),
                "prorated_count": sum(1 for p in pending if p.prorated),
                "members_count": len({p.subscription.member_id for p in pending}),
                "limit": PREVIEW_LIMIT,
                "report": report,
                "drafts": Invoice.objects.filter(
                    status=Invoice.Status.DRAFT, kind=Invoice.Kind.INVOICE
                ).count(),
            },
        )

    def get(self, request):
        data = request.GET if "as_of" in request.GET else {"as_of": today().isoformat()}
        return self._render(request, RunForm(data))

    def post(self, request):
        form = RunForm(request.POST)
        report = None
        if form.is_valid():
            report = services.run_invoicing(
                as_of=form.cleaned_data["as_of"], issued_by=request.user
            )
        return self._render(request, form, report=report)


# Payments import -----------------------------------------------------------------------------


class PaymentImportView(StaffPermissionMixin, View):
    permission_required = "billing.add_payment"

    def get(self, request):
        return render(request, "billing/payment_import.html", {"form": PaymentImportForm()})

    def post(self, request):
        form = PaymentImportForm(request.POST, request.FILES)
        report = None
        if form.is_valid():
            report = services.import_payments(
                content=form.cleaned_data["file"].read(), entered_by=request.user
            )
            if report.ok:
                messages.success(
                    request,
                    _("%(count)s paiement(s) importé(s).") % {"count": len(report.payments)},
                )
        return render(request, "billing/payment_import.html", {"form": form, "report": report})


# Overdue -------------------------------------------------------------------------------------


class OverdueListView(StaffPermissionMixin, View):
    """Issued invoices past their due date and not settled, oldest first (the same rows as
    ``services.overdue_invoices``), with the figures a reminder would claim today."""

    permission_required = "billing.view_payment"

    def get(self, request):
        day = today()
        invoices = (
            Invoice.objects.visible_to(request.user)
            .overdue(day)
            .select_related("member")
            .order_by("due_date", "number")
        )
        page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
        # The last reminder of the page's invoices only: an annotation on the whole list
        # would group every late invoice just to count them.
        last = dict(
            Reminder.objects.filter(invoice__in=[invoice.pk for invoice in page])
            .values("invoice")
            .annotate(last=Max("sent_on"))
            .values_list("invoice", "last")
        )
        rows = [
            (invoice, services.reminder_figures(invoice=invoice, as_of=day), last.get(invoice.pk))
            for invoice in page
        ]
        return render(
            request,
            "billing/overdue.html",
            {
                "page": page,
                "rows": rows,
                "today": day,
                "total_due": invoices.aggregate(
                    total=Sum(F("total_incl_vat") - F("amount_paid") - F("amount_credited"))
                )["total"],
                "reminder_form": ReminderForm(initial={"kind": "letter"}),
            },
        )


# Exports -------------------------------------------------------------------------------------

EXPORT_FORMATS = {"chorus", "csv", "lignes", "xlsx"}


class ExportView(StaffPermissionMixin, View):
    permission_required = "billing.view_payment"

    def get(self, request):
        form = YearForm(request.GET or None)
        kind = request.GET.get("format", "")
        if kind not in EXPORT_FORMATS or not form.is_bound:
            counts = (
                Invoice.objects.visible_to(request.user)
                .issued()
                .values("year")
                .annotate(n=Count("pk"))
                .order_by("-year")
            )
            return render(request, "billing/exports.html", {"form": form, "counts": counts})
        if not form.is_valid():
            return render(request, "billing/exports.html", {"form": form, "counts": []})
        year = form.cleaned_data["year"]
        invoices = (
            Invoice.objects.visible_to(request.user)
            .issued()
            .filter(year=year)
            .select_related("member", "credited_invoice")
            .prefetch_related("lines")
            .order_by("kind", "number")
        )
        if kind == "chorus":
            return _attachment(
                exports.chorus_zip(invoices), f"factures-{year}-chorus.zip", "application/zip"
            )
        if kind == "xlsx":
            return _attachment(
                exports.invoices_xlsx(invoices),
                f"factures-{year}.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        lines = kind == "lignes"
        name = f"lignes-{year}.csv" if lines else f"factures-{year}.csv"
        return _attachment(
            exports.invoices_csv(invoices, lines=lines).encode("utf-8-sig"),
            name,
            "text/csv; charset=utf-8",
        )


# Dashboard -----------------------------------------------------------------------------------


class DashboardView(StaffPermissionMixin, View):
    permission_required = "billing.view_payment"

    def get(self, request):
        form = YearForm(request.GET or None)
        year = form.selected_year()
        dashboard = reports.dashboard(request.user, year=year, today=today())
        return render(
            request,
            "billing/dashboard.html",
            {
                "form": form,
                "dashboard": dashboard,
                "csv_url": reverse("billing:dashboard-csv") + f"?year={year}",
            },
        )


class DashboardCsvView(StaffPermissionMixin, View):
    permission_required = "billing.view_payment"

    def get(self, request):
        form = YearForm(request.GET or None)
        year = form.selected_year()
        dashboard = reports.dashboard(request.user, year=year, today=today())
        return _attachment(
            reports.dashboard_csv(dashboard).encode("utf-8-sig"),
            f"facturation-{year}.csv",
            "text/csv; charset=utf-8",
        )


# Panels --------------------------------------------------------------------------------------


def member_invoices_panel(request, member):
    """The member's invoices on the staff member page (slot "staff_member_detail")."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("billing.view_invoice"):
        return None
    invoices = list(
        Invoice.objects.visible_to(user)
        .filter(member=member)
        .select_related("credited_invoice")
        .order_by("-year", "-number", "-pk")[:PANEL_LIMIT]
    )
    return {"invoices": invoices, "panel_member": member, "today": today()}
