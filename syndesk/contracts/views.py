"""Pages of the ordering chain: the staff pipeline (request → quote → order → subscription →
termination) and the member's contract page in the portal.

Views stay thin: load the object through `get_visible_or_404`, validate a form, call one
service, redirect. A service's refusal (ValidationError) is shown on the form it came from.
"""

import os
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View

from syndesk.core.audit import history_of
from syndesk.core.formats import long_date
from syndesk.core.permissions import MemberUserMixin, StaffPermissionMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.members.models import Member
from syndesk.members.portal import active_member

from . import documents, rules, services
from .forms import (
    AcceptOrderForm,
    NeedRequestForm,
    PurchaseOrderCompleteForm,
    PurchaseOrderForm,
    QuoteCreateForm,
    QuoteLineAddForm,
    QuoteLineForm,
    QuoteSendForm,
    QuoteSignForm,
    SubscriptionForm,
    TerminationForm,
    TerminationSimulationForm,
    WithdrawTerminationForm,
    apply_service_error,
)
from .models import NeedRequest, PurchaseOrder, Quote, QuoteLine, Subscription, Termination

PIPELINE_LIMIT = 100
PANEL_LIMIT = 20
UPCOMING_DAYS = 90


def today() -> date:
    return timezone.localdate()


# Wording of the contract's arithmetic -----------------------------------------------------


def termination_sentence(
    explanation: rules.TerminationExplanation, *, with_receipt: bool = True
) -> str:
    """The staff's reading of a termination: each step of termination_last_day()."""
    steps = {
        "received": long_date(explanation.received),
        "notice": long_date(explanation.notice_start),
        "last": long_date(explanation.last_day),
    }
    if with_receipt:
        text = (
            _(
                "Lettre reçue le %(received)s ; préavis de deux mois à compter du %(notice)s ; "
                "dernier jour de service le %(last)s"
            )
            % steps
        )
    else:
        text = (
            _("préavis de deux mois à compter du %(notice)s ; dernier jour de service le %(last)s")
            % steps
        )
    if explanation.floored_by_minimum_term:
        text += " " + _("(la première année d'engagement court jusqu'au %(end)s)") % {
            "end": long_date(explanation.minimum_term_end)
        }
    return text


def portal_termination_sentence(explanation: rules.TerminationExplanation) -> str:
    """What the member reads: if the letter arrived on `received`, when service would end."""
    text = _(
        "Si votre lettre de résiliation nous parvenait aujourd'hui, le service prendrait fin "
        "le %(last)s (préavis de deux mois à compter du %(notice)s)"
    ) % {
        "last": long_date(explanation.last_day),
        "notice": long_date(explanation.notice_start),
    }
    if explanation.floored_by_minimum_term:
        text += " " + _("; la première année d'engagement court jusqu'au %(end)s") % {
            "end": long_date(explanation.minimum_term_end)
        }
    return text + "."


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _file_response(field) -> FileResponse:
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(field.name))


# Pipeline ---------------------------------------------------------------------------------


class PipelineView(StaffPermissionMixin, View):
    permission_required = "contracts.view_quote"

    def get(self, request):
        user, day = request.user, today()
        open_requests = (
            NeedRequest.objects.visible_to(user)
            .filter(status=NeedRequest.Status.OPEN)
            .select_related("member")
            .order_by("received_on", "pk")
        )
        quotes = (
            Quote.objects.visible_to(user)
            .filter(status__in=[Quote.Status.DRAFT, Quote.Status.SENT])
            .select_related("member")
            .prefetch_related("lines")
            .order_by("valid_until", "pk")
        )
        orders = (
            PurchaseOrder.objects.visible_to(user)
            .filter(status=PurchaseOrder.Status.RECEIVED)
            .select_related("member", "quote")
            .order_by("received_on", "pk")
        )
        return render(
            request,
            "contracts/pipeline.html",
            {
                "today": day,
                "requests": open_requests[:PIPELINE_LIMIT],
                "quotes": quotes[:PIPELINE_LIMIT],
                "orders": [
                    (order, services.missing_for_acceptance(order))
                    for order in orders[:PIPELINE_LIMIT]
                ],
                "limit": PIPELINE_LIMIT,
                "upcoming": services.upcoming(today=day, days=UPCOMING_DAYS),
                "horizon": day + timedelta(days=UPCOMING_DAYS),
            },
        )


