"""The support desk's data: calls, tickets and their conversation, time spent, SLA pauses
and targets, the annex's exclusions (scope guard) and the inbound-mail triage list.

Rows are written by ``services.py`` only (views, API, commands call the services). Member
data is scoped through ``MemberScopedQuerySet.visible_to(user)``.
"""

import uuid
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.core.scoping import MemberScopedQuerySet
from syndesk.members.models import Contact, Member

from . import rules

# --------------------------------------------------------------------------- choices


class Channel(models.TextChoices):
    PHONE = "phone", _("Téléphone")
    PORTAL = "portal", _("Portail")
    EMAIL = "email", _("Courriel")
    REMOTE = "remote", _("Télémaintenance")


class Category(models.TextChoices):
    USAGE = "usage", _("Question d'utilisation")
    ANOMALY = "anomaly", _("Anomalie")
    RESTORE = "restore", _("Restauration de données")
    NEW_VERSION = "new_version", _("Aide à l'installation d'une nouvelle version")
    OUT_OF_SCOPE = "out_of_scope", _("Hors périmètre")
    OTHER = "other", _("Autre")


class Priority(models.IntegerChoices):
    # Integers so that "most urgent first" is a plain ORDER BY.
    LOW = 1, _("Basse")
    NORMAL = 2, _("Normale")
    HIGH = 3, _("Haute")
    URGENT = 4, _("Urgente")


class Status(models.TextChoices):
    NEW = rules.NEW, _("Nouvelle")
    IN_PROGRESS = rules.IN_PROGRESS, _("En cours")
    WAITING_MEMBER = rules.WAITING_MEMBER, _("En attente de l'adhérent")
    WAITING_VENDOR = rules.WAITING_VENDOR, _("En attente de l'éditeur")
    RESOLVED = rules.RESOLVED, _("Résolue")
    # With a context: Django's own French catalogue translates the English "Close" (a
    # button) to "Fermer"; this "Close" is the French adjective (a closed request).
    CLOSED = rules.CLOSED, pgettext_lazy("ticket status", "Close")


OPEN_STATUSES = list(rules.OPEN_STATUSES)
WAITING_STATUSES = list(rules.WAITING_STATUSES)


class Outcome(models.TextChoices):
    SOLVED = "solved", _("Résolue")
    BY_SHEET = "by_sheet", _("Résolue par une fiche pratique")
    REDIRECTED = "redirected", _("Réorientée (hors périmètre)")
    DUPLICATE = "duplicate", _("Doublon")
    ABANDONED = "abandoned", _("Abandonnée")


#: Outcomes of resolve() (the member can still reopen) and of a direct close().
RESOLVE_OUTCOMES = (Outcome.SOLVED, Outcome.BY_SHEET)
CLOSE_OUTCOMES = (Outcome.DUPLICATE, Outcome.ABANDONED)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfait")
    UNSATISFIED = "unsatisfied", _("Pas satisfait")


# --------------------------------------------------------------------------- reference data


class ExclusionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Exclusion(models.Model):
    """A kind of request the assistance does not cover ("Ne sont pas compris dans
    l'assistance", annex), with the keywords that suggest it and the standard answer sent
    when an agent redirects a ticket. Note [1] of the annex: these requests "doivent être
    sollicitées par la collectivité auprès de ses fournisseurs et interlocuteurs habituels".
    Editable by managers; the six of the annex are seeded by a data migration."""

    title = models.CharField(_("intitulé"), max_length=200)
    keywords = models.TextField(
        _("mots-clés"),
        blank=True,
        help_text=_(
            "Un mot-clé par ligne. Sans accents ni majuscules nécessaires ; un mot-clé "
            "reconnaît les mots qui commencent par lui (« format » reconnaît « formation »)."
        ),
    )
    answer = models.TextField(
        _("réponse type"),
        help_text=_("Envoyée à l'adhérent lorsque la demande est réorientée."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = ExclusionQuerySet.as_manager()

    class Meta:
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def keyword_list(self) -> list[str]:
        return rules.keywords_of(self.keywords)


class SLATargetQuerySet(models.QuerySet):
    def as_map(self) -> dict[int, "SLATarget"]:
        """{priority: target}: one query, for queues and SLA states."""
        return {t.priority: t for t in self}


class SLATarget(models.Model):
    """The service levels for one priority: first response and resolution, in business
    time (the annex's opening hours). The seeded values are defaults that managers edit;
    a change applies to tickets opened (or re-prioritised) afterwards."""

    priority = models.PositiveSmallIntegerField(
        _("priorité"), choices=Priority.choices, unique=True
    )
    first_response = models.DurationField(_("première réponse (temps ouvré)"))
    resolution = models.DurationField(_("résolution (temps ouvré)"))

    objects = SLATargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("objectif de service")
        verbose_name_plural = _("objectifs de service")
        ordering = ["-priority"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response__gt=timedelta(0))
                & Q(resolution__gte=models.F("first_response")),
                name="sla_target_positive_and_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_priority_display())


# --------------------------------------------------------------------------- tickets


class TicketQuerySet(MemberScopedQuerySet):
    member_path = "member"

    def open(self):
        # The stored ``open_flag`` column, not ``status IN (...)``: SQLite gets the statuses
        # as bound parameters and then never uses an index for the condition (2-3 s with
        # 1,000,000 tickets); an equality on the leading column of an index works.
        return self.filter(open_flag=True)

    def for_list(self):
        """What a list row shows, in one query (no per-row queries)."""
        return self.select_related("member", "contact", "software", "version__software", "assignee")

    def breaching(self, *, now: datetime, calendar, targets: dict[int, "SLATarget"]):
        """Open, running (not paused) tickets whose first response or resolution is due
        within the warning threshold of their priority, or already overdue.

        Business-time thresholds become instants per priority (``calendar.add(now, t)``), so
        the filter is plain indexed comparisons on the due dates."""
        condition = Q(pk__in=[])
        for priority, target in targets.items():
            first_limit = calendar.add(now, rules.warning_threshold(target.first_response))
            resolution_limit = calendar.add(now, rules.warning_threshold(target.resolution))
            condition |= Q(priority=priority) & (
                Q(first_responded_at__isnull=True, first_response_due__lte=first_limit)
                | Q(resolution_due__lte=resolution_limit)
            )
        return self.open().filter(paused_since__isnull=True).filter(condition)


_OPEN = Q(status__in=OPEN_STATUSES)


class Ticket(models.Model):
    """A request for assistance from a member organisation (the annex: "assistance
    téléphonique à l'utilisation sur différents logiciels métiers et outils de
    dématérialisation", during opening hours, for members with an active subscription).

    * ``reference`` is gapless per year (core.numbering, series "AS"): AS-2026-00042.
    * ``entitled``/``entitlement_note`` snapshot the subscription check when the ticket is
      opened, re-evaluated when the member or the software changes (setting
      DESK_ENTITLEMENT_POLICY: warn or refuse).
    * ``exclusion`` is set when the request is redirected as out of scope (annex note [1]).
    * SLA due dates are aware datetimes computed in business time from ``created_at``;
      ``paused_since`` is set while the ticket waits for the member or the vendor (the DB
      enforces: paused exactly when in a waiting status); resuming pushes the due dates by
      the business time paused, also summed in ``paused_business``.
    """

    reference = models.CharField(_("référence"), max_length=20, unique=True)
    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="tickets"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandeur (portail)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_tickets",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ouverte par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    software = models.ForeignKey(
        Software,
        verbose_name=_("logiciel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    version = models.ForeignKey(
        SoftwareVersion,
        verbose_name=_("version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    category = models.CharField(
        _("catégorie"), max_length=15, choices=Category.choices, default=Category.USAGE
    )
    priority = models.PositiveSmallIntegerField(
        _("priorité"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("état"), max_length=15, choices=Status.choices, default=Status.NEW)
    outcome = models.CharField(_("issue"), max_length=12, choices=Outcome.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent en charge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True, "is_active": True},
    )
    subject = models.CharField(_("objet"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    entitled = models.BooleanField(_("couverte par un abonnement"), default=True)
    entitlement_note = models.CharField(_("droit à l'assistance"), max_length=255, blank=True)
    exclusion = models.ForeignKey(
        Exclusion,
        verbose_name=_("exclusion"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("doublon de"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("suite de"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    # Message-ID of the mail that opened the ticket or of its acknowledgement: replies to it
    # thread into the ticket.
    email_message_id = models.CharField(max_length=255, blank=True, db_index=True)

    first_response_due = models.DateTimeField(_("première réponse attendue le"), null=True)
    resolution_due = models.DateTimeField(_("résolution attendue le"), null=True)
    first_responded_at = models.DateTimeField(_("première réponse le"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("résolue le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    paused_since = models.DateTimeField(_("en pause depuis"), null=True, blank=True)
    paused_business = models.DurationField(_("temps ouvré en pause"), default=timedelta(0))

    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    satisfaction_comment = models.TextField(_("commentaire"), blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_at = models.DateTimeField(_("ouverte le"))
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)

    # status IN OPEN_STATUSES, stored by the database (read by the queue indexes; the
    # ``is_open`` property stays the in-memory answer, current before a save).
    open_flag = models.GeneratedField(
        expression=_OPEN, output_field=models.BooleanField(), db_persist=True
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande d'assistance")
        verbose_name_plural = _("demandes d'assistance")
        ordering = ["-created_at", "-pk"]
        permissions = [("view_desk_reports", _("Consulter les statistiques de l'assistance"))]
        indexes = [
            # Queues read open tickets by due date: indexes led by the stored ``open_flag``
            # (an equality SQLite can use with a bound parameter, unlike a partial index on
            # ``status IN (...)``) stay ordered whatever the number of closed tickets.
            models.Index(fields=["open_flag", "resolution_due", "id"], name="desk_open_due"),
            models.Index(
                fields=["open_flag", "assignee", "resolution_due", "id"],
                name="desk_open_assignee",
            ),
            models.Index(fields=["open_flag", "first_response_due"], name="desk_open_first_due"),
            # The "unassigned" tab: PostgreSQL does not read desk_open_assignee in due-date
            # order after an ``assignee IS NULL`` (it joined and sorted every unassigned open
            # ticket, 11-23 ms with 1,000 of them); this small partial index is in that order.
            models.Index(
                fields=["resolution_due", "id"],
                condition=Q(open_flag=True, assignee__isnull=True),
                name="desk_unassigned_due",
            ),
            models.Index(
                fields=["open_flag", "software", "resolution_due", "id"],
                name="desk_open_software",
            ),
            models.Index(fields=["member", "-created_at"], name="desk_member_created"),
            models.Index(fields=["software", "-created_at"], name="desk_software_created"),
            models.Index(fields=["status", "-created_at"], name="desk_status_created"),
            models.Index(fields=["assignee", "status"], name="desk_assignee_status"),
            models.Index(fields=["-created_at", "-id"], name="desk_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(paused_since__isnull=True) & ~Q(status__in=WAITING_STATUSES))
                | (Q(paused_since__isnull=False) & Q(status__in=WAITING_STATUSES)),
                name="desk_paused_iff_waiting",
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(status__in=[Status.RESOLVED, Status.CLOSED]),
                name="desk_outcome_only_when_done",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.REDIRECTED) | Q(exclusion__isnull=False),
                name="desk_redirected_has_exclusion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    def sla(self, *, now: datetime, calendar, target: SLATarget | None) -> dict[str, rules.Clock]:
        """Both SLA clocks at ``now`` ({"first_response": Clock, "resolution": Clock}).
        No query: pass the calendar and ``SLATarget.objects.as_map().get(ticket.priority)``."""
        done = self.resolved_at or self.closed_at
        return {
            "first_response": rules.clock(
                calendar,
                due=self.first_response_due,
                target=target.first_response if target else None,
                now=now,
                met_at=self.first_responded_at or done,
                paused_since=self.paused_since,
            ),
            "resolution": rules.clock(
                calendar,
                due=self.resolution_due,
                target=target.resolution if target else None,
                now=now,
                met_at=done,
                paused_since=self.paused_since,
            ),
        }


class MessageQuerySet(MemberScopedQuerySet):
    member_path = "ticket__member"

    def public(self):
        return self.filter(kind=TicketMessage.Kind.PUBLIC)


class TicketMessage(models.Model):
    """One entry of a ticket's conversation: a public reply (seen by the member, mailed),
    an internal note (staff only) or a system event (status change, refused attachment...).
    The author is a user, or for inbound mail from a contact without an account, the
    contact and the sender's address. Message-ID/In-Reply-To thread mail replies."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("Réponse")
        INTERNAL = "internal", _("Note interne")
        EVENT = "event", _("Événement")

    class Via(models.TextChoices):
        WEB = "web", _("Web")
        EMAIL = "email", _("Courriel")
        SYSTEM = "system", _("Système")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    via = models.CharField(_("par"), max_length=10, choices=Via.choices, default=Via.WEB)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_email = models.EmailField(_("adresse de l'expéditeur"), blank=True)
    from_staff = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    email_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("date"))

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="desk_message_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.get_kind_display()} {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def author_label(self) -> str:
        if self.author_id:
            return str(self.author)
        if self.contact_id:
            return str(self.contact)
        return self.author_email or str(_("Système"))


def attachment_path(instance: "TicketAttachment", filename: str) -> str:
    # A random name: the original (sanitised) name is kept in the row, never in a URL.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"desk/attachments/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class AttachmentQuerySet(MemberScopedQuerySet):
    member_path = "ticket__member"


class TicketAttachment(models.Model):
    """A file attached to a message, checked for its real type (sniffed from its first
    bytes: PDF, PNG, JPEG or plain text/CSV) and its size (DESK_ATTACHMENT_MAX_BYTES).
    Served only through a scoped view (member data)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("nom"), max_length=150)
    size = models.PositiveIntegerField(_("taille (octets)"))
    kind = models.CharField(_("type"), max_length=10)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("date"))

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def content_type(self) -> str:
        return {
            "pdf": "application/pdf",
            "png": "image/png",
            "jpeg": "image/jpeg",
            "csv": "text/plain",
        }.get(self.kind, "application/octet-stream")


class TimeEntryQuerySet(MemberScopedQuerySet):
    member_path = "ticket__member"


class TimeEntry(models.Model):
    """Time an agent spent on a ticket (reports: time spent per member, software...)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="desk_time_entries",
    )
    minutes = models.PositiveIntegerField(_("minutes"))
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("temps passé")
        verbose_name_plural = _("temps passés")
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["agent", "date"], name="desk_time_agent_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0) & Q(minutes__lte=24 * 60), name="desk_time_minutes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.minutes} min"


class SLAPause(models.Model):
    """A stretch during which the SLA clocks were stopped: the ticket waited for the member
    or for the vendor (or was resolved, then reopened). A reason is required."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses")
    status = models.CharField(_("état"), max_length=15, choices=Status.choices)
    reason = models.CharField(_("motif"), max_length=255)
    started_at = models.DateTimeField(_("début"))
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    business_duration = models.DurationField(_("durée ouvrée"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("pause du délai")
        verbose_name_plural = _("pauses du délai")
        ordering = ["started_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="desk_pause_reason"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="desk_pause_ordered",
            ),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ended_at__isnull=True), name="desk_one_open_pause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.reason}"


class SLAAlert(models.Model):
    """A "breaching soon" or "breached" notification already sent, so that the watch sends
    each one once per ticket, clock, level and due date (a due date pushed by a pause may
    warn again)."""

    class Clock(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("première réponse")
        RESOLUTION = "resolution", _("résolution")

    class Level(models.TextChoices):
        SOON = "soon", _("échéance proche")
        BREACHED = "breached", _("délai dépassé")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alerts")
    clock = models.CharField(max_length=15, choices=Clock.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    due = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("alerte de délai")
        verbose_name_plural = _("alertes de délai")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "clock", "level", "due"], name="desk_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.clock} {self.level}"


# --------------------------------------------------------------------------- calls


class CallQuerySet(MemberScopedQuerySet):
    member_path = "member"


class Call(models.Model):
    """A phone call taken by an agent. The caller is identified from the number (E.164)
    against the members' and contacts' numbers; the annex's assistance is first of all
    telephone assistance during opening hours. A call may lead to a ticket."""

    number = models.CharField(_("numéro"), max_length=32, db_index=True)
    member = models.ForeignKey(
        Member,
        verbose_name=_("adhérent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="desk_calls",
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("demande"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    started_at = models.DateTimeField(_("début"))
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("appel")
        verbose_name_plural = _("appels")
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["-started_at"], name="desk_call_started"),
            models.Index(fields=["member", "-started_at"], name="desk_call_member"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="desk_call_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.started_at:%d/%m/%Y %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        if self.ended_at is None:
            return None
        return self.ended_at - self.started_at


# --------------------------------------------------------------------------- inbound mail


def inbound_path(instance: "InboundEmail", filename: str) -> str:
    return f"desk/inbound/{instance.received_at:%Y/%m}/{uuid.uuid4().hex}.eml"


class InboundEmail(models.Model):
    """Every mail read from the desk's mailbox, kept raw (.eml) so that nothing is lost.
    Mail threaded into a ticket or opening one is "processed"; the others (unknown sender,
    reply to a closed ticket, ambiguous sender, automatic reply, failure) wait in the
    triage list ("pending") until an agent attaches or dismisses them."""

    class Status(models.TextChoices):
        PROCESSED = "processed", _("Traité")
        PENDING = "pending", _("À trier")
        DISMISSED = "dismissed", _("Écarté")

    class Reason(models.TextChoices):
        NONE = "", _("—")
        UNKNOWN_SENDER = "unknown_sender", _("Expéditeur inconnu")
        AMBIGUOUS_SENDER = "ambiguous", _("Expéditeur rattaché à plusieurs adhérents")
        CLOSED_TICKET = "closed_ticket", _("Réponse à une demande close")
        AUTO_REPLY = "auto_reply", _("Réponse automatique")
        REFUSED = "refused", _("Demande refusée")
        FAILED = "failed", _("Erreur de traitement")

    received_at = models.DateTimeField(_("reçu le"))
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    from_address = models.EmailField(_("expéditeur"), max_length=254, blank=True)
    from_name = models.CharField(_("nom de l'expéditeur"), max_length=200, blank=True)
    subject = models.CharField(_("objet"), max_length=255, blank=True)
    body = models.TextField(_("texte"), blank=True)
    raw = models.FileField(_("message d'origine"), upload_to=inbound_path, max_length=200)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("motif"), max_length=15, choices=Reason.choices, blank=True)
    error = models.TextField(_("détail"), blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("demande"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("courriel reçu")
        verbose_name_plural = _("courriels reçus")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "-received_at"], name="desk_inbound_status")]

    def __str__(self) -> str:
        return f"{self.from_address} — {self.subject}"
