"""The member's computer inventory: software installed with its licence details,
workstations and servers, and the declarations by which the member fulfils the annex's
duty to inform the syndicate of new software and of hardware changes.

Every model is member data: its queryset derives from MemberScopedQuerySet.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.core.scoping import MemberScopedQuerySet
from syndesk.members.models import Member

from . import rules
from .licence import LicenceKeyField


class Role(models.TextChoices):
    WORKSTATION = "workstation", _("Poste de travail")
    SERVER = "server", _("Serveur")


class OSFamily(models.TextChoices):
    WINDOWS = rules.WINDOWS, "Windows"
    WINDOWS_SERVER = rules.WINDOWS_SERVER, "Windows Server"
    MACOS = rules.MACOS, "macOS"
    LINUX = rules.LINUX, "Linux"


class UpdateStatus(models.TextChoices):
    UP_TO_DATE = "up_to_date", _("À jour")
    PENDING = "pending", _("Mises à jour en attente")
    UNKNOWN = "unknown", _("Inconnu")


class WorkstationQuerySet(MemberScopedQuerySet):
    member_path = "member"


class HardwareSpec(models.Model):
    """What a machine has (a workstation, or the one a planned purchase describes)."""

    role = models.CharField(
        _("rôle"), max_length=12, choices=Role.choices, default=Role.WORKSTATION
    )
    os_family = models.CharField(
        _("famille de système"), max_length=20, choices=OSFamily.choices, blank=True
    )
    os_version = models.CharField(_("version du système"), max_length=40, blank=True)
    cpu = models.CharField(_("processeur"), max_length=120, blank=True)
    cpu_cores = models.PositiveSmallIntegerField(
        _("nombre de cœurs"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    ram_gib = models.DecimalField(
        _("mémoire vive (Go)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    free_disk_gib = models.DecimalField(
        _("espace disque libre (Go)"),
        max_digits=9,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    browser = models.CharField(
        _("navigateur"), max_length=20, choices=list(rules.BROWSERS.items()), blank=True
    )
    browser_version = models.CharField(_("version du navigateur"), max_length=30, blank=True)
    runtimes = models.CharField(
        _("environnements d'exécution"),
        max_length=255,
        blank=True,
        help_text=_("Par exemple : Java 8 ; .NET 4.8"),
    )

    class Meta:
        abstract = True

    @property
    def os_label(self) -> str:
        return rules.os_label(self.os_family, self.os_version)

    def spec(self) -> rules.Spec:
        return rules.Spec(
            os_family=self.os_family,
            os_version=self.os_version,
            cpu_cores=self.cpu_cores,
            ram_gib=self.ram_gib,
            free_disk_gib=self.free_disk_gib,
            browser=self.browser,
            browser_version=self.browser_version,
            runtimes=rules.parse_runtimes(self.runtimes),
            runtimes_known=bool(self.runtimes.strip()),
        )


def _spec_constraints(prefix: str) -> list:
    return [
        models.CheckConstraint(
            condition=models.Q(ram_gib__isnull=True) | models.Q(ram_gib__gt=0),
            name=f"{prefix}_ram_positive",
        ),
        models.CheckConstraint(
            condition=models.Q(free_disk_gib__isnull=True) | models.Q(free_disk_gib__gte=0),
            name=f"{prefix}_disk_not_negative",
        ),
    ]


class Workstation(HardwareSpec):
    """A workstation or server of a member. The annex makes the member responsible for
    keeping it updated (antivirus, Windows updates) and for checking new hardware against
    the editors' prerequisites with the syndicate."""

    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.CASCADE, related_name="workstations"
    )
    name = models.CharField(_("nom"), max_length=80)
    antivirus = models.CharField(_("antivirus"), max_length=80, blank=True)
    antivirus_up_to_date = models.BooleanField(_("antivirus à jour"), null=True, blank=True)
    update_status = models.CharField(
        _("mises à jour du système"),
        max_length=12,
        choices=UpdateStatus.choices,
        default=UpdateStatus.UNKNOWN,
    )
    last_checked = models.DateField(_("dernière vérification"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkstationQuerySet.as_manager()

    class Meta:
        verbose_name = _("poste ou serveur")
        verbose_name_plural = _("postes et serveurs")
        ordering = ["member", "role", "name"]
        constraints = [
            models.UniqueConstraint(fields=["member", "name"], name="workstation_unique_name"),
            *_spec_constraints("workstation"),
        ]

    def __str__(self) -> str:
        return self.name


class InstallationQuerySet(MemberScopedQuerySet):
    member_path = "member"


class Installation(models.Model):
    """A software (in one version) a member uses, with its licence details. The annex asks
    the member to have the licence details at hand when calling; Syndesk keeps them so the
    agent sees them on the call screen. The licence number is shown masked everywhere and
    revealed to staff only on demand, each reveal being audit-logged."""

    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.CASCADE, related_name="installations"
    )
    software = models.ForeignKey(
        Software, verbose_name=_("logiciel"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        SoftwareVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    licence_key = LicenceKeyField(_("numéro ou clé de licence"), max_length=200, blank=True)
    seats = models.PositiveIntegerField(
        _("nombre de postes couverts"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    licence_expiry = models.DateField(_("fin de validité de la licence"), null=True, blank=True)
    vendor_contract_ref = models.CharField(
        _("référence du contrat éditeur"), max_length=80, blank=True
    )
    workstations = models.ManyToManyField(
        Workstation, verbose_name=_("postes et serveurs"), blank=True, related_name="installations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InstallationQuerySet.as_manager()

    class Meta:
        verbose_name = _("logiciel installé")
        verbose_name_plural = _("logiciels installés")
        ordering = ["member", "software__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "software"], name="installation_one_per_software"
            ),
        ]
        permissions = [("reveal_licence", "Can reveal a licence key")]

    def __str__(self) -> str:
        # Never the licence key: this string lands in the audit log and in error pages.
        version = f" {self.version.number}" if self.version_id else ""
        return f"{self.software.name}{version}"

    def __repr__(self) -> str:
        return f"<Installation {self.pk} member={self.member_id} software={self.software_id}>"

    @property
    def masked_licence(self) -> str:
        return str(self.licence_key) if self.licence_key else ""


class DeclarationKind(models.TextChoices):
    SOFTWARE = "software", _("Acquisition d'un logiciel")
    HARDWARE = "hardware", _("Changement de matériel")
    PLANNED = "planned", _("Achat de matériel prévu")


class DeclarationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Transmise")
    NEEDS_DETAILS = "needs_details", _("Précisions demandées")
    ACCEPTED = "accepted", _("Acceptée")
    REJECTED = "rejected", _("Refusée")


OPEN_DECLARATION_STATUSES = [DeclarationStatus.SUBMITTED, DeclarationStatus.NEEDS_DETAILS]


class DeclarationQuerySet(MemberScopedQuerySet):
    member_path = "member"

    def open(self):
        return self.filter(status__in=OPEN_DECLARATION_STATUSES)


class Declaration(HardwareSpec):
    """A member's declaration to the syndicate (annex: "informer Manche Numérique de toute
    nouvelle acquisition de logiciels et modifications de ses matériels"; "s'assurer que
    son futur matériel sera conforme aux prérequis"). Staff accept it (the inventory is
    updated), ask for details, or reject it with a reason."""

    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.CASCADE, related_name="declarations"
    )
    kind = models.CharField(_("objet"), max_length=10, choices=DeclarationKind.choices)
    status = models.CharField(
        _("état"),
        max_length=14,
        choices=DeclarationStatus.choices,
        default=DeclarationStatus.SUBMITTED,
    )
    # Software acquisition (and the software a purchase is meant for).
    software = models.ForeignKey(
        Software,
        verbose_name=_("logiciel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.ForeignKey(
        SoftwareVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    licence_key = LicenceKeyField(_("numéro ou clé de licence"), max_length=200, blank=True)
    seats = models.PositiveIntegerField(
        _("nombre de postes couverts"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    licence_expiry = models.DateField(_("fin de validité de la licence"), null=True, blank=True)
    vendor_contract_ref = models.CharField(
        _("référence du contrat éditeur"), max_length=80, blank=True
    )
    # Hardware change or planned purchase: the machine.
    workstation_name = models.CharField(_("nom du poste ou serveur"), max_length=80, blank=True)
    planned_date = models.DateField(_("date prévue"), null=True, blank=True)
    description = models.TextField(_("précisions"), blank=True)
    # Review.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déclarée par"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("transmise le"), auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("examinée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("examinée le"), null=True, blank=True)
    reason = models.TextField(_("motif ou précisions demandées"), blank=True)
    details_requested_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("relances envoyées"), default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    installation = models.ForeignKey(
        Installation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    workstation = models.ForeignKey(
        Workstation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("déclaration")
        verbose_name_plural = _("déclarations")
        ordering = ["-submitted_at", "-pk"]
        constraints = _spec_constraints("declaration")
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        subject = self.software.name if self.software_id else self.workstation_name
        return f"{self.get_kind_display()} — {subject}" if subject else self.get_kind_display()

    def __repr__(self) -> str:
        return f"<Declaration {self.pk} member={self.member_id} kind={self.kind}>"

    @property
    def masked_licence(self) -> str:
        return str(self.licence_key) if self.licence_key else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DECLARATION_STATUSES

    @property
    def has_machine(self) -> bool:
        return self.kind in (DeclarationKind.HARDWARE, DeclarationKind.PLANNED)
