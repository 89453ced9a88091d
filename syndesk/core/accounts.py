"""Account activation links: how invited member users and new staff set a first password.

The token is Django's password-reset token with its own salt and lifetime: it hashes the
password and last login, so it stops working once used (single use) and after
INVITATION_TIMEOUT seconds (expiring).
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from .tasks import send_email


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset tokens with their own salt and the invitation lifetime."""

    key_salt = "syndesk.core.accounts.ActivationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            expected = self._make_token_with_timestamp(user, timestamp, secret)
            if constant_time_compare(expected, token):
                break
        else:
            return False
        return self._num_seconds(self._now()) - timestamp <= settings.INVITATION_TIMEOUT


activation_token = ActivationTokenGenerator()


def activation_url(user) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = activation_token.make_token(user)
    path = reverse("activate", kwargs={"uidb64": uidb64, "token": token})
    return f"{settings.SITE_URL}{path}"


def send_activation_email(user, *, template: str, context: dict) -> None:
    """Queue a set-your-password mail; `template` names a text template under core/email/.
    Callers run this through transaction.on_commit so that no mail leaves for a rollback."""
    body = render_to_string(
        f"core/email/{template}.txt",
        {
            **context,
            "user": user,
            "url": activation_url(user),
            "syndicate": settings.SYNDICATE,
            "days": settings.INVITATION_TIMEOUT // 86400,
        },
    )
    subject = _("[%(name)s] Activez votre compte") % {"name": settings.SYNDICATE["name"]}
    send_email.enqueue(subject=subject, body=body, to=[user.email])
