from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views import View

from . import backends, mfa, services
from .accounts import activation_token
from .audit import history_of
from .forms import ClosureDayForm, StaffChangeForm, StaffCreateForm
from .models import ClosureDay
from .permissions import StaffPermissionMixin
from .roles import ROLES, role_of


class AccountActivateView(View):
    """Set a first password from an invitation or welcome link (expiring, single use)."""

    template_name = "core/activate.html"

    def _user(self, uidb64: str, token: str):
        try:
            pk = force_str(urlsafe_base64_decode(uidb64))
            user = get_user_model().objects.get(pk=pk)
        except (ValueError, OverflowError, get_user_model().DoesNotExist):
            return None
        return user if activation_token.check_token(user, token) else None

    def get(self, request, uidb64, token):
        user = self._user(uidb64, token)
        form = SetPasswordForm(user) if user else None
        return render(request, self.template_name, {"form": form, "invalid": user is None})

    def post(self, request, uidb64, token):
        user = self._user(uidb64, token)
        if user is None:
            return render(request, self.template_name, {"form": None, "invalid": True})
        form = SetPasswordForm(user, request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "invalid": False})
        services.activate_account(user=user, password=form.cleaned_data["new_password1"])
        if mfa.is_enabled(user):
            # The link proves the mailbox, not the second factor: sign in in two steps.
            messages.success(
                request, _("Votre mot de passe est enregistré. Connectez-vous avec votre code.")
            )
            return redirect("login")
        login(request, user, backend=backends.PATH)
        messages.success(request, _("Votre mot de passe est enregistré. Bienvenue !"))
        if mfa.mark_password_login(request, user):
            return redirect("mfa")
        return redirect("web:after-login")


class StaffListView(StaffPermissionMixin, View):
    permission_required = "core.manage_staff"

    def get(self, request):
        staff = get_user_model().objects.filter(is_staff=True).prefetch_related("groups")
        page = Paginator(staff, 50).get_page(request.GET.get("page"))
        rows = [(user, ROLES.get(role_of(user) or "", "")) for user in page]
        return render(request, "core/staff_list.html", {"page": page, "rows": rows})


class StaffCreateView(StaffPermissionMixin, View):
    permission_required = "core.manage_staff"

    def get(self, request):
        return render(request, "core/staff_form.html", {"form": StaffCreateForm()})

    def post(self, request):
        form = StaffCreateForm(request.POST)
        if not form.is_valid():
            return render(request, "core/staff_form.html", {"form": form})
        user = services.create_staff_user(**form.cleaned_data, created_by=request.user)
        messages.success(
            request,
            _("Compte créé ; un lien d'activation a été envoyé à %(email)s.")
            % {"email": user.email},
        )
        return redirect("core:staff-list")


class StaffUpdateView(StaffPermissionMixin, View):
    permission_required = "core.manage_staff"

    def _context(self, user, form):
        return {
            "form": form,
            "person": user,
            "history": history_of(user)[:20],
            "person_mfa_enabled": mfa.is_enabled(user),
        }

    def get(self, request, pk):
        user = get_object_or_404(get_user_model(), pk=pk, is_staff=True)
        form = StaffChangeForm(initial={"role": role_of(user), "is_active": user.is_active})
        return render(request, "core/staff_edit.html", self._context(user, form))

    def post(self, request, pk):
        user = get_object_or_404(get_user_model(), pk=pk, is_staff=True)
        form = StaffChangeForm(request.POST)
        if not form.is_valid():
            return render(request, "core/staff_edit.html", self._context(user, form))
        if user == request.user and not form.cleaned_data["is_active"]:
            form.add_error("is_active", _("Vous ne pouvez pas désactiver votre propre compte."))
            return render(request, "core/staff_edit.html", self._context(user, form))
        services.change_staff_role(user=user, changed_by=request.user, **form.cleaned_data)
        messages.success(request, _("Compte mis à jour."))
        return redirect("core:staff-list")


class StaffMfaResetView(StaffPermissionMixin, View):
    """A manager resets the two-factor sign-in of a staff member who lost their phone."""

    permission_required = "core.manage_staff"

    def post(self, request, pk):
        user = get_object_or_404(get_user_model(), pk=pk, is_staff=True)
        mfa.reset(user=user, reset_by=request.user)
        messages.success(
            request,
            _(
                "Double authentification réinitialisée et sessions ouvertes fermées : "
                "%(name)s la configurera à sa prochaine connexion."
            )
            % {"name": user},
        )
        return redirect("core:staff-edit", pk=user.pk)


class ClosureDayView(StaffPermissionMixin, View):
    """List, add and remove closure days (managers)."""

    permission_required = "core.view_closureday"

    def _render(self, request, form):
        return render(
            request,
            "core/closures.html",
            {
                "form": form,
                "closures": ClosureDay.objects.all(),
                "can_edit": request.user.has_perm("core.add_closureday"),
            },
        )

    def get(self, request):
        return self._render(request, ClosureDayForm())

    def post(self, request):
        if not request.user.has_perm("core.add_closureday"):
            raise PermissionDenied
        if "remove" in request.POST:
            closure = get_object_or_404(ClosureDay, pk=request.POST.get("remove"))
            services.remove_closure_day(closure=closure, removed_by=request.user)
            messages.success(request, _("Jour de fermeture supprimé."))
            return redirect("core:closures")
        form = ClosureDayForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        services.add_closure_day(
            day=form.cleaned_data["date"], label=form.cleaned_data["label"], added_by=request.user
        )
        messages.success(request, _("Jour de fermeture ajouté."))
        return redirect("core:closures")
