"""Remote-maintenance sessions under the annex's three rules (see rules.py): the tools, the
sessions, the consent records, the presence log, the hand-overs and the event trail.

Rows are written by ``services.py`` only. Member data is scoped through
``MemberScopedQuerySet.visible_to(user)``. Nothing here is ever deleted by the application:
the trail is the syndicate's proof that the annex was followed (and, under the GDPR, the
"logged consent record for each remote-access session").
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syndesk.core.scoping import MemberScopedQuerySet
from syndesk.desk.models import Ticket
from syndesk.members.models import Contact, Member

from . import rules

_TEMPLATE_MESSAGES = {
    "empty": _("Indiquez le modèle de lien."),
    "too_long": _("Le modèle de lien est trop long (500 caractères au plus)."),
    "placeholder": _("Le modèle doit contenir {session_id}, remplacé par l'identifiant."),
    "braces": _("Seul {session_id} peut figurer entre accolades."),
    "whitespace": _("Le modèle ne peut pas contenir d'espace ni de caractère de contrôle."),
    "scheme": _(
        "Le lien doit commencer par https:// ou par le protocole de l'outil (rustdesk://…)."
    ),
    "forbidden_scheme": _(
        "Ce protocole est interdit : utilisez https:// ou le protocole propre à l'outil."
    ),
    "https_host": _("Un lien https:// doit indiquer le nom du serveur."),
}


def validate_launch_template(value: str) -> None:
    errors = rules.template_errors(value)
    if errors:
        raise ValidationError([_TEMPLATE_MESSAGES[code] for code in errors], code="template")


class RemoteTool(models.Model):
    """A remote-control tool the agents use (RustDesk, MeshCentral, TeamViewer, AnyDesk...):
    configuration, not code. The launch link is built from ``link_template`` only after the
    member's consent; the template is checked (https or the tool's own scheme, never
    ``javascript:``, the ``{session_id}`` placeholder present)."""

    name = models.CharField(_("nom"), max_length=80, unique=True)
    link_template = models.CharField(
        _("modèle de lien de lancement"),
        max_length=500,
        validators=[validate_launch_template],
        help_text=_("Par exemple rustdesk://{session_id} ; {session_id} est remplacé."),
    )
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("outil de télémaintenance")
        verbose_name_plural = _("outils de télémaintenance")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    REQUESTED = rules.REQUESTED, _("En attente d'accord")
    REFUSED = rules.REFUSED, _("Refusée")
    EXPIRED = rules.EXPIRED, _("Expirée")
    OPEN = rules.OPEN, _("Ouverte")
    CLOSED = rules.CLOSED, _("Fermée par l'utilisateur")
    ABANDONED = rules.ABANDONED, _("Abandonnée")


class CloseKind(models.TextChoices):
    BY_USER = "by_user", _("par l'utilisateur")
    ABANDONED = "abandoned", _("abandonnée (durée maximale dépassée)")


class RemoteSessionQuerySet(MemberScopedQuerySet):
    member_path = "member"

    def active(self):
        return self.filter(status__in=rules.ACTIVE_STATUSES)

    def for_page(self):
        return self.select_related(
            "ticket",
            "member",
            "tool",
            "requested_by",
            "closed_by",
            "present_user",
            "present_contact",
        )


class RemoteSession(models.Model):
    """One remote intervention on a member's workstation, from the agent's request to the
    member's closing. The annex: opened after the user's agreement (``ConsentRecord``), with
    the user or a responsible person present throughout (``PresenceSpan``,
    ``PresenceHandover``), closed by the user (``closed_by``, ``close_kind``).

    ``token`` is the portal's unguessable address of the request (the link in the email).
    ``member`` repeats ``ticket.member`` at request time: the session belongs to that
    organisation even if the ticket is later moved."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("demande"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="+"
    )
    tool = models.ForeignKey(
        RemoteTool, verbose_name=_("outil"), on_delete=models.PROTECT, related_name="sessions"
    )
    tool_session_id = models.CharField(_("identifiant de session de l'outil"), max_length=64)
    reason = models.TextField(_("motif"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandée par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("demandée le"))
    expires_at = models.DateTimeField(_("expire le"))
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    decided_at = models.DateTimeField(_("décision le"), null=True, blank=True)
    opened_at = models.DateTimeField(_("ouverte le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("fermée le"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fermée par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_kind = models.CharField(
        _("fermeture"), max_length=10, choices=CloseKind.choices, blank=True
    )
    close_requested_at = models.DateTimeField(_("fermeture demandée le"), null=True, blank=True)
    # Who is present now: the user who accepted, then whoever presence was handed over to
    # (a portal user, or a named contact of the member without an account).
    present_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personne présente"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    present_contact = models.ForeignKey(
        Contact,
        verbose_name=_("personne présente (contact)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_presence_at = models.DateTimeField(_("dernière présence"), null=True, blank=True)
    presence_lost = models.BooleanField(_("présence perdue"), default=False)
    presence_lost_count = models.PositiveIntegerField(_("pertes de présence"), default=0)

    objects = RemoteSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session de télémaintenance")
        verbose_name_plural = _("sessions de télémaintenance")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="remote_status_expires"),
            models.Index(fields=["status", "last_presence_at"], name="remote_status_presence"),
            models.Index(fields=["member", "-requested_at"], name="remote_member_requested"),
            models.Index(fields=["ticket", "-requested_at"], name="remote_ticket_requested"),
            models.Index(fields=["-requested_at"], name="remote_requested"),
        ]
        constraints = [
            # Rule 1: no open (or closed) session without the moment of consent.
            models.CheckConstraint(
                condition=Q(opened_at__isnull=False)
                | ~Q(status__in=[rules.OPEN, rules.CLOSED, rules.ABANDONED]),
                name="remote_open_after_consent",
            ),
            # Rule 3: a finished session says when and how it ended.
            models.CheckConstraint(
                condition=(
                    Q(status__in=[rules.CLOSED, rules.ABANDONED])
                    & Q(closed_at__isnull=False)
                    & ~Q(close_kind="")
                )
                | (~Q(status__in=[rules.CLOSED, rules.ABANDONED]) & Q(close_kind="")),
                name="remote_closed_has_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status=rules.CLOSED) | Q(closed_by__isnull=False),
                name="remote_closed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return _("Télémaintenance n° %(pk)s (%(ticket)s)") % {
            "pk": self.pk,
            "ticket": self.ticket.reference,
        }

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def is_pending(self) -> bool:
        return self.status == Status.REQUESTED

    @property
    def duration(self):
        return rules.duration(self.opened_at, self.closed_at)

    @property
    def duration_label(self) -> str:
        return rules.duration_label(self.duration)

    @property
    def present_label(self) -> str:
        if self.present_contact_id:
            return str(self.present_contact)
        if self.present_user_id:
            return self.present_user.get_full_name() or self.present_user.email
        return ""

    def launch_link(self) -> str | None:
        """The tool's link, only while the session is open (after consent); never before."""
        if self.status != Status.OPEN:
            return None
        try:
            return rules.launch_link(self.tool.link_template, self.tool_session_id)
        except ValueError:
            return None


class ChildQuerySet(MemberScopedQuerySet):
    member_path = "session__member"


class Decision(models.TextChoices):
    ACCEPT = "accept", _("Accord")
    REFUSE = "refuse", _("Refus")


class ConsentRecord(models.Model):
    """The member user's explicit decision on a request: who, when, from which address and
    browser, and the exact French text shown (stored, with its SHA-256), so the proof does
    not depend on today's wording of the page."""

    session = models.ForeignKey(RemoteSession, on_delete=models.PROTECT, related_name="consents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("décision"), max_length=6, choices=Decision.choices)
    at = models.DateTimeField(_("le"))
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=400, blank=True)
    text = models.TextField(_("texte présenté"))
    text_sha256 = models.CharField(_("empreinte SHA-256 du texte"), max_length=64)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("accord de télémaintenance")
        verbose_name_plural = _("accords de télémaintenance")
        ordering = ["at", "pk"]
        constraints = [
            # One decision per request: a second one is refused by the service, and the
            # database backs it up.
            models.UniqueConstraint(fields=["session"], name="remote_one_decision"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} — {self.user}"


class PresenceSpan(models.Model):
    """The compact presence log: one row per stretch of continuous presence confirmations
    from the member's page (first and last beat, number of beats), not one row per beat."""

    session = models.ForeignKey(RemoteSession, on_delete=models.PROTECT, related_name="spans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("depuis"))
    last_at = models.DateTimeField(_("jusqu'à"))
    beats = models.PositiveIntegerField(_("confirmations"), default=1)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("présence confirmée")
        verbose_name_plural = _("présences confirmées")
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["session", "-last_at"], name="remote_span_last")]

    def __str__(self) -> str:
        return f"{self.user} {self.started_at:%H:%M:%S}–{self.last_at:%H:%M:%S}"


class PresenceHandover(models.Model):
    """Presence handed over to another named person of the member (a portal user or a
    contact): the annex allows "un responsable de la collectivité" instead of the user."""

    session = models.ForeignKey(RemoteSession, on_delete=models.PROTECT, related_name="handovers")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("le"))
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("passage de relais")
        verbose_name_plural = _("passages de relais")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_user__isnull=False, to_contact__isnull=True)
                | Q(to_user__isnull=True, to_contact__isnull=False),
                name="remote_handover_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user or self.to_contact}"


