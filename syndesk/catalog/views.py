"""Staff pages of the catalogue (software, offers, deliberations and their tariff grids) and
the public tariff page. Catalogue data is not member data: staff see all of it, with what
their role allows; the public sees the grids of enforceable deliberations only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Lower
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET

from syndesk.core.audit import history_of
from syndesk.core.listing import filtered_page
from syndesk.core.money import cents, vat_amount
from syndesk.core.permissions import StaffPermissionMixin

from . import rules, services
from .filters import DeliberationFilterSet, OfferFilterSet, SoftwareFilterSet
from .forms import (
    DeliberationForm,
    OfferForm,
    PriceSimulationForm,
    SoftwareForm,
    SoftwareVersionForm,
    TariffGridForm,
    bracket_formset,
    prerequisite_formset,
)
from .models import Deliberation, Offer, Software, SoftwareVersion, TariffGrid

PAGE_SIZE = 25


def _today():
    return timezone.localdate()


def _grids_prefetch(queryset=None) -> Prefetch:
    """An offer's grids with their deliberation and brackets: three queries for any number
    of offers."""
    grids = (queryset if queryset is not None else TariffGrid.objects.all()).select_related(
        "deliberation"
    )
    return Prefetch("grids", queryset=grids.prefetch_related("brackets"))


# Software ------------------------------------------------------------------------------


class SoftwareListView(StaffPermissionMixin, View):
    permission_required = "catalog.view_software"

    def get(self, request):
        latest = SoftwareVersion.objects.filter(software=OuterRef("pk")).order_by(
            F("release_date").desc(nulls_last=True), "-pk"
        )
        queryset = Software.objects.annotate(
            version_count=Count("versions", distinct=True),
            latest_version=Subquery(latest.values("number")[:1]),
        ).order_by(Lower("name"), "pk")
        context = filtered_page(
            request, SoftwareFilterSet(request.GET, queryset=queryset), PAGE_SIZE
        )
        if request.htmx:
            return render(request, "catalog/software_list.html#results", context)
        return render(request, "catalog/software_list.html", context)


class SoftwareDetailView(StaffPermissionMixin, View):
    permission_required = "catalog.view_software"

    def get(self, request, pk):
        software = get_object_or_404(Software, pk=pk)
        versions = software.versions.prefetch_related("prerequisites").order_by(
            F("release_date").desc(nulls_last=True), "-pk"
        )
        return render(
            request,
            "catalog/software_detail.html",
            {
                "software": software,
                "versions": versions,
                "offers": software.offers.all(),
                "today": _today(),
                "history": history_of(software)[:30],
            },
        )


class SoftwareFormView(StaffPermissionMixin, View):
    """Create (no pk) or edit a software."""

    def get_permission_required(self):
        return ["catalog.change_software" if "pk" in self.kwargs else "catalog.add_software"]

    def _render(self, request, form):
        return render(request, "catalog/software_form.html", {"form": form})

    def get(self, request, pk=None):
        instance = get_object_or_404(Software, pk=pk) if pk else None
        return self._render(request, SoftwareForm(instance=instance))

    def post(self, request, pk=None):
        instance = get_object_or_404(Software, pk=pk) if pk else None
        form = SoftwareForm(request.POST, instance=instance)
        if not form.is_valid():
            return self._render(request, form)
        software = services.save_software(form=form, saved_by=request.user)
        messages.success(request, _("Logiciel « %(name)s » enregistré.") % {"name": software})
        return redirect("catalog:software-detail", pk=software.pk)


class VersionFormView(StaffPermissionMixin, View):
    """Add or edit a version of a software with its prerequisites (one formset)."""

    def get_permission_required(self):
        if "version" in self.kwargs:
            return [
                "catalog.change_softwareversion",
                "catalog.add_prerequisite",
                "catalog.change_prerequisite",
            ]
        return ["catalog.add_softwareversion", "catalog.add_prerequisite"]

    def _objects(self, pk, version):
        software = get_object_or_404(Software, pk=pk)
        if version:
            instance = get_object_or_404(SoftwareVersion, software=software, pk=version)
        else:
            instance = SoftwareVersion(software=software)
        return software, instance

    def _formset_class(self, request):
        return prerequisite_formset(can_delete=request.user.has_perm("catalog.delete_prerequisite"))

    def _render(self, request, software, form, formset):
        return render(
            request,
            "catalog/version_form.html",
            {"software": software, "form": form, "formset": formset},
        )

    def get(self, request, pk, version=None):
        software, instance = self._objects(pk, version)
        form = SoftwareVersionForm(instance=instance)
        formset = self._formset_class(request)(instance=instance, prefix="prerequisites")
        return self._render(request, software, form, formset)

    def post(self, request, pk, version=None):
        software, instance = self._objects(pk, version)
        form = SoftwareVersionForm(request.POST, instance=instance)
        formset = self._formset_class(request)(
            request.POST, instance=instance, prefix="prerequisites"
        )
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if not (form_ok and formset_ok):
            return self._render(request, software, form, formset)
        saved = services.save_version(form=form, prerequisites=formset, saved_by=request.user)
        messages.success(request, _("Version %(number)s enregistrée.") % {"number": saved.number})
        return redirect("catalog:software-detail", pk=software.pk)


# Offers ------------------------------------------------------------------------------


class OfferListView(StaffPermissionMixin, View):
    permission_required = "catalog.view_offer"

    def get(self, request):
        queryset = Offer.objects.select_related("software").prefetch_related(_grids_prefetch())
        context = filtered_page(request, OfferFilterSet(request.GET, queryset=queryset), 50)
        today = _today()
        context["rows"] = [
            (offer, services.tariff_timeline(offer.grids.all(), on=today))
            for offer in context["page"]
        ]
        if request.htmx:
            return render(request, "catalog/offer_list.html#results", context)
        return render(request, "catalog/offer_list.html", context)


class OfferDetailView(StaffPermissionMixin, View):
    """An offer with its grids in force, upcoming and past, and the price simulator (a GET
    form: with htmx only the result is swapped in)."""

    permission_required = "catalog.view_offer"

    def get(self, request, pk):
        offer = get_object_or_404(
            Offer.objects.select_related("software").prefetch_related(_grids_prefetch()), pk=pk
        )
        simulating = "member" in request.GET or "on" in request.GET
        form = PriceSimulationForm(request.GET if simulating else None, user=request.user)
        context = {
            "offer": offer,
            "form": form,
            "simulation": self._simulate(offer, form) if simulating else None,
        }
        if request.htmx and simulating:
            return render(request, "catalog/offer_detail.html#simulation", context)
        today = _today()
        context.update(
            timeline=services.tariff_timeline(offer.grids.all(), on=today),
            today=today,
            history=history_of(offer)[:30],
        )
        return render(request, "catalog/offer_detail.html", context)

    @staticmethod
    def _simulate(offer, form) -> dict | None:
        if not form.is_valid():
            return None
        member, on = form.cleaned_data["member"], form.cleaned_data["on"]
        try:
            price = services.price_for(offer, member, on)
        except services.NoTariff as exc:
            return {"member": member, "on": on, "error": exc.message}
        vat = vat_amount(price.amount, offer.vat_rate)
        return {
            "member": member,
            "on": on,
            "price": price,
            "vat": vat,
            "total": cents(price.amount + vat),
        }


class OfferFormView(StaffPermissionMixin, View):
    def get_permission_required(self):
        return ["catalog.change_offer" if "pk" in self.kwargs else "catalog.add_offer"]

    def _render(self, request, form):
        return render(request, "catalog/offer_form.html", {"form": form})

    def get(self, request, pk=None):
        instance = get_object_or_404(Offer, pk=pk) if pk else None
        initial = {} if pk else {"software": request.GET.get("logiciel")}
        return self._render(request, OfferForm(instance=instance, initial=initial))

    def post(self, request, pk=None):
        instance = get_object_or_404(Offer, pk=pk) if pk else None
        form = OfferForm(request.POST, instance=instance)
        if not form.is_valid():
            return self._render(request, form)
        offer = services.save_offer(form=form, saved_by=request.user)
        messages.success(request, _("Offre « %(name)s » enregistrée.") % {"name": offer.name})
        return redirect("catalog:offer-detail", pk=offer.pk)


# Deliberations and tariff grids --------------------------------------------------------


class DeliberationListView(StaffPermissionMixin, View):
    permission_required = "catalog.view_deliberation"

    def get(self, request):
        queryset = Deliberation.objects.annotate(grid_count=Count("grids")).order_by("-date", "-pk")
        context = filtered_page(
            request, DeliberationFilterSet(request.GET, queryset=queryset), PAGE_SIZE
        )
        context["today"] = _today()
        if request.htmx:
            return render(request, "catalog/deliberation_list.html#results", context)
        return render(request, "catalog/deliberation_list.html", context)


class DeliberationDetailView(StaffPermissionMixin, View):
    permission_required = "catalog.view_deliberation"

    def get(self, request, pk):
        deliberation = get_object_or_404(Deliberation, pk=pk)
        today = _today()
        grids = list(
            deliberation.grids.select_related("offer", "offer__software", "deliberation")
            .prefetch_related("brackets")
            .order_by("offer__position", "offer__name", "effective_from")
        )
        for grid in grids:
            grid.is_applied = services.grid_applies(grid, today)
        return render(
            request,
            "catalog/deliberation_detail.html",
            {
                "deliberation": deliberation,
                "grids": grids,
                "today": today,
                "history": history_of(deliberation)[:30],
            },
        )


class DeliberationFormView(StaffPermissionMixin, View):
    def get_permission_required(self):
        if "pk" in self.kwargs:
            return ["catalog.change_deliberation"]
        return ["catalog.add_deliberation"]

    def _render(self, request, form):
        return render(request, "catalog/deliberation_form.html", {"form": form})

    def get(self, request, pk=None):
        instance = get_object_or_404(Deliberation, pk=pk) if pk else None
        return self._render(request, DeliberationForm(instance=instance))

    def post(self, request, pk=None):
        instance = get_object_or_404(Deliberation, pk=pk) if pk else None
        form = DeliberationForm(request.POST, request.FILES, instance=instance)
        if not form.is_valid():
            return self._render(request, form)
        deliberation = services.save_deliberation(form=form, saved_by=request.user)
        messages.success(request, _("Délibération %(name)s enregistrée.") % {"name": deliberation})
        return redirect("catalog:deliberation-detail", pk=deliberation.pk)


def _report_grid_errors(exc: ValidationError, form, formset) -> None:
    """Put save_tariff_grid's refusal back where the user typed: fields of the grid, or the
    bracket table for problems of the set of brackets."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.error_dict.items():
        messages_ = [message for error in errors for message in error.messages]
        if name == "brackets":
            formset.add_error(messages_)
        else:
            form.add_error(name if name in form.fields else None, messages_)


