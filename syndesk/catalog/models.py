from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from syndesk.members.models import PopulationType

from . import rules


class SoftwareCategory(models.TextChoices):
    BUSINESS = "business", _("Logiciel métier")
    DEMATERIALISATION = "demat", _("Outil de dématérialisation")


class Software(models.Model):
    """A piece of software or online platform the desk assists members with."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    editor = models.CharField(_("éditeur"), max_length=120)
    category = models.CharField(_("catégorie"), max_length=10, choices=SoftwareCategory.choices)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("site de l'éditeur"), blank=True)
    is_supported = models.BooleanField(_("couvert par l'assistance"), default=True)

    class Meta:
        verbose_name = _("logiciel")
        verbose_name_plural = _("logiciels")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SoftwareVersion(models.Model):
    """A released version; its prerequisites say what a workstation needs to run it."""

    software = models.ForeignKey(Software, on_delete=models.CASCADE, related_name="versions")
    number = models.CharField(_("version"), max_length=40)
    release_date = models.DateField(_("date de sortie"), null=True, blank=True)
    end_of_support = models.DateField(_("fin de support"), null=True, blank=True)
    notes = models.TextField(_("notes de version"), blank=True)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["software__name", "-release_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["software", "number"], name="software_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.software.name} {self.number}"


class PrerequisiteKind(models.TextChoices):
    OS = "os", _("Système d'exploitation")
    CPU = "cpu", _("Processeur")
    RAM = "ram", _("Mémoire vive")
    DISK = "disk", _("Espace disque")
    BROWSER = "browser", _("Navigateur")
    RUNTIME = "runtime", _("Environnement d'exécution")
    OTHER = "other", _("Autre")


class Prerequisite(models.Model):
    """One vendor prerequisite of a version, structured so that a workstation can be checked
    against it: a named component (Windows, Java, Firefox) with a minimum version, or a
    minimum quantity (RAM and disk in GB, CPU in cores), or free text."""

    version = models.ForeignKey(
        SoftwareVersion, on_delete=models.CASCADE, related_name="prerequisites"
    )
    kind = models.CharField(_("type"), max_length=10, choices=PrerequisiteKind.choices)
    component = models.CharField(
        _("composant"),
        max_length=80,
        blank=True,
        help_text=_("Par exemple : Windows, Java, .NET, Firefox."),
    )
    min_version = models.CharField(_("version minimale"), max_length=40, blank=True)
    min_quantity = models.DecimalField(
        _("quantité minimale"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Go pour la mémoire et le disque, nombre de cœurs pour le processeur."),
    )
    text = models.CharField(_("précision"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("prérequis")
        verbose_name_plural = _("prérequis")
        ordering = ["version", "kind", "pk"]

    def __str__(self) -> str:
        parts = [self.get_kind_display(), self.component, self.min_version]
        if self.min_quantity is not None:
            parts.append(f"≥ {self.min_quantity.normalize()}")
        return " ".join(p for p in parts if p)


class OfferKind(models.TextChoices):
    SUPPORT = "support", _("Assistance (abonnement annuel)")
    OPTION = "option", _("Option")


class Offer(models.Model):
    """What a member subscribes to: the annex's yearly assistance, or an option (for one
    software, for instance). Its VAT treatment is configurable because whether the
    syndicate's services are subject to VAT is contested (DOMAIN.md §1)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("intitulé"), max_length=160)
    kind = models.CharField(
        _("nature"), max_length=10, choices=OfferKind.choices, default=OfferKind.SUPPORT
    )
    software = models.ForeignKey(
        Software,
        verbose_name=_("logiciel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offers",
    )
    description = models.TextField(_("description"), blank=True)
    vat_rate = models.DecimalField(
        _("taux de TVA (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Laisser vide si la prestation n'est pas soumise à la TVA."),
    )
    vat_mention = models.CharField(
        _("mention d'exonération"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple : TVA non applicable, article 256 B du CGI."),
    )
    is_active = models.BooleanField(_("proposée"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("offre")
        verbose_name_plural = _("offres")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(vat_rate__isnull=True, vat_mention=""),
                name="offer_vat_rate_or_mention",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Deliberation(models.Model):
    """A decision of the syndicate's committee (Comité syndical) setting tariffs. It applies
    only once enforceable: transmitted to the prefecture and published (CGCT L2131-1)."""

    number = models.CharField(_("numéro"), max_length=40, unique=True)
    date = models.DateField(_("date de la séance"))
    subject = models.CharField(_("objet"), max_length=255)
    enforceable_on = models.DateField(_("exécutoire le"))
    document = models.FileField(_("délibération (PDF)"), upload_to="deliberations/", blank=True)

    class Meta:
        verbose_name = _("délibération")
        verbose_name_plural = _("délibérations")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enforceable_on__gte=models.F("date")),
                name="deliberation_enforceable_after_session",
            ),
        ]

    def __str__(self) -> str:
        return f"n° {self.number} du {self.date:%d/%m/%Y}"


class PricingMethod(models.TextChoices):
    FLAT = rules.FLAT, _("Forfait")
    BRACKET = rules.BRACKET, _("Par tranche de population")
    PER_INHABITANT = rules.PER_INHABITANT, _("Par habitant (avec plancher et plafond)")


class TariffGridQuerySet(models.QuerySet):
    def in_force(self, offer, on):
        """The grid applying to `offer` on `on`: the latest one already effective whose
        deliberation is enforceable."""
        return (
            self.filter(offer=offer, effective_from__lte=on, deliberation__enforceable_on__lte=on)
            .select_related("deliberation", "offer")
            .order_by("-effective_from", "-pk")
            .first()
        )


class TariffGrid(models.Model):
    """How one offer is priced from a date, as set by a deliberation."""

    deliberation = models.ForeignKey(
        Deliberation,
        verbose_name=_("délibération"),
        on_delete=models.PROTECT,
        related_name="grids",
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("offre"), on_delete=models.PROTECT, related_name="grids"
    )
    effective_from = models.DateField(_("applicable à partir du"))
    method = models.CharField(_("mode de calcul"), max_length=20, choices=PricingMethod.choices)
    amount = models.DecimalField(
        _("montant forfaitaire HT"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    per_inhabitant = models.DecimalField(
        _("montant par habitant HT"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    floor = models.DecimalField(
        _("plancher HT"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    ceiling = models.DecimalField(
        _("plafond HT"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    population_type = models.CharField(
        _("population de référence"),
        max_length=12,
        choices=PopulationType.choices,
        default=PopulationType.TOTALE,
    )
    population_year = models.PositiveSmallIntegerField(_("millésime"), null=True, blank=True)

    objects = TariffGridQuerySet.as_manager()

    class Meta:
        verbose_name = _("grille tarifaire")
        verbose_name_plural = _("grilles tarifaires")
        ordering = ["offer", "-effective_from"]
        constraints = [
            # Two grids of one offer starting the same day would both be "in force".
            models.UniqueConstraint(
                fields=["offer", "effective_from"], name="tariff_grid_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer} — {self.effective_from:%d/%m/%Y}"

    def rule_brackets(self) -> list[rules.Bracket]:
        return [
            rules.Bracket(b.min_population, b.max_population, b.amount) for b in self.brackets.all()
        ]


class TariffBracket(models.Model):
    grid = models.ForeignKey(TariffGrid, on_delete=models.CASCADE, related_name="brackets")
    min_population = models.PositiveIntegerField(_("de (habitants)"))
    max_population = models.PositiveIntegerField(_("à (habitants)"), null=True, blank=True)
    amount = models.DecimalField(_("montant HT"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        ordering = ["grid", "min_population"]

    def __str__(self) -> str:
        top = self.max_population if self.max_population is not None else "∞"
        return f"{self.min_population}–{top}: {self.amount} €"
