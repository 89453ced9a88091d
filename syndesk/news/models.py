"""Notices the syndicate publishes to its members (the annex's "notificateur (flux RSS)"):
software news and new versions, service interruptions, planned maintenance and general
information such as closure days. Published notices feed the public pages, the RSS/Atom
feeds, the status page and the iCalendar; drafts never leave the back office."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.core.scoping import MemberScopedQuerySet
from syndesk.members.models import Contact, Member

# The clock's value before anything was ever published (a fixed, old instant).
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


class NoticeQuerySet(models.QuerySet):
    def published(self) -> "NoticeQuerySet":
        return self.filter(status=Notice.Status.PUBLISHED)

    def visible_to(self, user) -> "NoticeQuerySet":
        """Staff see drafts too; everybody else (anonymous included) only published ones."""
        if user is not None and user.is_authenticated and user.is_active and user.is_staff:
            return self
        return self.published()

    def general(self) -> "NoticeQuerySet":
        """Notices about no software in particular (the desk itself, closure days...)."""
        return self.filter(~Exists(_notice_software().filter(notice=OuterRef("pk"))))

    def for_software_ids(self, ids) -> "NoticeQuerySet":
        """General notices plus those concerning any of `ids` (a member's private feed)."""
        through = _notice_software()
        return self.filter(
            ~Exists(through.filter(notice=OuterRef("pk")))
            | Exists(through.filter(notice=OuterRef("pk"), software_id__in=list(ids)))
        )

    def newest_first(self) -> "NoticeQuerySet":
        return self.order_by("-published_at", "-pk")

    def ongoing_interruptions(self, now) -> "NoticeQuerySet":
        return self.published().filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=now),
            kind=Notice.Kind.INTERRUPTION,
            resolved_at__isnull=True,
        )

    def coming_maintenance(self, now) -> "NoticeQuerySet":
        """Planned maintenance not over yet (under way or to come)."""
        return self.published().filter(
            kind=Notice.Kind.MAINTENANCE, ends_at__gt=now, resolved_at__isnull=True
        )


def _notice_software():
    return Notice.software.through.objects


