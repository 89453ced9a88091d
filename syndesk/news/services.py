"""Operations on notices, private-feed tokens and email alerts. Each one runs in a
transaction, writes the audit log and moves the publication clock when what the public
sees changes (feeds, status page and iCalendar are cached under that clock)."""

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from syndesk.catalog.models import SoftwareVersion
from syndesk.core.audit import log_action
from syndesk.core.models import ClosureDay
from syndesk.core.tasks import send_email
from syndesk.members.models import Contact, Member

from .models import (
    AlertSubscription,
    FeedToken,
    Notice,
    NoticeUpdate,
    PublicationClock,
    hash_token,
    members_covering,
)

EDITABLE_FIELDS = ("kind", "title", "body", "severity", "starts_at", "ends_at")
UNSUBSCRIBE_SALT = "syndesk.news.alerts.unsubscribe"


class NoticeRefused(ValueError):
    """The operation does not apply to this notice in its current state."""


def _lock(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().get(pk=notice.pk)


@transaction.atomic
def create_notice(
    *,
    kind: str,
    title: str,
    body: str = "",
    software=(),
    severity: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    version: SoftwareVersion | None = None,
    created_by,
) -> Notice:
    """A draft notice (publish_notice makes it public)."""
    notice = Notice(
        kind=kind,
        title=title,
        body=body,
        severity=severity,
        starts_at=starts_at,
        ends_at=ends_at,
        version=version,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        guid=f"pending:{FeedToken.new_token()}",
    )
    notice.full_clean(exclude=["guid"])
    notice.save()
    notice.guid = notice.tag_guid()
    notice.save(update_fields=["guid"])
    notice.software.set(software)
    log_action(
        "news.notice.created",
        actor=created_by,
        target=notice,
        data={"kind": kind, "software": sorted(s.pk for s in notice.software.all())},
    )
    return notice


@transaction.atomic
def change_notice(*, notice: Notice, changed_by, software=None, **fields) -> Notice:
    """Edit a notice's text, dates, severity or software. A published notice keeps its
    GUID and publication date; its update date moves so that readers see the change."""
    notice = _lock(notice)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if "kind" in fields and fields["kind"] != notice.kind and notice.is_published:
        raise NoticeRefused(_("Le type d'un avis publié ne peut plus changer."))
    changed = [name for name, value in fields.items() if getattr(notice, name) != value]
    for name, value in fields.items():
        setattr(notice, name, value)
    notice.full_clean(exclude=["guid"])
    if software is not None:
        before = set(notice.software.values_list("pk", flat=True))
        after = {s.pk for s in software}
        if before != after:
            changed.append("software")
            notice.software.set(software)
    if notice.is_published and changed:
        notice.updated_at = timezone.now()
    notice.save()
    log_action("news.notice.changed", actor=changed_by, target=notice, data={"fields": changed})
    if notice.is_published and changed:
        PublicationClock.touch()
    return notice


@transaction.atomic
def publish_notice(*, notice: Notice, published_by) -> Notice:
    """Make a draft public: pages, feeds, status page, iCalendar, and email alerts for an
    interruption or a maintenance."""
    notice = _lock(notice)
    if notice.is_published:
        raise NoticeRefused(_("Cet avis est déjà publié."))
    notice.full_clean(exclude=["guid"])
    now = timezone.now()
    notice.status = Notice.Status.PUBLISHED
    # A notice withdrawn then republished keeps its first publication date (and GUID).
    notice.published_at = notice.published_at or now
    notice.updated_at = now
    notice.save(update_fields=["status", "published_at", "updated_at", "modified_at"])
    log_action("news.notice.published", actor=published_by, target=notice)
    PublicationClock.touch()
    if notice.kind in (Notice.Kind.INTERRUPTION, Notice.Kind.MAINTENANCE):
        _send_alerts(notice, event="published")
    return notice


@transaction.atomic
def unpublish_notice(*, notice: Notice, unpublished_by) -> Notice:
    """Withdraw a notice published by mistake: it leaves every page and feed at once."""
    notice = _lock(notice)
    if not notice.is_published:
        raise NoticeRefused(_("Cet avis n'est pas publié."))
    notice.status = Notice.Status.DRAFT
    notice.save(update_fields=["status", "modified_at"])
    log_action("news.notice.unpublished", actor=unpublished_by, target=notice)
    PublicationClock.touch()
    return notice


@transaction.atomic
def add_notice_update(*, notice: Notice, body: str, author) -> NoticeUpdate:
    """A dated follow-up on a published notice, shown in its timeline and in the feeds."""
    notice = _lock(notice)
    if not notice.is_published:
        raise NoticeRefused(_("Publiez l'avis avant d'y ajouter un suivi."))
    if notice.resolved_at is not None:
        raise NoticeRefused(_("Cet avis est clos."))
    if not body.strip():
        raise ValidationError({"body": _("Écrivez le message de suivi.")})
    update = NoticeUpdate.objects.create(
        notice=notice, body=body, author=author if author and author.is_authenticated else None
    )
    notice.updated_at = update.created_at
    notice.save(update_fields=["updated_at", "modified_at"])
    log_action("news.notice.followed_up", actor=author, target=notice, data={"update": update.pk})
    PublicationClock.touch()
    return update


@transaction.atomic
def close_notice(
    *, notice: Notice, resolution: str, closed_by, ended_at: datetime | None = None
) -> NoticeUpdate:
    """Close an interruption (or end a maintenance) with a resolution message; the end
    becomes the actual end (now unless given)."""
    notice = _lock(notice)
    if not notice.has_window:
        raise NoticeRefused(_("Seules les interruptions et les maintenances se clôturent."))
    if not notice.is_published:
        raise NoticeRefused(_("Publiez l'avis avant de le clore."))
    if notice.resolved_at is not None:
        raise NoticeRefused(_("Cet avis est déjà clos."))
    if not resolution.strip():
        raise ValidationError({"resolution": _("Écrivez le message de résolution.")})
    now = timezone.now()
    ended_at = ended_at or now
    if ended_at > now:
        raise ValidationError({"ended_at": _("La fin effective ne peut pas être dans le futur.")})
    if notice.starts_at and ended_at <= notice.starts_at:
        raise ValidationError({"ended_at": _("La fin doit être postérieure au début.")})
    update = NoticeUpdate.objects.create(
        notice=notice,
        body=resolution,
        is_resolution=True,
        created_at=now,
        author=closed_by if closed_by and closed_by.is_authenticated else None,
    )
    notice.ends_at = ended_at
    notice.resolved_at = now
    notice.updated_at = now
    notice.save(update_fields=["ends_at", "resolved_at", "updated_at", "modified_at"])
    log_action(
        "news.notice.closed",
        actor=closed_by,
        target=notice,
        data={"ended_at": ended_at.isoformat()},
    )
    PublicationClock.touch()
    if notice.kind == Notice.Kind.INTERRUPTION:
        _send_alerts(notice, event="closed", message=resolution)
    return update


@transaction.atomic
def delete_notice(*, notice: Notice, deleted_by) -> None:
    """Delete a draft that was never published (a published one is withdrawn instead,
    its GUID having been seen by feed readers)."""
    notice = _lock(notice)
    if notice.published_at is not None:
        raise NoticeRefused(_("Un avis déjà publié ne se supprime pas : retirez-le."))
    log_action("news.notice.deleted", actor=deleted_by, target=notice, data={"title": notice.title})
    notice.delete()


def create_version_notice(*, version: SoftwareVersion, created_by) -> Notice:
    """A draft "new version" notice from a catalogue version, to complete and publish."""
    software = version.software
    lines = []
    if version.release_date:
        lines.append(
            _("La version %(number)s de %(software)s est disponible depuis le %(date)s.")
            % {
                "number": version.number,
                "software": software.name,
                "date": version.release_date.strftime("%d/%m/%Y"),
            }
        )
    else:
        lines.append(
            _("La version %(number)s de %(software)s est disponible.")
            % {"number": version.number, "software": software.name}
        )
    if version.notes:
        lines += ["", version.notes]
    if version.end_of_support:
        lines += [
            "",
            _("Fin de support annoncée par l'éditeur : %(date)s.")
            % {"date": version.end_of_support.strftime("%d/%m/%Y")},
        ]
    return create_notice(
        kind=Notice.Kind.NEWS,
        title=_("%(software)s : version %(number)s")
        % {"software": software.name, "number": version.number},
        body="\n".join(lines),
        software=[software],
        version=version,
        created_by=created_by,
    )


def create_closure_notice(*, closure: ClosureDay, created_by) -> Notice:
    """A draft general-information notice announcing a closure day."""
    day = closure.date.strftime("%d/%m/%Y")
    return create_notice(
        kind=Notice.Kind.INFO,
        title=_("Fermeture de l'assistance le %(date)s") % {"date": day},
        body=_(
            "L'assistance téléphonique sera fermée le %(date)s (%(label)s). "
            "Elle rouvrira le jour ouvré suivant aux horaires habituels."
        )
        % {"date": day, "label": closure.label},
        created_by=created_by,
    )


# Private feeds ---------------------------------------------------------------------------


@transaction.atomic
def issue_feed_token(*, member: Member, issued_by) -> str:
    """A new private-feed token for the member, revoking the previous one. Returns the
    token itself, which is not stored: show it once."""
    Member.objects.select_for_update().filter(pk=member.pk).first()  # serialise regenerations
    revoked = FeedToken.objects.active().filter(member=member).update(revoked_at=timezone.now())
    token = FeedToken.new_token()
    FeedToken.objects.create(member=member, token_hash=hash_token(token), created_by=issued_by)
    log_action(
        "news.feed_token.issued", actor=issued_by, target=member, data={"replaced": bool(revoked)}
    )
    return token


@transaction.atomic
def revoke_feed_token(*, member: Member, revoked_by) -> bool:
    """Revoke the member's private feed: its URL answers 404 from now on."""
    count = FeedToken.objects.active().filter(member=member).update(revoked_at=timezone.now())
    if count:
        log_action("news.feed_token.revoked", actor=revoked_by, target=member)
    return bool(count)


# Email alerts ----------------------------------------------------------------------------


@transaction.atomic
def subscribe_alerts(
    *, member: Member, subscribed_by, contact: Contact | None = None, user=None
) -> AlertSubscription:
    """Email `contact` (recorded by staff) or `user` (a portal user, for themselves) about
    interruptions and maintenance affecting the member's software."""
    if (contact is None) == (user is None):
        raise TypeError("give either a contact or a user")
    if contact is not None:
        if contact.member_id != member.pk:
            raise NoticeRefused(_("Ce contact n'appartient pas à cet adhérent."))
        if not contact.email:
            raise NoticeRefused(_("Ce contact n'a pas d'adresse électronique."))
        subscription, _created = AlertSubscription.objects.get_or_create(
            contact=contact, defaults={"member": member}
        )
        who = contact.email
    else:
        subscription, _created = AlertSubscription.objects.get_or_create(user=user, member=member)
        who = user.email
    log_action("news.alerts.subscribed", actor=subscribed_by, target=member, data={"email": who})
    return subscription


@transaction.atomic
def unsubscribe_alerts(*, subscription: AlertSubscription, unsubscribed_by=None) -> None:
    log_action(
        "news.alerts.unsubscribed",
        actor=unsubscribed_by,
        target=subscription.member,
        data={"email": subscription.email},
    )
    subscription.delete()


def unsubscribe_token(subscription: AlertSubscription) -> str:
    return signing.dumps(subscription.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def subscription_from_unsubscribe_token(token: str) -> AlertSubscription | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return AlertSubscription.objects.filter(pk=pk).select_related("member").first()


def alert_recipients(notice: Notice) -> list[AlertSubscription]:
    """Subscribers whose member uses a software the notice concerns (everybody subscribed
    when the notice concerns no software in particular)."""
    software_ids = list(notice.software.values_list("pk", flat=True))
    subscriptions = AlertSubscription.objects.filter(member__is_active=True).select_related(
        "contact", "user", "member"
    )
    if software_ids:
        subscriptions = subscriptions.filter(member__in=members_covering(software_ids))
    subscriptions = subscriptions.filter(Q(contact__isnull=True) | ~Q(contact__email=""))
    return [s for s in subscriptions if s.email]


def _send_alerts(notice: Notice, *, event: str, message: str = "") -> None:
    recipients = alert_recipients(notice)
    if not recipients:
        return
    software = ", ".join(notice.software.values_list("name", flat=True))
    subject = (
        _("[%(name)s] Rétabli : %(title)s") if event == "closed" else _("[%(name)s] %(title)s")
    ) % {"name": settings.SYNDICATE["name"], "title": notice.title}
    messages = []
    for subscription in recipients:
        body = render_to_string(
            "news/email/alert.txt",
            {
                "notice": notice,
                "event": event,
                "message": message,
                "software": software,
                "syndicate": settings.SYNDICATE,
                "url": notice.absolute_url,
                "unsubscribe_url": settings.SITE_URL
                + reverse("news-public:unsubscribe", args=[unsubscribe_token(subscription)]),
            },
        )
        messages.append((subject, body, subscription.email))

    def enqueue():
        for subject_, body_, email in messages:
            send_email.enqueue(subject=subject_, body=body_, to=[email])

    transaction.on_commit(enqueue)