class TariffGridFormView(StaffPermissionMixin, View):
    """Record (or, until it applies, correct) the grid a deliberation sets for an offer."""

    def get_permission_required(self):
        if "grid" in self.kwargs:
            return ["catalog.change_tariffgrid", "catalog.change_tariffbracket"]
        return ["catalog.add_tariffgrid", "catalog.add_tariffbracket"]

    def _objects(self, pk, grid):
        deliberation = get_object_or_404(Deliberation, pk=pk)
        if grid:
            instance = get_object_or_404(
                TariffGrid.objects.select_related("deliberation"),
                deliberation=deliberation,
                pk=grid,
            )
        else:
            instance = TariffGrid(deliberation=deliberation)
        return deliberation, instance

    def _render(self, request, deliberation, form, formset):
        return render(
            request,
            "catalog/grid_form.html",
            {"deliberation": deliberation, "form": form, "formset": formset},
        )

    def _refuse_applied(self, request, deliberation, instance):
        if instance.pk and services.grid_applies(instance, _today()):
            messages.error(
                request,
                _(
                    "Cette grille s'applique déjà : elle ne peut plus être modifiée. Une "
                    "nouvelle délibération doit fixer une nouvelle grille."
                ),
            )
            return redirect("catalog:deliberation-detail", pk=deliberation.pk)
        return None

    def get(self, request, pk, grid=None):
        deliberation, instance = self._objects(pk, grid)
        refused = self._refuse_applied(request, deliberation, instance)
        if refused:
            return refused
        initial = {}
        if not instance.pk:
            initial = {"offer": request.GET.get("offre"), "method": rules.BRACKET}
        form = TariffGridForm(instance=instance, initial=initial)
        return self._render(request, deliberation, form, bracket_formset(grid=instance))

    def post(self, request, pk, grid=None):
        deliberation, instance = self._objects(pk, grid)
        refused = self._refuse_applied(request, deliberation, instance)
        if refused:
            return refused
        form = TariffGridForm(request.POST, instance=instance)
        formset = bracket_formset(request.POST, grid=instance)
        # The bracket rows matter (and are checked) only for a grid by population bracket.
        uses_brackets = request.POST.get("method") == rules.BRACKET
        formset_ok = formset.is_valid() if uses_brackets else True
        if form.is_valid() and formset_ok:
            try:
                saved = services.save_tariff_grid(
                    grid=form.save(commit=False),
                    brackets=formset.brackets() if uses_brackets else [],
                    saved_by=request.user,
                )
            except ValidationError as exc:
                _report_grid_errors(exc, form, formset)
            else:
                messages.success(
                    request,
                    _("Grille de « %(offer)s » applicable à partir du %(date)s enregistrée.")
                    % {
                        "offer": saved.offer.name,
                        "date": date_format(saved.effective_from),
                    },
                )
                return redirect("catalog:deliberation-detail", pk=deliberation.pk)
        return self._render(request, deliberation, form, formset)


