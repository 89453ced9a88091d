"""Staff pages of the inventory (/gestion/parc/): declarations to review, a member's
inventory with its compliance, workstation and installation forms, the licence reveal
(POST, logged), the compliance and outdated-versions reports, and the imports.

Views stay thin: a scoped fetch (visible_to / get_visible_or_404), a form, one service
call, a redirect. Views that receive a licence key hide it from error reports.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from syndesk.core.audit import history_of
from syndesk.core.forms import apply_service_error
from syndesk.core.permissions import StaffPermissionMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.members.models import Member

from . import rules, services
from .forms import (
    ImportKind,
    InstallationForm,
    InventoryImportForm,
    OutdatedFilterForm,
    OutdatedNotifyForm,
    ReviewForm,
    WorkstationForm,
)
from .licence import HideLicenceMixin
from .models import (
    Declaration,
    DeclarationStatus,
    Installation,
    Workstation,
)

PAGE_SIZE = 25
QUEUE_FILTERS = {
    "a-examiner": [DeclarationStatus.SUBMITTED],
    "precisions": [DeclarationStatus.NEEDS_DETAILS],
    "traitees": [DeclarationStatus.ACCEPTED, DeclarationStatus.REJECTED],
}


class DeclarationQueueView(StaffPermissionMixin, View):
    permission_required = "inventory.view_declaration"

    def get(self, request):
        current = request.GET.get("etat", "a-examiner")
        statuses = QUEUE_FILTERS.get(current, QUEUE_FILTERS["a-examiner"])
        queryset = (
            Declaration.objects.visible_to(request.user)
            .filter(status__in=statuses)
            .select_related("member", "software", "version", "submitted_by")
            .order_by("submitted_at" if current != "traitees" else "-reviewed_at", "pk")
        )
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "inventory/staff/queue.html",
            {"page": page, "current": current, "query": f"etat={current}"},
        )


def _member_or_404(request, pk) -> Member:
    return get_visible_or_404(Member.objects.all(), request.user, pk=pk)


class MemberInventoryView(StaffPermissionMixin, View):
    permission_required = "inventory.view_installation"

    def get(self, request, member):
        member = _member_or_404(request, member)
        workstations = list(
            Workstation.objects.visible_to(request.user)
            .filter(member=member)
            .prefetch_related(
                Prefetch(
                    "installations",
                    queryset=Installation.objects.select_related("software", "version"),
                )
            )
        )
        installations = list(
            Installation.objects.visible_to(request.user)
            .filter(member=member)
            .select_related("software", "version")
            .prefetch_related("workstations")
        )
        services.mark_outdated(installations, today=timezone.localdate())
        declarations = (
            Declaration.objects.visible_to(request.user)
            .filter(member=member)
            .select_related("software", "version")[:20]
        )
        return render(
            request,
            "inventory/staff/member.html",
            {
                "member": member,
                "installations": installations,
                "compliance": services.workstation_compliance(workstations),
                "declarations": declarations,
                "can_reveal": request.user.has_perm("inventory.reveal_licence"),
            },
        )


class WorkstationFormView(StaffPermissionMixin, View):
    def get_permission_required(self):
        return [
            "inventory.change_workstation" if "pk" in self.kwargs else "inventory.add_workstation"
        ]

    def _objects(self, request, member, pk):
        member = _member_or_404(request, member)
        instance = (
            get_visible_or_404(Workstation.objects.filter(member=member), request.user, pk=pk)
            if pk
            else None
        )
        return member, instance

    def _render(self, request, member, form):
        return render(
            request, "inventory/staff/workstation_form.html", {"member": member, "form": form}
        )

    def get(self, request, member, pk=None):
        member, instance = self._objects(request, member, pk)
        return self._render(request, member, WorkstationForm(instance=instance, member=member))

    def post(self, request, member, pk=None):
        member, instance = self._objects(request, member, pk)
        form = WorkstationForm(request.POST, instance=instance, member=member)
        if not form.is_valid():
            return self._render(request, member, form)
        workstation = services.save_workstation(form=form, saved_by=request.user)
        messages.success(request, _("Poste « %(name)s » enregistré.") % {"name": workstation})
        return redirect("inventory:member", member=member.pk)


class WorkstationDeleteView(StaffPermissionMixin, View):
    permission_required = "inventory.delete_workstation"

    def post(self, request, member, pk):
        member = _member_or_404(request, member)
        workstation = get_visible_or_404(
            Workstation.objects.filter(member=member), request.user, pk=pk
        )
        services.delete_workstation(workstation=workstation, deleted_by=request.user)
        messages.success(request, _("Poste « %(name)s » supprimé.") % {"name": workstation})
        return redirect("inventory:member", member=member.pk)


class InstallationFormView(HideLicenceMixin, StaffPermissionMixin, View):
    def get_permission_required(self):
        return [
            "inventory.change_installation" if "pk" in self.kwargs else "inventory.add_installation"
        ]

    def _objects(self, request, member, pk):
        member = _member_or_404(request, member)
        instance = (
            get_visible_or_404(
                Installation.objects.filter(member=member).select_related("software", "version"),
                request.user,
                pk=pk,
            )
            if pk
            else None
        )
        return member, instance

    def _render(self, request, member, form):
        return render(
            request, "inventory/staff/installation_form.html", {"member": member, "form": form}
        )

    def get(self, request, member, pk=None):
        member, instance = self._objects(request, member, pk)
        return self._render(request, member, InstallationForm(instance=instance, member=member))

    @method_decorator(sensitive_variables("form"))
    def post(self, request, member, pk=None):
        member, instance = self._objects(request, member, pk)
        form = InstallationForm(request.POST, instance=instance, member=member)
        if not form.is_valid():
            return self._render(request, member, form)
        installation = services.save_installation(form=form, saved_by=request.user)
        messages.success(request, _("Logiciel « %(name)s » enregistré.") % {"name": installation})
        return redirect("inventory:member", member=member.pk)


class InstallationDeleteView(StaffPermissionMixin, View):
    permission_required = "inventory.delete_installation"

    def post(self, request, member, pk):
        member = _member_or_404(request, member)
        installation = get_visible_or_404(
            Installation.objects.filter(member=member).select_related("software", "version"),
            request.user,
            pk=pk,
        )
        services.delete_installation(installation=installation, deleted_by=request.user)
        messages.success(
            request, _("Logiciel « %(name)s » retiré de l'inventaire.") % {"name": installation}
        )
        return redirect("inventory:member", member=member.pk)


@method_decorator(never_cache, name="dispatch")
class LicenceRevealView(HideLicenceMixin, StaffPermissionMixin, View):
    """POST only (a GET could be prefetched or logged by a proxy); the response is not
    cached. With htmx the key replaces the masked value in place."""

    permission_required = "inventory.reveal_licence"

    @method_decorator(sensitive_variables("key"))
    def post(self, request, pk):
        installation = get_visible_or_404(
            Installation.objects.select_related("software", "version", "member"),
            request.user,
            pk=pk,
        )
        key = services.reveal_licence(installation=installation, revealed_by=request.user)
        context = {"installation": installation, "key": key}
        if request.htmx:
            return render(request, "inventory/staff/_licence_revealed.html", context)
        return render(request, "inventory/staff/licence.html", context)


class DeclarationDetailView(StaffPermissionMixin, View):
    permission_required = "inventory.view_declaration"

    def _declaration(self, request, pk):
        return get_visible_or_404(
            Declaration.objects.select_related(
                "member", "software", "version", "submitted_by", "reviewer"
            ),
            request.user,
            pk=pk,
        )

    def _render(self, request, declaration, form=None, status=200):
        checks = []
        if declaration.has_machine:
            checks = services.check_spec_for_member(
                member=declaration.member, spec=declaration.spec(), version=declaration.version
            )
        return render(
            request,
            "inventory/staff/declaration.html",
            {
                "declaration": declaration,
                "checks": checks,
                "overall": rules.overall(checks) if checks else "",
                "form": form or ReviewForm(),
                "can_review": declaration.is_open
                and request.user.has_perm("inventory.change_declaration"),
                "history": history_of(declaration)[:20],
            },
            status=status,
        )

    def get(self, request, pk):
        return self._render(request, self._declaration(request, pk))


class DeclarationReviewView(DeclarationDetailView):
    permission_required = "inventory.change_declaration"

    def post(self, request, pk):
        declaration = self._declaration(request, pk)
        form = ReviewForm(request.POST)
        if not form.is_valid():
            return self._render(request, declaration, form)
        action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
        try:
            if action == ReviewForm.ACCEPT:
                services.accept_declaration(declaration=declaration, reviewed_by=request.user)
                messages.success(request, _("Déclaration acceptée : l'inventaire est à jour."))
            elif action == ReviewForm.DETAILS:
                services.request_details(
                    declaration=declaration, reviewed_by=request.user, reason=reason
                )
                messages.success(request, _("Précisions demandées à l'adhérent."))
            else:
                services.reject_declaration(
                    declaration=declaration, reviewed_by=request.user, reason=reason
                )
                messages.success(request, _("Déclaration refusée."))
        except ValidationError as exc:
            apply_service_error(form, exc)
            return self._render(request, declaration, form)
        return redirect("inventory:declaration", pk=declaration.pk)


class ComplianceReportView(StaffPermissionMixin, View):
    permission_required = "inventory.view_workstation"

    def get(self, request):
        show_all = request.GET.get("tous") == "1"
        report = services.compliance_report(user=request.user, only_failing=not show_all)
        return render(
            request,
            "inventory/staff/compliance.html",
            {"report": report, "show_all": show_all},
        )


class OutdatedReportView(StaffPermissionMixin, View):
    permission_required = "inventory.view_installation"

    def get(self, request):
        form = OutdatedFilterForm(request.GET or None)
        software = form.cleaned_data.get("software") if form.is_valid() else None
        groups = services.outdated_report(
            user=request.user, today=timezone.localdate(), software=software
        )
        return render(
            request,
            "inventory/staff/outdated.html",
            {
                "form": form,
                "groups": groups,
                "can_notice": request.user.has_perm("news.add_notice")
                and request.user.has_perm("news.publish_notice"),
            },
        )


class OutdatedNotifyView(StaffPermissionMixin, View):
    permission_required = "inventory.view_installation"

    def post(self, request):
        form = OutdatedNotifyForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Action impossible : logiciel ou canal inconnu."))
            return redirect("inventory:outdated")
        software, channel = form.cleaned_data["software"], form.cleaned_data["channel"]
        try:
            count = services.notify_outdated(
                software=software,
                channel=channel,
                notified_by=request.user,
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("inventory:outdated")
        if channel == OutdatedNotifyForm.NOTICE:
            messages.success(
                request, _("Avis publié pour %(software)s.") % {"software": software.name}
            )
        else:
            messages.success(
                request,
                _("%(count)s courriel(s) envoyé(s) aux contacts des adhérents concernés.")
                % {"count": count},
            )
        return redirect(f"{_outdated_url()}?software={software.pk}")


def _outdated_url() -> str:
    from django.urls import reverse

    return reverse("inventory:outdated")


COLUMNS_HELP = {
    ImportKind.WORKSTATIONS: services.WORKSTATION_COLUMNS,
    ImportKind.INSTALLATIONS: services.INSTALLATION_COLUMNS,
}


class ImportView(HideLicenceMixin, StaffPermissionMixin, View):
    permission_required = [
        "inventory.add_workstation",
        "inventory.change_workstation",
        "inventory.add_installation",
        "inventory.change_installation",
    ]

    def _render(self, request, form, report=None):
        return render(
            request,
            "inventory/staff/import.html",
            {
                "form": form,
                "report": report,
                "workstation_columns": services.WORKSTATION_COLUMNS,
                "installation_columns": services.INSTALLATION_COLUMNS,
                "glpi_computers": services.GLPI_COMPUTER_COLUMNS,
                "glpi_software": services.GLPI_SOFTWARE_COLUMNS,
            },
        )

    def get(self, request):
        initial = {}
        if member := request.GET.get("member"):
            initial["member"] = member
        return self._render(request, InventoryImportForm(initial=initial))

    @method_decorator(sensitive_variables("form", "report"))
    def post(self, request):
        form = InventoryImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form)
        report = services.import_inventory_csv(
            kind=form.cleaned_data["kind"],
            content=form.cleaned_data["file"].read(),
            imported_by=request.user,
            member=form.cleaned_data["member"],
        )
        if not report.ok:
            return self._render(request, form, report)
        messages.success(
            request,
            _(
                "Import terminé : %(created)s créé(s), %(updated)s mis à jour, "
                "%(skipped)s ignoré(s)."
            )
            % {"created": report.created, "updated": report.updated, "skipped": report.skipped},
        )
        member = form.cleaned_data["member"]
        if member is not None:
            return redirect("inventory:member", member=member.pk)
        return redirect("inventory:import")
