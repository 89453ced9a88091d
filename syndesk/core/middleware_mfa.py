"""Staff who must use two-factor sign-in and signed in with a password only reach nothing but
the enrolment page until their authenticator is confirmed (mfa.mark_password_login sets the
session flag; the enrolment page clears it). No query: the flag is in the session."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from . import mfa


class StaffMfaEnrolmentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed: tuple[str, ...] | None = None

    def _allowed_paths(self) -> tuple[str, ...]:
        if self._allowed is None:
            self._allowed = (
                reverse("mfa"),
                reverse("mfa-codes"),
                reverse("logout"),
                reverse("set_language"),
            )
        return self._allowed

    def __call__(self, request):
        # Without a session cookie there is no flag: reading the session would mark it
        # accessed and add "Vary: Cookie" to public, cacheable responses (feeds).
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            and request.session.get(mfa.ENROL_SESSION_KEY)
            and request.user.is_authenticated
            and request.path not in self._allowed_paths()
        ):
            return redirect("mfa")
        return self.get_response(request)