# Public ---------------------------------------------------------------------------------


@require_GET
def public_tariffs(request):
    """The tariffs in force and those already decided, with the deliberation behind each.
    Grids of deliberations not yet enforceable are not public yet: they are not loaded."""
    today = _today()
    enforceable = TariffGrid.objects.filter(deliberation__enforceable_on__lte=today)
    offers = (
        Offer.objects.filter(is_active=True)
        .select_related("software")
        .prefetch_related(_grids_prefetch(enforceable))
    )
    rows = []
    for offer in offers:
        timeline = services.tariff_timeline(offer.grids.all(), on=today)
        rows.append((offer, timeline.current, timeline.upcoming_enforceable))
    return render(request, "catalog/public_tariffs.html", {"rows": rows, "today": today})


@require_GET
def deliberation_document(request, pk):
    """The deliberation's PDF: public once enforceable (it is published), staff before."""
    deliberation = get_object_or_404(Deliberation, pk=pk)
    if not deliberation.document:
        raise Http404
    staff = request.user.is_staff and request.user.has_perm("catalog.view_deliberation")
    if deliberation.enforceable_on > _today() and not staff:
        raise Http404
    try:
        handle = deliberation.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        content_type="application/pdf",
        filename=f"deliberation-{slugify(deliberation.number)}.pdf",
    )