# Requests ---------------------------------------------------------------------------------


class RequestCreateView(StaffPermissionMixin, View):
    permission_required = "contracts.add_needrequest"

    def get(self, request):
        initial = {}
        if request.GET.get("member", "").isdigit():
            initial["member"] = request.GET["member"]
        form = NeedRequestForm(user=request.user, initial=initial)
        return render(request, "contracts/request_form.html", {"form": form})

    def post(self, request):
        form = NeedRequestForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = services.record_request(
                    member=data["member"],
                    received_on=data["received_on"],
                    channel=data["channel"],
                    summary=data["summary"],
                    details=data["details"],
                    offers=list(data["offers"]),
                    created_by=request.user,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Demande enregistrée."))
                return redirect("contracts:request-detail", pk=need.pk)
        return render(request, "contracts/request_form.html", {"form": form})


class RequestDetailView(StaffPermissionMixin, View):
    permission_required = "contracts.view_needrequest"

    def get(self, request, pk):
        need = get_visible_or_404(
            NeedRequest.objects.select_related("member", "created_by"), request.user, pk=pk
        )
        return render(
            request,
            "contracts/request_detail.html",
            {
                "need": need,
                "offers": need.offers.all(),
                "quotes": Quote.objects.visible_to(request.user).filter(request=need),
                "history": history_of(need)[:50],
            },
        )


class RequestCloseView(StaffPermissionMixin, View):
    permission_required = "contracts.change_needrequest"

    def post(self, request, pk):
        need = get_visible_or_404(NeedRequest.objects, request.user, pk=pk)
        if need.status != NeedRequest.Status.OPEN:
            messages.error(request, _("Cette demande n'est plus à traiter."))
        else:
            services.close_request(request=need, closed_by=request.user)
            messages.success(request, _("Demande classée sans suite."))
        return redirect("contracts:request-detail", pk=need.pk)


# Quotes -----------------------------------------------------------------------------------


class QuoteCreateView(StaffPermissionMixin, View):
    """A quote from a request (?demande=) or for a member (?adherent=), or pick the member."""

    permission_required = "contracts.add_quote"

    def _origin(self, request):
        need = member = None
        if request.GET.get("demande", "").isdigit():
            need = get_visible_or_404(
                NeedRequest.objects.select_related("member"),
                request.user,
                pk=request.GET["demande"],
            )
            member = need.member
        elif request.GET.get("adherent", "").isdigit():
            member = get_visible_or_404(Member.objects, request.user, pk=request.GET["adherent"])
        return need, member

    def _render(self, request, form, need, member):
        return render(
            request,
            "contracts/quote_form.html",
            {"form": form, "need": need, "member": member, "query": request.GET.urlencode()},
        )

    def get(self, request):
        need, member = self._origin(request)
        initial = {"offers": list(need.offers.all())} if need else {}
        form = QuoteCreateForm(user=request.user, member=member, initial=initial)
        return self._render(request, form, need, member)

    def post(self, request):
        need, member = self._origin(request)
        form = QuoteCreateForm(request.POST, user=request.user, member=member)
        if form.is_valid():
            data = form.cleaned_data
            try:
                quote = services.create_quote(
                    member=member or data["member"],
                    quote_date=data["quote_date"],
                    offers=list(data["offers"]),
                    notes=data["notes"],
                    request=need,
                    created_by=request.user,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request, _("Devis %(number)s établi (brouillon).") % {"number": quote.number}
                )
                return redirect("contracts:quote-detail", pk=quote.pk)
        return self._render(request, form, need, member)


def _quote_queryset():
    lines = QuoteLine.objects.select_related("offer", "grid__deliberation")
    return Quote.objects.select_related("member", "request", "replaces").prefetch_related(
        Prefetch("lines", queryset=lines)
    )


def _line_form(line: QuoteLine, data=None) -> QuoteLineForm:
    return QuoteLineForm(
        data,
        prefix=f"ligne-{line.pk}",
        initial={
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "override_reason": line.override_reason,
        },
    )


def quote_detail_response(request, quote: Quote, *, forms=None, line_form=None, expired=False):
    """The quote page; action views re-render it with the bound form that was refused."""
    forms = forms or {}
    day = today()
    lines = list(quote.lines.all())  # prefetched: the totals reuse them
    refused_prefix = line_form.prefix if line_form is not None else None
    line_rows = [
        (line, line_form if refused_prefix == f"ligne-{line.pk}" else _line_form(line))
        for line in lines
    ]
    is_open = quote.status in (Quote.Status.DRAFT, Quote.Status.SENT, Quote.Status.EXPIRED)
    past_validity = day > quote.valid_until
    replaced_by = list(quote.replaced_by.all())
    add_form = forms.get("add") or QuoteLineAddForm(quote=quote)
    context = {
        "quote": quote,
        "line_rows": line_rows,
        "today": day,
        "past_validity": past_validity and is_open,
        "can_reissue": is_open
        and not replaced_by
        and (past_validity or quote.status == Quote.Status.EXPIRED),
        "expired_signature": expired,
        "vat_mentions": sorted({line.vat_mention for line in lines if line.vat_mention}),
        "order": PurchaseOrder.objects.filter(quote=quote).first(),
        "replaced_by": replaced_by,
        "history": history_of(quote)[:50],
        "add_form": add_form,
        "can_add_line": forms.get("add") is not None
        or (quote.status == Quote.Status.DRAFT and add_form.fields["offer"].queryset.exists()),
        "send_form": forms.get("send") or QuoteSendForm(),
        "sign_form": forms.get("sign") or QuoteSignForm(),
        "action_errors": forms.get("errors", []),
    }
    return render(request, "contracts/quote_detail.html", context)


class QuoteDetailView(StaffPermissionMixin, View):
    permission_required = "contracts.view_quote"

    def get(self, request, pk):
        quote = get_visible_or_404(_quote_queryset(), request.user, pk=pk)
        return quote_detail_response(request, quote)


class _QuoteActionView(StaffPermissionMixin, View):
    permission_required = "contracts.change_quote"

    def get_quote(self, request, pk) -> Quote:
        return get_visible_or_404(_quote_queryset(), request.user, pk=pk)

    def done(self, quote, message):
        messages.success(self.request, message)
        return redirect("contracts:quote-detail", pk=quote.pk)


class QuoteLineChangeView(_QuoteActionView):
    def post(self, request, pk, line):
        quote = self.get_quote(request, pk)
        instance = _quote_line_or_404(quote, line)
        form = _line_form(instance, request.POST)
        if form.is_valid():
            try:
                services.change_quote_line(
                    line=instance, changed_by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return self.done(quote, _("Ligne « %(label)s » modifiée.") % {"label": instance})
        return quote_detail_response(request, quote, line_form=form)


def _quote_line_or_404(quote: Quote, line_pk: int) -> QuoteLine:
    # The quote was loaded through visible_to(); its lines are reached through it only.
    try:
        return quote.lines.select_related("quote", "offer").get(pk=line_pk)
    except QuoteLine.DoesNotExist as exc:
        raise Http404 from exc


class QuoteLineAddView(_QuoteActionView):
    def post(self, request, pk):
        quote = self.get_quote(request, pk)
        form = QuoteLineAddForm(request.POST, quote=quote)
        if form.is_valid():
            try:
                line = services.add_quote_line(
                    quote=quote, offer=form.cleaned_data["offer"], added_by=request.user
                )
            except ValidationError as exc:
                apply_service_error(form, exc, aliases={"offers": "offer"})
            else:
                return self.done(quote, _("Ligne « %(label)s » ajoutée.") % {"label": line})
        return quote_detail_response(request, quote, forms={"add": form})


class QuoteLineRemoveView(_QuoteActionView):
    def post(self, request, pk, line):
        quote = self.get_quote(request, pk)
        instance = _quote_line_or_404(quote, line)
        try:
            services.remove_quote_line(line=instance, removed_by=request.user)
        except ValidationError as exc:
            return quote_detail_response(request, quote, forms={"errors": exc.messages})
        return self.done(quote, _("Ligne « %(label)s » retirée.") % {"label": instance})


class QuoteSendView(_QuoteActionView):
    def post(self, request, pk):
        quote = self.get_quote(request, pk)
        form = QuoteSendForm(request.POST)
        if form.is_valid():
            try:
                services.send_quote(
                    quote=quote, sent_on=form.cleaned_data["sent_on"], sent_by=request.user
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return self.done(quote, _("Devis %(number)s envoyé.") % {"number": quote.number})
        return quote_detail_response(request, quote, forms={"send": form})


class QuoteSignView(_QuoteActionView):
    def post(self, request, pk):
        quote = self.get_quote(request, pk)
        form = QuoteSignForm(request.POST)
        expired = False
        if form.is_valid():
            try:
                services.sign_quote(
                    quote=quote,
                    signed_on=form.cleaned_data["signed_on"],
                    recorded_by=request.user,
                )
            except services.QuoteExpired as exc:
                expired = True
                apply_service_error(form, exc)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return self.done(
                    quote,
                    _("Signature du devis %(number)s enregistrée.") % {"number": quote.number},
                )
        return quote_detail_response(request, quote, forms={"sign": form}, expired=expired)


class QuoteRefuseView(_QuoteActionView):
    def post(self, request, pk):
        quote = self.get_quote(request, pk)
        try:
            services.refuse_quote(quote=quote, recorded_by=request.user)
        except ValidationError as exc:
            return quote_detail_response(request, quote, forms={"errors": exc.messages})
        return self.done(
            quote, _("Devis %(number)s refusé par l'adhérent.") % {"number": quote.number}
        )


class QuoteReissueView(_QuoteActionView):
    permission_required = ["contracts.add_quote", "contracts.change_quote"]

    def post(self, request, pk):
        quote = self.get_quote(request, pk)
        try:
            new = services.reissue_quote(quote=quote, quote_date=today(), created_by=request.user)
        except ValidationError as exc:
            return quote_detail_response(request, quote, forms={"errors": exc.messages})
        messages.success(
            request,
            _("Devis %(new)s émis le %(date)s ; il remplace le devis %(old)s.")
            % {"new": new.number, "date": long_date(new.date), "old": quote.number},
        )
        return redirect("contracts:quote-detail", pk=new.pk)


class QuotePdfView(StaffPermissionMixin, View):
    permission_required = "contracts.view_quote"

    def get(self, request, pk):
        quote = get_visible_or_404(_quote_queryset(), request.user, pk=pk)
        return _pdf_response(documents.quote_pdf(quote), f"{quote.number}.pdf")


class QuoteAnnexPdfView(StaffPermissionMixin, View):
    permission_required = "contracts.view_quote"

    def get(self, request, pk):
        quote = get_visible_or_404(_quote_queryset(), request.user, pk=pk)
        content = documents.annex_pdf(quote.member, quote=quote)
        return _pdf_response(content, f"annexe-{quote.number}.pdf")


class MemberAnnexPdfView(StaffPermissionMixin, View):
    permission_required = "contracts.view_quote"

    def get(self, request, pk):
        member = get_visible_or_404(Member.objects, request.user, pk=pk)
        content = documents.annex_pdf(member)
        return _pdf_response(content, f"annexe-{slugify(member.name)}.pdf")


# Purchase orders --------------------------------------------------------------------------


def _order_queryset():
    return PurchaseOrder.objects.select_related("member", "quote", "created_by")


def _upload_arguments(data: dict) -> dict:
    return {
        "member_reference": data["member_reference"],
        "commitment_number": data["commitment_number"],
        "chorus_service_code": data["chorus_service_code"],
        "originals_received_on": data["originals_received_on"],
        "signed_quote": data["signed_quote"] or None,
        "signed_annex": data["signed_annex"] or None,
    }


class OrderCreateView(StaffPermissionMixin, View):
    permission_required = "contracts.add_purchaseorder"

    def _render(self, request, quote, form):
        return render(request, "contracts/order_form.html", {"quote": quote, "form": form})

    def get(self, request, pk):
        quote = get_visible_or_404(_quote_queryset(), request.user, pk=pk)
        existing = PurchaseOrder.objects.filter(quote=quote).first()
        if existing is not None:
            return redirect("contracts:order-detail", pk=existing.pk)
        form = PurchaseOrderForm(initial={"chorus_service_code": quote.member.chorus_service_code})
        return self._render(request, quote, form)

    def post(self, request, pk):
        quote = get_visible_or_404(_quote_queryset(), request.user, pk=pk)
        form = PurchaseOrderForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                order = services.record_order(
                    quote=quote,
                    received_on=form.cleaned_data["received_on"],
                    recorded_by=request.user,
                    **_upload_arguments(form.cleaned_data),
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Bon de commande enregistré."))
                return redirect("contracts:order-detail", pk=order.pk)
        return self._render(request, quote, form)


def checklist(order: PurchaseOrder) -> list[tuple[str, bool, str]]:
    """Each document the annex asks for, whether it is there, and a detail."""
    quote = order.quote
    items = [
        (_("Devis signé (fichier)"), bool(order.signed_quote), ""),
        (_("Annexe des conditions particulières signée (fichier)"), bool(order.signed_annex), ""),
        (
            _("Deux originaux papier de l'annexe reçus par courrier"),
            bool(order.originals_received_on),
            _("le %(date)s") % {"date": long_date(order.originals_received_on)}
            if order.originals_received_on
            else "",
        ),
    ]
    if order.member.commitment_number_required:
        items.append(
            (
                _("Numéro d'engagement (obligatoire pour cet adhérent)"),
                bool(order.commitment_number),
                order.commitment_number,
            )
        )
    signed_in_time = bool(
        quote.status == Quote.Status.SIGNED
        and quote.signed_on
        and quote.signed_on <= quote.valid_until
    )
    items.append(
        (
            _("Devis signé pendant sa validité"),
            signed_in_time,
            _("signé le %(signed)s, valable jusqu'au %(until)s")
            % {"signed": long_date(quote.signed_on), "until": long_date(quote.valid_until)}
            if quote.signed_on
            else "",
        )
    )
    return items


def order_detail_response(request, order: PurchaseOrder, *, complete_form=None, accept_form=None):
    subscription = None
    if order.status == PurchaseOrder.Status.ACCEPTED:
        subscription = (
            Subscription.objects.visible_to(request.user)
            .filter(member=order.member, lines__order=order)
            .first()
        )
    return render(
        request,
        "contracts/order_detail.html",
        {
            "order": order,
            "quote": order.quote,
            "checklist": checklist(order),
            "missing": services.missing_for_acceptance(order),
            "complete_form": complete_form or PurchaseOrderCompleteForm(order=order),
            "accept_form": accept_form or AcceptOrderForm(),
            "subscription": subscription,
            "history": history_of(order)[:50],
        },
    )


class OrderDetailView(StaffPermissionMixin, View):
    permission_required = "contracts.view_purchaseorder"

    def get(self, request, pk):
        order = get_visible_or_404(_order_queryset(), request.user, pk=pk)
        return order_detail_response(request, order)


class OrderCompleteView(StaffPermissionMixin, View):
    permission_required = "contracts.change_purchaseorder"

    def post(self, request, pk):
        order = get_visible_or_404(_order_queryset(), request.user, pk=pk)
        form = PurchaseOrderCompleteForm(request.POST, request.FILES, order=order)
        if form.is_valid():
            try:
                services.complete_order(
                    order=order, changed_by=request.user, **_upload_arguments(form.cleaned_data)
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Bon de commande complété."))
                return redirect("contracts:order-detail", pk=order.pk)
        return order_detail_response(request, order, complete_form=form)


class OrderAcceptView(StaffPermissionMixin, View):
    permission_required = ["contracts.change_purchaseorder", "contracts.add_subscription"]

    def post(self, request, pk):
        order = get_visible_or_404(_order_queryset(), request.user, pk=pk)
        form = AcceptOrderForm(request.POST)
        if form.is_valid():
            try:
                subscription = services.accept_order(
                    order=order,
                    accepted_on=form.cleaned_data["accepted_on"],
                    accepted_by=request.user,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request, _("Commande acceptée : l'assistance est ouverte à l'adhérent.")
                )
                return redirect("contracts:subscription-detail", pk=subscription.pk)
        return order_detail_response(request, order, accept_form=form)


ORDER_DOCUMENTS = {"devis-signe": "signed_quote", "annexe-signee": "signed_annex"}


class OrderFileView(StaffPermissionMixin, View):
    """Signed documents are served only through this view, after the visibility check."""

    permission_required = "contracts.view_purchaseorder"

    def get(self, request, pk, document):
        if document not in ORDER_DOCUMENTS:
            raise Http404
        order = get_visible_or_404(PurchaseOrder.objects, request.user, pk=pk)
        return _file_response(getattr(order, ORDER_DOCUMENTS[document]))


# Subscriptions ----------------------------------------------------------------------------


def _subscription_queryset():
    return Subscription.objects.select_related("member").prefetch_related(
        "terminations", "lines__offer", "lines__order__quote", "software"
    )


def entitlement(subscription: Subscription, on: date) -> dict:
    """Whether the member may use the assistance on `on`, as a short status."""
    if services.is_entitled(subscription.member, on):
        last = subscription.last_covered_day()
        if last is None:
            return {"open": True, "label": _("Assistance ouverte")}
        return {
            "open": True,
            "label": _("Assistance ouverte jusqu'au %(date)s") % {"date": long_date(last)},
        }
    if on < subscription.start:
        return {
            "open": False,
            "label": _("Assistance ouverte à partir du %(date)s")
            % {"date": long_date(subscription.start)},
        }
    last = subscription.last_covered_day()
    if last is None:
        return {"open": False, "label": _("Non couvert")}
    return {
        "open": False,
        "label": _("Plus couvert depuis le %(date)s")
        % {"date": long_date(last + timedelta(days=1))},
    }


def _simulation(subscription: Subscription, query) -> tuple[TerminationSimulationForm, str]:
    if "lettre" not in query:
        return TerminationSimulationForm(), ""
    form = TerminationSimulationForm(query)
    if not form.is_valid():
        return form, ""
    received = form.cleaned_data["lettre"]
    if received < subscription.start:
        form.add_error(
            "lettre",
            _("La lettre ne peut arriver avant le début de l'abonnement (%(start)s).")
            % {"start": long_date(subscription.start)},
        )
        return form, ""
    explanation = rules.termination_explanation(subscription.start, received)
    return form, termination_sentence(explanation, with_receipt=False)


def subscription_detail_response(request, subscription, *, forms=None):
    forms = forms or {}
    day = today()
    start = subscription.start
    period = None
    if day >= start:
        n = rules.period_index(start, day)
        period = {
            "number": n + 1,
            "start": rules.period_start(start, n),
            "end": rules.period_end(start, n),
        }
    pending = subscription.pending_termination
    simulation_form, simulation = _simulation(subscription, request.GET)
    terminations = list(subscription.terminations.all())
    return render(
        request,
        "contracts/subscription_detail.html",
        {
            "subscription": subscription,
            "member": subscription.member,
            "today": day,
            "period": period,
            "minimum_term_end": rules.minimum_term_end(start),
            "next_renewal": subscription.next_renewal(day),
            "last_covered": subscription.last_covered_day(),
            "entitlement": entitlement(subscription, day),
            "pending": pending,
            "pending_sentence": termination_sentence(pending.explanation) if pending else "",
            "terminations": [(t, termination_sentence(t.explanation)) for t in terminations],
            "lines": subscription.lines.all(),
            "software": subscription.software.all(),
            "change_form": forms.get("change")
            or SubscriptionForm(
                initial={
                    "renewal": subscription.renewal,
                    "end_date": subscription.end_date,
                    "software": list(subscription.software.all()),
                }
            ),
            "termination_form": forms.get("termination") or TerminationForm(),
            "withdraw_form": forms.get("withdraw") or WithdrawTerminationForm(),
            "simulation_form": simulation_form,
            "simulation": simulation,
            "action_errors": forms.get("errors", []),
            "history": history_of(subscription)[:50],
        },
    )


class SubscriptionDetailView(StaffPermissionMixin, View):
    permission_required = "contracts.view_subscription"

    def get(self, request, pk):
        subscription = get_visible_or_404(_subscription_queryset(), request.user, pk=pk)
        return subscription_detail_response(request, subscription)


class _SubscriptionActionView(StaffPermissionMixin, View):
    permission_required = "contracts.change_subscription"

    def get_subscription(self, request, pk) -> Subscription:
        return get_visible_or_404(_subscription_queryset(), request.user, pk=pk)

    def done(self, subscription, message):
        messages.success(self.request, message)
        return redirect("contracts:subscription-detail", pk=subscription.pk)


class SubscriptionChangeView(_SubscriptionActionView):
    def post(self, request, pk):
        subscription = self.get_subscription(request, pk)
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                services.change_subscription(
                    subscription=subscription,
                    renewal=form.cleaned_data["renewal"],
                    end_date=form.cleaned_data["end_date"],
                    software=list(form.cleaned_data["software"]),
                    changed_by=request.user,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return self.done(subscription, _("Abonnement modifié."))
        subscription = self.get_subscription(request, pk)
        return subscription_detail_response(request, subscription, forms={"change": form})


class SubscriptionRenewView(_SubscriptionActionView):
    def post(self, request, pk):
        subscription = self.get_subscription(request, pk)
        try:
            services.renew_by_decision(subscription=subscription, decided_by=request.user)
        except ValidationError as exc:
            return subscription_detail_response(
                request, subscription, forms={"errors": exc.messages}
            )
        return self.done(subscription, _("Abonnement prolongé d'une année par décision."))


class TerminationRecordView(_SubscriptionActionView):
    permission_required = "contracts.add_termination"

    def post(self, request, pk):
        subscription = self.get_subscription(request, pk)
        form = TerminationForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                termination = services.record_termination(
                    subscription=subscription,
                    received_on=form.cleaned_data["received_on"],
                    letter=form.cleaned_data["letter"],
                    recorded_by=request.user,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return self.done(
                    subscription,
                    _("Résiliation enregistrée. %(explanation)s.")
                    % {"explanation": termination_sentence(termination.explanation)},
                )
        return subscription_detail_response(request, subscription, forms={"termination": form})


def _termination_or_404(subscription: Subscription, pk: int) -> Termination:
    # Reached only through a subscription the user may see.
    for termination in subscription.terminations.all():
        if termination.pk == pk:
            return termination
    raise Http404


class TerminationWithdrawView(_SubscriptionActionView):
    permission_required = "contracts.change_termination"

    def post(self, request, pk, termination):
        subscription = self.get_subscription(request, pk)
        instance = _termination_or_404(subscription, termination)
        form = WithdrawTerminationForm(request.POST)
        if form.is_valid():
            try:
                services.withdraw_termination(
                    termination=instance,
                    withdrawn_on=form.cleaned_data["withdrawn_on"],
                    withdrawn_by=request.user,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return self.done(subscription, _("Résiliation retirée : l'abonnement continue."))
        return subscription_detail_response(request, subscription, forms={"withdraw": form})


class TerminationLetterView(StaffPermissionMixin, View):
    permission_required = "contracts.view_termination"

    def get(self, request, pk, termination):
        subscription = get_visible_or_404(
            Subscription.objects.prefetch_related("terminations"), request.user, pk=pk
        )
        return _file_response(_termination_or_404(subscription, termination).letter)


# Panels on other apps' pages --------------------------------------------------------------


def member_contracts_panel(request, member):
    """The contract history on the staff member page (slot "staff_member_detail")."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("contracts.view_quote"):
        return None
    day = today()
    subscriptions = list(
        Subscription.objects.visible_to(user)
        .filter(member=member)
        .prefetch_related("terminations")[:PANEL_LIMIT]
    )
    return {
        "today": day,
        "requests": list(NeedRequest.objects.visible_to(user).filter(member=member)[:PANEL_LIMIT]),
        "quotes": list(Quote.objects.visible_to(user).filter(member=member)[:PANEL_LIMIT]),
        "orders": list(
            PurchaseOrder.objects.visible_to(user)
            .filter(member=member)
            .select_related("quote", "member")[:PANEL_LIMIT]
        ),
        "subscriptions": [(s, s.next_renewal(day)) for s in subscriptions],
        "panel_member": member,
    }


def portal_contract_panel(request, member):
    """A card on the portal's member page linking to the contract page (slot "portal_member")."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    day = today()
    subscription = (
        Subscription.objects.visible_to(user)
        .for_member(member)
        .exclude(status=Subscription.Status.ENDED)
        .prefetch_related("terminations")
        .first()
    )
    return {
        "subscription": subscription,
        "next_renewal": subscription.next_renewal(day) if subscription else None,
        "awaiting": Quote.objects.visible_to(user)
        .for_member(member)
        .filter(status=Quote.Status.SENT)
        .count(),
    }


# Portal -----------------------------------------------------------------------------------

PORTAL_QUOTE_STATUSES = [
    Quote.Status.SENT,
    Quote.Status.SIGNED,
    Quote.Status.EXPIRED,
    Quote.Status.REFUSED,
]


def _portal_quotes(request, member):
    return (
        Quote.objects.visible_to(request.user)
        .for_member(member)
        .filter(status__in=PORTAL_QUOTE_STATUSES)
    )


class _PortalView(MemberUserMixin, View):
    def member_or_none(self, request):
        return active_member(request)

    def no_member(self, request):
        return render(request, "members/portal_no_member.html", status=403)


class PortalContractView(_PortalView):
    def get(self, request):
        member = self.member_or_none(request)
        if member is None:
            return self.no_member(request)
        day = today()
        subscription = (
            Subscription.objects.visible_to(request.user)
            .for_member(member)
            .exclude(status=Subscription.Status.ENDED)
            .prefetch_related("terminations", "lines__offer", "software")
            .first()
        )
        simulation = pending_sentence = ""
        if subscription is not None:
            pending = subscription.pending_termination
            if pending is not None:
                pending_sentence = _(
                    "Votre lettre de résiliation reçue le %(received)s a été enregistrée : le "
                    "service prendra fin le %(last)s."
                ) % {
                    "received": long_date(pending.received_on),
                    "last": long_date(pending.last_day),
                }
            elif day >= subscription.start:
                simulation = portal_termination_sentence(
                    rules.termination_explanation(subscription.start, day)
                )
        return render(
            request,
            "contracts/portal.html",
            {
                "member": member,
                "today": day,
                "quotes": _portal_quotes(request, member).prefetch_related("lines"),
                "orders": PurchaseOrder.objects.visible_to(request.user)
                .for_member(member)
                .select_related("quote"),
                "subscription": subscription,
                "next_renewal": subscription.next_renewal(day) if subscription else None,
                "last_covered": subscription.last_covered_day() if subscription else None,
                "simulation": simulation,
                "pending_sentence": pending_sentence,
            },
        )


class PortalQuotePdfView(_PortalView):
    def get(self, request, pk):
        member = self.member_or_none(request)
        if member is None:
            raise Http404
        quote = get_visible_or_404(
            _portal_quotes(request, member).select_related("member"), request.user, pk=pk
        )
        return _pdf_response(documents.quote_pdf(quote), f"{quote.number}.pdf")


class PortalQuoteAnnexPdfView(_PortalView):
    def get(self, request, pk):
        member = self.member_or_none(request)
        if member is None:
            raise Http404
        quote = get_visible_or_404(
            _portal_quotes(request, member).select_related("member"), request.user, pk=pk
        )
        content = documents.annex_pdf(quote.member, quote=quote)
        return _pdf_response(content, f"annexe-{quote.number}.pdf")


class PortalAnnexPdfView(_PortalView):
    def get(self, request):
        member = self.member_or_none(request)
        if member is None:
            raise Http404
        member = get_visible_or_404(Member.objects, request.user, pk=member.pk)
        return _pdf_response(documents.annex_pdf(member), f"annexe-{slugify(member.name)}.pdf")
