"""Background work on Django's task framework (database queue by default)."""

from django.core.mail import send_mail
from django.tasks import task


@task
def send_email(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text message; enqueued after the commit that decided it."""
    return send_mail(subject, body, None, to)
