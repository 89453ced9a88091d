"""Two-factor sign-in pages: the two-step login and the account's "Double authentification"
page. The rules live in mfa.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import QueryDict
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from . import mfa
from .mfa_forms import CodeForm


def _base_template(user) -> str:
    return "core/staff.html" if user.is_staff else "core/portal.html"


class MfaLoginView(auth_views.LoginView):
    """Step one: the password. A user with a confirmed device is not logged in yet: the
    session remembers the pending sign-in and step two asks for a code."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if mfa.is_enabled(user):
            mfa.begin_pending_login(self.request, user=user, next_url=self.get_redirect_url())
            return redirect("login-code")
        response = super().form_valid(form)
        if mfa.mark_password_login(self.request, user):
            messages.info(
                self.request,
                _("Votre compte exige la double authentification : configurez-la pour continuer."),
            )
            return redirect("mfa")
        return response


def admin_login(request):
    """/admin/login/ goes through our two-step sign-in (Django's admin form has no code)."""
    query = QueryDict(mutable=True)
    query["next"] = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('login')}?{query.urlencode()}")


class LoginCodeView(View):
    """Step two: a code from the authenticator app, or a backup code."""

    template_name = "mfa/login_code.html"

    def _pending(self, request):
        user, next_url = mfa.pending_login(request)
        if user is None:
            messages.error(
                request, _("Votre connexion a expiré : saisissez à nouveau vos identifiants.")
            )
        return user, next_url

    def get(self, request):
        user, _next = self._pending(request)
        if user is None:
            return redirect("login")
        return render(request, self.template_name, {"form": CodeForm()})

    def post(self, request):
        user, next_url = self._pending(request)
        if user is None:
            return redirect("login")
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                device = mfa.verify(user=user, token=form.cleaned_data["code"], stage="login")
            except mfa.MfaError as exc:
                form.refuse_code(exc)
            else:
                mfa.finish_pending_login(request, user=user, device=device)
                return redirect(self._success_url(request, next_url))
        return render(request, self.template_name, {"form": form})

    @staticmethod
    def _success_url(request, next_url: str) -> str:
        # Checked again here: the pending state is ours, but the rule must hold at the exit.
        safe = url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return next_url if next_url and safe else resolve_url(settings.LOGIN_REDIRECT_URL)


class MfaSettingsView(LoginRequiredMixin, View):
    """Enrol an authenticator, replace it, renew the backup codes or switch MFA off."""

    template_name = "mfa/settings.html"

    def _render(self, request, **forms):
        user = request.user
        enabled = mfa.is_enabled(user)
        if enabled:
            request.session.pop(mfa.ENROL_SESSION_KEY, None)
        device = mfa.pending_device(user)
        if device is None and not enabled:
            device = mfa.start_enrolment(user=user)
        context = {
            "base_template": _base_template(user),
            "enabled": enabled,
            "required": mfa.is_required(user),
            "device": device,
            "backup_left": mfa.backup_codes_left(user) if enabled else 0,
            "confirm_form": forms.get("confirm") or CodeForm(allow_backup=False),
            "regenerate_form": forms.get("regenerate") or CodeForm(),
            "disable_form": forms.get("disable") or CodeForm(),
        }
        if device is not None:
            context["secret"] = mfa.secret_of(device)
            context["qr"] = mfa.qr_svg(device, title=_("QR code à scanner"))
        return render(request, self.template_name, context)

    def get(self, request):
        return self._render(request)

    def post(self, request):
        user = request.user
        action = request.POST.get("action")
        if action == "replace":
            mfa.start_enrolment(user=user)
            return redirect("mfa")
        if action == "cancel":
            if device := mfa.pending_device(user):
                device.delete()
            return redirect("mfa")
        form = CodeForm(request.POST, allow_backup=action != "confirm")
        if action not in {"confirm", "regenerate", "disable"} or not form.is_valid():
            return self._render(request, **{action or "confirm": form})
        code = form.cleaned_data["code"]
        try:
            if action == "confirm":
                device = mfa.pending_device(user)
                if device is None:
                    return redirect("mfa")
                codes = mfa.confirm_enrolment(user=user, device=device, token=code)
                request.session.pop(mfa.ENROL_SESSION_KEY, None)
                messages.success(request, _("La double authentification est activée."))
            elif action == "regenerate":
                codes = mfa.regenerate_backup_codes(user=user, token=code)
                messages.success(
                    request, _("Nouveaux codes de secours créés ; les anciens ne servent plus.")
                )
            else:
                mfa.disable(user=user, token=code)
                messages.success(request, _("La double authentification est désactivée."))
                return redirect("mfa")
        except mfa.MfaError as exc:
            form.refuse_code(exc)
            return self._render(request, **{action: form})
        request.session[mfa.NEW_CODES_SESSION_KEY] = codes
        return redirect("mfa-codes")


class BackupCodesView(LoginRequiredMixin, View):
    """The new backup codes, shown once: they leave the session as they are displayed."""

    def get(self, request):
        codes = request.session.pop(mfa.NEW_CODES_SESSION_KEY, None)
        if not codes:
            return redirect("mfa")
        response = render(
            request,
            "mfa/backup_codes.html",
            {"base_template": _base_template(request.user), "codes": codes},
        )
        response["Cache-Control"] = "no-store"
        return response
