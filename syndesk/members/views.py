from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from syndesk.core.audit import history_of
from syndesk.core.listing import filtered_page
from syndesk.core.permissions import MemberUserMixin, StaffPermissionMixin
from syndesk.core.scoping import get_visible_or_404

from . import services
from .filters import MemberFilterSet
from .forms import ContactForm, InviteForm, MemberForm, MemberImportForm
from .models import Contact, Member, Membership
from .portal import active_member, switch_member

PAGE_SIZE = 25


class MemberListView(StaffPermissionMixin, View):
    permission_required = "members.view_member"

    def get(self, request):
        queryset = Member.objects.visible_to(request.user).select_related("parent")
        filterset = MemberFilterSet(request.GET, queryset=queryset)
        context = filtered_page(request, filterset, PAGE_SIZE)
        if request.htmx:
            return render(request, "members/member_list.html#results", context)
        return render(request, "members/member_list.html", context)


class MemberDetailView(StaffPermissionMixin, View):
    permission_required = "members.view_member"

    def get(self, request, pk):
        member = get_visible_or_404(
            Member.objects.select_related("parent").prefetch_related("phones"),
            request.user,
            pk=pk,
        )
        return render(
            request,
            "members/member_detail.html",
            {
                "member": member,
                "contacts": member.contacts.all(),
                "memberships": member.memberships.select_related("user"),
                "children": member.children.all()[:200],
                "history": history_of(member)[:30],
            },
        )


class MemberFormView(StaffPermissionMixin, View):
    """Create (no pk) or edit a member."""

    def get_permission_required(self):
        return ["members.change_member" if "pk" in self.kwargs else "members.add_member"]

    def _member(self, request, pk):
        return get_visible_or_404(Member.objects, request.user, pk=pk) if pk else None

    def get(self, request, pk=None):
        form = MemberForm(instance=self._member(request, pk))
        return render(request, "members/member_form.html", {"form": form})

    def post(self, request, pk=None):
        form = MemberForm(request.POST, instance=self._member(request, pk))
        if not form.is_valid():
            return render(request, "members/member_form.html", {"form": form}, status=200)
        member = services.save_member(form=form, saved_by=request.user)
        messages.success(request, _("Fiche de %(name)s enregistrée.") % {"name": member.name})
        return redirect("members:detail", pk=member.pk)


class ContactFormView(StaffPermissionMixin, View):
    def get_permission_required(self):
        return ["members.change_contact" if "contact" in self.kwargs else "members.add_contact"]

    def _objects(self, request, pk, contact):
        member = get_visible_or_404(Member.objects, request.user, pk=pk)
        instance = (
            get_visible_or_404(Contact.objects.filter(member=member), request.user, pk=contact)
            if contact
            else None
        )
        return member, instance

    def get(self, request, pk, contact=None):
        member, instance = self._objects(request, pk, contact)
        return render(
            request,
            "members/contact_form.html",
            {"member": member, "form": ContactForm(instance=instance)},
        )

    def post(self, request, pk, contact=None):
        member, instance = self._objects(request, pk, contact)
        form = ContactForm(request.POST, instance=instance)
        if not form.is_valid():
            return render(request, "members/contact_form.html", {"member": member, "form": form})
        services.save_contact(member=member, form=form, saved_by=request.user)
        messages.success(request, _("Contact enregistré."))
        return redirect("members:detail", pk=member.pk)


class ContactDeleteView(StaffPermissionMixin, View):
    permission_required = "members.delete_contact"

    def post(self, request, pk, contact):
        member = get_visible_or_404(Member.objects, request.user, pk=pk)
        instance = get_visible_or_404(
            Contact.objects.filter(member=member), request.user, pk=contact
        )
        services.delete_contact(contact=instance, deleted_by=request.user)
        messages.success(request, _("Contact supprimé."))
        return redirect("members:detail", pk=member.pk)


def _invite_context() -> dict:
    return {"invitation_days": settings.INVITATION_TIMEOUT // 86400}


class InviteView(StaffPermissionMixin, View):
    permission_required = "members.add_membership"

    def get(self, request, pk):
        member = get_visible_or_404(Member.objects, request.user, pk=pk)
        return render(
            request,
            "members/invite_form.html",
            {"member": member, "form": InviteForm(), **_invite_context()},
        )

    def post(self, request, pk):
        member = get_visible_or_404(Member.objects, request.user, pk=pk)
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                services.invite_member_user(
                    member=member, invited_by=request.user, **form.cleaned_data
                )
            except services.InvitationRefused as exc:
                form.add_error("email", str(exc))
            else:
                messages.success(
                    request,
                    _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("members:detail", pk=member.pk)
        return render(
            request,
            "members/invite_form.html",
            {"member": member, "form": form, **_invite_context()},
        )


class RevokeMembershipView(StaffPermissionMixin, View):
    permission_required = "members.delete_membership"

    def post(self, request, pk, membership):
        member = get_visible_or_404(Member.objects, request.user, pk=pk)
        instance = get_visible_or_404(
            Membership.objects.filter(member=member).select_related("user"),
            request.user,
            pk=membership,
        )
        services.revoke_membership(membership=instance, revoked_by=request.user)
        messages.success(request, _("Accès au portail retiré."))
        return redirect("members:detail", pk=member.pk)


class MemberImportView(StaffPermissionMixin, View):
    permission_required = ["members.add_member", "members.change_member"]

    def get(self, request):
        return render(
            request,
            "members/import.html",
            {"form": MemberImportForm(), "columns": services.IMPORT_COLUMNS},
        )

    def post(self, request):
        form = MemberImportForm(request.POST, request.FILES)
        report = None
        if form.is_valid():
            report = services.import_members_csv(
                content=form.cleaned_data["file"].read(), imported_by=request.user
            )
            if report.ok:
                messages.success(
                    request,
                    _("Import terminé : %(created)s créé(s), %(updated)s mis à jour.")
                    % {"created": report.created, "updated": report.updated},
                )
                return redirect("members:list")
        return render(
            request,
            "members/import.html",
            {"form": form, "report": report, "columns": services.IMPORT_COLUMNS},
            status=200,
        )


# Portal --------------------------------------------------------------------------------


class PortalMemberView(MemberUserMixin, View):
    """The member user's own organisation, as the syndicate knows it."""

    def get(self, request):
        member = active_member(request)
        if member is None:
            return render(request, "members/portal_no_member.html", status=403)
        member = get_visible_or_404(
            Member.objects.select_related("parent").prefetch_related("phones"),
            request.user,
            pk=member.pk,
        )
        return render(
            request,
            "members/portal_member.html",
            {
                "member": member,
                "contacts": Contact.objects.visible_to(request.user).filter(member=member),
                "colleagues": Membership.objects.visible_to(request.user)
                .filter(member=member)
                .select_related("user"),
            },
        )


class SwitchMemberView(MemberUserMixin, View):
    def post(self, request):
        try:
            member_id = int(request.POST.get("member", ""))
        except ValueError:
            member_id = 0
        member = switch_member(request, member_id)
        if member is None:
            messages.error(request, _("Vous n'avez pas accès à cette organisation."))
        else:
            messages.success(request, _("Vous agissez pour %(name)s.") % {"name": member.name})
        return redirect("web:portal")