class Notice(models.Model):
    """One notice. Its GUID is fixed at creation and never changes, so that feed readers
    never show an edited notice twice; `published_at` is the first publication and
    `updated_at` the last change members can see (edit, follow-up, resolution)."""

    class Kind(models.TextChoices):
        NEWS = "news", _("Nouveauté logicielle")
        INTERRUPTION = "interruption", _("Interruption de service")
        MAINTENANCE = "maintenance", _("Maintenance programmée")
        INFO = "info", _("Information générale")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Gêne mineure")
        DEGRADED = "degraded", _("Service dégradé")
        OUTAGE = "outage", _("Service indisponible")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publié")

    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.NEWS)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(
        _("texte"),
        blank=True,
        help_text=_(
            "Mise en forme Markdown : **gras**, *italique*, listes avec « - », "
            "liens [texte](https://…)."
        ),
    )
    software = models.ManyToManyField(
        Software,
        verbose_name=_("logiciels concernés"),
        blank=True,
        related_name="notices",
        help_text=_("Aucun : l'avis concerne tous les adhérents."),
    )
    version = models.ForeignKey(
        SoftwareVersion,
        verbose_name=_("version du catalogue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
    )
    severity = models.CharField(_("gravité"), max_length=10, choices=Severity.choices, blank=True)
    starts_at = models.DateTimeField(_("début"), null=True, blank=True)
    ends_at = models.DateTimeField(
        _("fin"),
        null=True,
        blank=True,
        help_text=_("Pour une interruption : fin prévue, si elle est connue."),
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(_("mis à jour le"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    guid = models.CharField(_("identifiant permanent"), max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("avis")
        verbose_name_plural = _("avis")
        ordering = ["-published_at", "-created_at", "-pk"]
        permissions = [("publish_notice", _("Publier, suivre et clore les avis"))]
        indexes = [
            # Feeds read the newest published notices (ties broken by id) 50 at a time.
            models.Index(fields=["status", "-published_at", "-id"], name="notice_newest_idx"),
            models.Index(
                fields=["kind", "status", "-published_at", "-id"], name="notice_kind_newest_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="notice_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="notice_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news-public:detail", args=[self.pk])

    def tag_guid(self) -> str:
        """RFC 4151 tag URI: our host and the creation date make it unique for good. It is
        stored at creation, so a later change of SITE_URL does not change what feed readers
        already hold."""
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},{self.created_at:%Y-%m-%d}:notice:{self.pk}"

    @property
    def absolute_url(self) -> str:
        return f"{settings.SITE_URL}{self.get_absolute_url()}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def has_window(self) -> bool:
        return self.kind in (self.Kind.INTERRUPTION, self.Kind.MAINTENANCE)

    @property
    def is_open_incident(self) -> bool:
        return self.has_window and self.resolved_at is None

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.MAINTENANCE:
            if self.starts_at is None:
                errors["starts_at"] = _("Indiquez le début de la maintenance.")
            if self.ends_at is None:
                errors["ends_at"] = _("Indiquez la fin prévue de la maintenance.")
        if self.kind == self.Kind.INTERRUPTION and self.starts_at is None:
            errors["starts_at"] = _("Indiquez le début de l'interruption.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("La fin doit être postérieure au début.")
        if self.ends_at and not self.starts_at and "starts_at" not in errors:
            errors["starts_at"] = _("Indiquez un début avant une fin.")
        if errors:
            raise ValidationError(errors)


class NoticeUpdate(models.Model):
    """A dated follow-up of a published notice ("les équipes de l'éditeur interviennent"),
    or its resolution message when the notice is closed. Never edited afterwards: members
    may have read it in their feed."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="updates")
    created_at = models.DateTimeField(_("date"), default=timezone.now)
    body = models.TextField(_("message"))
    is_resolution = models.BooleanField(_("résolution"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("suivi d'un avis")
        verbose_name_plural = _("suivis des avis")
        ordering = ["notice", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.notice} — {self.created_at:%d/%m/%Y %H:%M}"


class PublicationClock(models.Model):
    """One row: when the published content last changed (a notice published, edited,
    followed up, closed or withdrawn; a closure day recorded). Feeds answer conditional
    requests from it with a primary-key lookup instead of scanning notices, and their
    rendered bodies are cached under it."""

    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("horloge de publication")

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M:%S.%f}"

    @classmethod
    def now(cls):
        value = cls.objects.filter(pk=1).values_list("changed_at", flat=True).first()
        return value or EPOCH

    @classmethod
    def touch(cls) -> None:
        # Strictly increasing even if two changes fall in the same clock tick.
        previous = cls.now()
        stamp = max(timezone.now(), previous + timedelta(microseconds=1))
        cls.objects.update_or_create(pk=1, defaults={"changed_at": stamp})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FeedTokenQuerySet(MemberScopedQuerySet):
    member_path = "member"

    def active(self) -> "FeedTokenQuerySet":
        return self.filter(revoked_at__isnull=True)

    def resolve(self, token: str) -> "PrivateFeedOwner | None":
        """What a private feed needs to answer, in one query: the active member behind an
        active token and the software its open subscription covers; None otherwise.

        Only a SHA-256 of the token is stored: the lookup goes through the digest's unique
        index (nothing secret-dependent is compared in Python), and a copy of the database
        yields no usable URL.

        Hand-written SQL on purpose: this runs on every poll of every private feed, and
        the ORM's query building cost more than the query itself (see bench/bench_feeds.py).
        """
        if not token or len(token) > 100:
            return None
        quote = connection.ops.quote_name
        tokens, members = quote(FeedToken._meta.db_table), quote(Member._meta.db_table)
        joins, software = "", "NULL"
        if apps.is_installed("syndesk.contracts"):
            subscription = apps.get_model("contracts", "Subscription")
            through = subscription.software.through
            joins = (
                f" LEFT JOIN {quote(subscription._meta.db_table)} s ON s.member_id = m.id"
                f" AND s.status <> %s"
                f" LEFT JOIN {quote(through._meta.db_table)} ss ON ss.subscription_id = s.id"
            )
            software = "ss.software_id"
        # Only quoted table names are interpolated; every value is a query parameter.
        sql = (
            f"SELECT m.id, m.name, {software} FROM {tokens} t"  # noqa: S608
            f" JOIN {members} m ON m.id = t.member_id{joins}"
            " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND m.is_active = %s"
        )
        params = [hash_token(token), True]
        if joins:
            params.insert(0, subscription.Status.ENDED)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        ids = sorted({row[2] for row in rows if row[2] is not None})
        return PrivateFeedOwner(member_id=rows[0][0], member_name=rows[0][1], software_ids=ids)


@dataclass(frozen=True)
class PrivateFeedOwner:
    member_id: int
    member_name: str
    software_ids: list[int]


class FeedToken(models.Model):
    """The secret in a member's private feed URL. One active token per member; members
    regenerate it (which revokes the old one) or revoke it from the portal."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="feed_tokens")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    objects = FeedTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton de flux privé")
        verbose_name_plural = _("jetons de flux privés")
        ordering = ["member", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(revoked_at__isnull=True),
                name="feed_token_one_active_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.created_at:%d/%m/%Y}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class AlertSubscriptionQuerySet(MemberScopedQuerySet):
    member_path = "member"


class AlertSubscription(models.Model):
    """A person who asked to be emailed when an interruption or a maintenance affecting
    their organisation's software is announced: a contact recorded by staff, or a portal
    user for themselves. Personal data: deleted with the contact or the account, and
    each email carries a one-click unsubscribe link."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="alert_subscriptions")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="news_alerts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("abonnement aux alertes")
        verbose_name_plural = _("abonnements aux alertes")
        ordering = ["member", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=True, user__isnull=False)
                | Q(contact__isnull=False, user__isnull=True),
                name="alert_contact_or_user",
            ),
            models.UniqueConstraint(
                fields=["contact"], condition=Q(contact__isnull=False), name="alert_contact_once"
            ),
            models.UniqueConstraint(
                fields=["member", "user"], condition=Q(user__isnull=False), name="alert_user_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.email}"

    @property
    def email(self) -> str:
        return (self.contact.email if self.contact_id else self.user.email) or ""


def covered_software_ids(member: Member) -> list[int]:
    """The software covered by the member's open subscription (contracts app), or [] when
    it has none — then its private feed carries general notices only."""
    if not apps.is_installed("syndesk.contracts"):
        return []
    subscription = apps.get_model("contracts", "Subscription")
    through = subscription.software.through
    return sorted(
        through.objects.filter(subscription__member=member)
        .exclude(subscription__status=subscription.Status.ENDED)
        .values_list("software_id", flat=True)
        .distinct()
    )


def members_covering(software_ids) -> models.QuerySet:
    """Ids of the members whose open subscription covers any of `software_ids`."""
    if not apps.is_installed("syndesk.contracts"):
        return Member.objects.none().values("pk")
    subscription = apps.get_model("contracts", "Subscription")
    through = subscription.software.through
    return (
        through.objects.filter(software_id__in=list(software_ids))
        .exclude(subscription__status=subscription.Status.ENDED)
        .values("subscription__member_id")
    )