class EventKind(models.TextChoices):
    REQUESTED = "requested", _("Demande de session")
    ACCEPTED = "accepted", _("Accord de l'utilisateur")
    REFUSED = "refused", _("Refus de l'utilisateur")
    ATTEMPT_REFUSED = "attempt_refused", _("Tentative refusée")
    EXPIRED = "expired", _("Demande expirée")
    PRESENCE_LOST = "presence_lost", _("Présence perdue")
    PRESENCE_RESTORED = "presence_restored", _("Présence rétablie")
    HANDOVER = "handover", _("Passage de relais")
    CLOSE_REQUESTED = "close_requested", _("Fermeture demandée par l'agent")
    CLOSED = "closed", _("Session fermée par l'utilisateur")
    ABANDONED = "abandoned", _("Session abandonnée")


class SessionEvent(models.Model):
    """The trail of a session, in order: what happened, who did it, from which address.
    Refused attempts (expired request, another member's user, an agent trying to close or
    to confirm presence) are events too: the annex's rules are proven by what was refused
    as much as by what was done."""

    session = models.ForeignKey(RemoteSession, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("événement"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("le"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    detail = models.CharField(_("détail"), max_length=300, blank=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement de télémaintenance")
        verbose_name_plural = _("événements de télémaintenance")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["kind", "at"], name="remote_event_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.at:%Y-%m-%d %H:%M}"
