"""Retention purges (DOMAIN.md §6): each category of data is kept for a period set in the
settings, then deleted or anonymised by the daily run. Defaults are conservative: when in
doubt, keep. Audit entries and accounting documents are never purged here (10 years for
accounting records, and the audit log is the proof of what happened)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from syndesk.contracts.models import Subscription
from syndesk.core.audit import log_action
from syndesk.desk.models import InboundEmail
from syndesk.members.models import Contact, Member

# What an anonymised contact keeps: its member and role (the organisation's history stays
# readable), nothing that identifies the person.
ANONYMISED_NAME = "Contact anonymisé"


@dataclass(frozen=True)
class RetentionPolicy:
    task_results_days: int
    inbound_days: int
    contact_years: int

    @classmethod
    def from_settings(cls) -> "RetentionPolicy":
        return cls(
            task_results_days=settings.RETENTION_TASK_RESULTS_DAYS,
            inbound_days=settings.RETENTION_INBOUND_DAYS,
            contact_years=settings.RETENTION_CONTACT_YEARS,
        )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (29 February falls back to 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def purge_task_results(*, today: date, days: int) -> int:
    """Finished (successful or failed) task results older than `days`; queued and running
    ones are never touched. Failed ones stay visible on the tasks page until then."""
    from django_tasks_db.models import DBTaskResult

    limit = _start_of(today - timedelta(days=days))
    stale = DBTaskResult.objects.finished().filter(finished_at__lt=limit)
    deleted, _by_model = stale.delete()
    return deleted


def purge_inbound_emails(*, today: date, days: int) -> int:
    """Dismissed triage mail older than `days`, with its raw message. Mail processed into a
    ticket belongs to the ticket's history and is kept with it; pending mail waits for an
    agent whatever its age."""
    limit = _start_of(today - timedelta(days=days))
    count = 0
    for inbound in InboundEmail.objects.filter(
        status=InboundEmail.Status.DISMISSED, received_at__lt=limit
    ):
        if inbound.raw:
            # The file goes only once the deletion is committed (a dry run keeps it).
            storage, name = inbound.raw.storage, inbound.raw.name
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
        inbound.delete()
        count += 1
    return count


def members_past_contact_retention(*, today: date, years: int):
    """Members whose relationship ended more than `years` ago: they had subscriptions, all
    have ended, and the last one ended before the limit."""
    limit = years_before(today, years)
    open_subscriptions = Subscription.objects.filter(member=OuterRef("pk")).exclude(
        status=Subscription.Status.ENDED
    )
    return (
        Member.objects.annotate(last_end=Max("subscriptions__ended_on"))
        .filter(last_end__lt=limit)
        .exclude(Exists(open_subscriptions))
    )


def anonymise_contacts(*, today: date, years: int) -> int:
    """Anonymise the contacts of members whose relationship ended more than `years` ago."""
    members = members_past_contact_retention(today=today, years=years)
    contacts = Contact.objects.filter(member__in=members).exclude(
        last_name=ANONYMISED_NAME, first_name="", email="", phone="", mobile="", notes=""
    )
    count = 0
    for contact in contacts.select_related("member"):
        contact.first_name = ""
        contact.last_name = ANONYMISED_NAME
        contact.email = contact.phone = contact.mobile = contact.notes = ""
        contact.is_primary = False
        contact.save(
            update_fields=[
                "first_name",
                "last_name",
                "email",
                "phone",
                "mobile",
                "notes",
                "is_primary",
            ]
        )
        log_action(
            "members.contact.anonymised", target=contact.member, data={"contact": contact.pk}
        )
        count += 1
    return count


@transaction.atomic
def purge_expired_data(*, today: date, policy: RetentionPolicy | None = None) -> dict[str, int]:
    """Apply every retention period; returns how many rows each purge handled."""
    policy = policy or RetentionPolicy.from_settings()
    return {
        "task_results_deleted": purge_task_results(today=today, days=policy.task_results_days),
        "inbound_emails_deleted": purge_inbound_emails(today=today, days=policy.inbound_days),
        "contacts_anonymised": anonymise_contacts(today=today, years=policy.contact_years),
    }
