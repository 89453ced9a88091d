"""Renewal and termination notices: staff are warned ahead of each anniversary and of each
termination's last day (DOMAIN.md §7), once per subscription and date, in one daily digest."""

from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from syndesk.contracts import services as contracts
from syndesk.contracts.models import Subscription
from syndesk.core import roles
from syndesk.core.audit import log_action
from syndesk.core.models import AuditEntry
from syndesk.core.tasks import send_email

RENEWAL = "contracts.subscription.renewal_notice"
TERMINATION = "contracts.subscription.termination_notice"


def _already_sent(action: str) -> set[tuple[str, str]]:
    """(subscription id, date) pairs already announced for `action`."""
    entries = AuditEntry.objects.filter(
        action=action, target_type=ContentType.objects.get_for_model(Subscription)
    ).values_list("target_id", "data")
    return {(target_id, (data or {}).get("on", "")) for target_id, data in entries}


def recipients() -> list[str]:
    """Billing officers and managers (active staff), who handle renewals and terminations."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True, is_staff=True, groups__name__in=[roles.BILLING, roles.MANAGER]
        )
        .exclude(email="")
        .distinct()
        .order_by("email")
    )
    return [u.email for u in users]


@transaction.atomic
def send_contract_notices(*, today: date, days: int | None = None) -> dict[str, int]:
    """Announce renewals and terminations due within `days` (setting CONTRACTS_NOTICE_DAYS)
    that were not announced yet. Returns how many of each were announced."""
    days = settings.CONTRACTS_NOTICE_DAYS if days is None else days
    due = contracts.upcoming(today=today, days=days)
    sent_renewals, sent_terminations = _already_sent(RENEWAL), _already_sent(TERMINATION)
    renewals = [
        (on, sub)
        for on, sub in due["renewals"]
        if (str(sub.pk), on.isoformat()) not in sent_renewals
    ]
    terminations = [
        (on, sub)
        for on, sub, _termination in due["terminations"]
        if (str(sub.pk), on.isoformat()) not in sent_terminations
    ]
    for action, items in ((RENEWAL, renewals), (TERMINATION, terminations)):
        for on, sub in items:
            log_action(action, target=sub, data={"on": on.isoformat()})
    to = recipients()
    if (renewals or terminations) and to:

        def link(sub):
            return settings.SITE_URL + reverse("contracts:subscription-detail", args=[sub.pk])

        body = render_to_string(
            "ops/email/contract_notices.txt",
            {
                "renewals": [(on, sub, link(sub)) for on, sub in renewals],
                "terminations": [(on, sub, link(sub)) for on, sub in terminations],
                "days": days,
                "syndicate": settings.SYNDICATE,
            },
        )
        subject = _("[%(name)s] Renouvellements et résiliations à venir") % {
            "name": settings.SYNDICATE["name"]
        }
        transaction.on_commit(lambda: send_email.enqueue(subject=subject, body=body, to=to))
    return {"renewals_announced": len(renewals), "terminations_announced": len(terminations)}
