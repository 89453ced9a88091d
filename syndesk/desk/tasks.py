"""Background work of the desk (django.tasks; database queue by default)."""

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.tasks import task


@task
def send_ticket_email(
    *,
    subject: str,
    body: str,
    to: list[str],
    message_id: str = "",
    references: Sequence[str] = (),
) -> int:
    """Send one plain-text ticket notification, enqueued after the commit that decided it.

    Unlike core.tasks.send_email it sets the threading headers: ``Message-ID`` (stored on the
    ticket message, so that the member's reply threads back through In-Reply-To) and
    ``In-Reply-To``/``References`` to the ticket's first mail."""
    headers = {}
    if message_id:
        headers["Message-ID"] = message_id
    refs = [r for r in references if r and r != message_id]
    if refs:
        headers["In-Reply-To"] = refs[-1]
        headers["References"] = " ".join(refs)
    return EmailMessage(subject=subject, body=body, to=to, headers=headers).send()


@task
def watch_sla() -> dict[str, int]:
    """Warn before SLA breaches and close tickets resolved long enough ago (run every few
    minutes; the command desk_sla_watch does the same)."""
    from . import services

    return {"alerts": services.watch_sla(), "closed": services.close_resolved()}
