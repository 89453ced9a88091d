"""The member portal's inventory pages (/portail/parc/): the organisation's software
(licence masked) and workstations with their prerequisite check, the declaration forms
(software acquisition, hardware change, planned purchase with an immediate check) and the
declarations with their status.

Scope: the active organisation (``active_member``) of a member user; every object is
fetched through ``visible_to``; anything else answers 404. Staff are sent to the back
office.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.debug import sensitive_variables

from syndesk.core.forms import apply_service_error
from syndesk.core.permissions import MemberUserMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.members.portal import active_member, member_choices

from . import rules, services
from .forms import DECLARATION_FORMS
from .licence import HideLicenceMixin
from .models import Declaration, DeclarationKind, DeclarationStatus, Installation, Workstation

KIND_SLUGS = {
    "logiciel": DeclarationKind.SOFTWARE,
    "materiel": DeclarationKind.HARDWARE,
    "achat": DeclarationKind.PLANNED,
}


class _PortalView(MemberUserMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_staff:
            return redirect("web:staff")
        return super().dispatch(request, *args, **kwargs)

    def member_or_none(self, request):
        return active_member(request)

    def no_member(self, request):
        return render(request, "members/portal_no_member.html", status=403)


class PortalInventoryView(_PortalView):
    def get(self, request):
        member = self.member_or_none(request)
        if member is None:
            return self.no_member(request)
        installations = (
            Installation.objects.visible_to(request.user)
            .for_member(member)
            .select_related("software", "version")
            .prefetch_related("workstations")
        )
        workstations = list(Workstation.objects.visible_to(request.user).for_member(member))
        declarations = (
            Declaration.objects.visible_to(request.user)
            .for_member(member)
            .select_related("software", "version")[:50]
        )
        return render(
            request,
            "inventory/portal/home.html",
            {
                "member": member,
                "installations": installations,
                "compliance": services.workstation_compliance(workstations),
                "declarations": declarations,
            },
        )


class PortalDeclareView(HideLicenceMixin, _PortalView):
    """One form per kind. "Vérifier les prérequis" shows the check without saving;
    "Transmettre" records the declaration and shows its page (with the check)."""

    def _kind(self, slug):
        if slug not in KIND_SLUGS:
            raise Http404
        return KIND_SLUGS[slug]

    def _render(self, request, member, kind, form, checks=None):
        return render(
            request,
            "inventory/portal/declare.html",
            {
                "member": member,
                "kind": kind,
                "kind_label": DeclarationKind(kind).label,
                "form": form,
                "checks": checks,
                "overall": rules.overall(checks) if checks else "",
            },
        )

    def get(self, request, kind):
        kind = self._kind(kind)
        member = self.member_or_none(request)
        if member is None:
            return self.no_member(request)
        return self._render(request, member, kind, DECLARATION_FORMS[kind](member=member))

    @method_decorator(sensitive_variables("form"))
    def post(self, request, kind):
        kind = self._kind(kind)
        member = self.member_or_none(request)
        if member is None:
            return self.no_member(request)
        form = DECLARATION_FORMS[kind](request.POST, member=member)
        if not form.is_valid():
            return self._render(request, member, kind, form)
        if "check" in request.POST and kind != DeclarationKind.SOFTWARE:
            checks = services.check_spec_for_member(
                member=member, spec=form.instance.spec(), version=form.cleaned_data.get("version")
            )
            return self._render(request, member, kind, form, checks=checks)
        try:
            declaration = services.submit_declaration(form=form, submitted_by=request.user)
        except ValidationError as exc:
            apply_service_error(form, exc)
            return self._render(request, member, kind, form)
        messages.success(request, _("Déclaration transmise au syndicat."))
        return redirect("inventory-portal:declaration", pk=declaration.pk)


class PortalDeclarationView(HideLicenceMixin, _PortalView):
    def _declaration(self, request, pk):
        return get_visible_or_404(
            Declaration.objects.filter(member__in=member_choices(request.user)).select_related(
                "member", "software", "version"
            ),
            request.user,
            pk=pk,
        )

    def _render(self, request, declaration, form=None):
        checks = []
        if declaration.has_machine:
            checks = services.check_spec_for_member(
                member=declaration.member, spec=declaration.spec(), version=declaration.version
            )
        if form is None and declaration.status == DeclarationStatus.NEEDS_DETAILS:
            form = DECLARATION_FORMS[declaration.kind](
                instance=declaration, member=declaration.member
            )
        return render(
            request,
            "inventory/portal/declaration.html",
            {
                "declaration": declaration,
                "checks": checks,
                "overall": rules.overall(checks) if checks else "",
                "form": form,
            },
        )

    def get(self, request, pk):
        return self._render(request, self._declaration(request, pk))

    @method_decorator(sensitive_variables("form"))
    def post(self, request, pk):
        declaration = self._declaration(request, pk)
        if declaration.status != DeclarationStatus.NEEDS_DETAILS:
            messages.error(request, _("Cette déclaration n'attend pas de précisions."))
            return redirect("inventory-portal:declaration", pk=declaration.pk)
        form = DECLARATION_FORMS[declaration.kind](
            request.POST, instance=declaration, member=declaration.member
        )
        if not form.is_valid():
            return self._render(request, declaration, form)
        try:
            services.complete_declaration(form=form, completed_by=request.user)
        except ValidationError as exc:
            apply_service_error(form, exc)
            return self._render(request, declaration, form)
        messages.success(request, _("Précisions transmises au syndicat."))
        return redirect("inventory-portal:declaration", pk=declaration.pk)
