import re
import unicodedata

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from syndesk.core.scoping import MemberScopedQuerySet

from .phones import display_phone


def search_key(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: 'Saint-Lô' -> 'saint lo'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split())


class LegalCategory(models.TextChoices):
    """INSEE legal categories (catégories juridiques) of the bodies a syndicate serves."""

    COMMUNE = "7210", _("Commune")
    DEPARTEMENT = "7220", _("Département")
    COMMUNAUTE_URBAINE = "7343", _("Communauté urbaine")
    METROPOLE = "7344", _("Métropole")
    SIVOM = "7345", _("Syndicat intercommunal à vocation multiple (SIVOM)")
    COMMUNAUTE_COMMUNES = "7346", _("Communauté de communes")
    COMMUNAUTE_AGGLOMERATION = "7348", _("Communauté d'agglomération")
    SIVU = "7353", _("Syndicat intercommunal à vocation unique (SIVU)")
    SYNDICAT_MIXTE_FERME = "7354", _("Syndicat mixte fermé")
    SYNDICAT_MIXTE_OUVERT = "7355", _("Syndicat mixte ouvert")
    PETR = "7357", _("Pôle d'équilibre territorial et rural (PETR)")
    CCAS = "7361", _("Centre communal d'action sociale (CCAS)")
    CAISSE_ECOLES = "7362", _("Caisse des écoles")
    HOPITAL = "7364", _("Établissement d'hospitalisation")
    SOCIAL = "7366", _("Établissement social ou médico-social (EHPAD…)")
    CIAS = "7367", _("Centre intercommunal d'action sociale (CIAS)")


EPCI_CATEGORIES = [
    LegalCategory.COMMUNAUTE_URBAINE,
    LegalCategory.METROPOLE,
    LegalCategory.COMMUNAUTE_COMMUNES,
    LegalCategory.COMMUNAUTE_AGGLOMERATION,
]


class PopulationType(models.TextChoices):
    MUNICIPALE = "municipale", _("population municipale")
    TOTALE = "totale", _("population totale")


insee_code_validator = RegexValidator(
    r"^(\d{5}|2[AB]\d{3})$", _("Le code INSEE compte 5 caractères (ex. 50502, 2A004).")
)
postal_code_validator = RegexValidator(r"^\d{5}$", _("Le code postal compte 5 chiffres."))


class MemberQuerySet(MemberScopedQuerySet):
    member_path = ""

    def search(self, text: str) -> "MemberQuerySet":
        terms = search_key(text).split()
        qs = self
        for term in terms:
            qs = qs.filter(
                models.Q(search_name__contains=term)
                | models.Q(insee_code__startswith=term)
                | models.Q(siren__startswith=term)
                | models.Q(postal_code__startswith=term)
            )
        return qs


class Member(models.Model):
    """A member organisation (collectivité or public establishment) of the syndicate.

    Its SIREN identifies it; its billing SIRET, Chorus Pro service code and whether a
    commitment number is required are what public invoicing needs (CCP R2192-*).
    Population carries its type and vintage because tariffs may depend on it.
    """

    name = models.CharField(_("nom"), max_length=200)
    legal_category = models.CharField(
        _("nature juridique"),
        max_length=4,
        choices=LegalCategory.choices,
        default=LegalCategory.COMMUNE,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("EPCI de rattachement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        limit_choices_to={"legal_category__in": EPCI_CATEGORIES},
    )
    siren = models.CharField(_("SIREN"), max_length=9, unique=True)
    siret = models.CharField(_("SIRET de facturation"), max_length=14, blank=True)
    insee_code = models.CharField(
        _("code INSEE"), max_length=5, blank=True, validators=[insee_code_validator]
    )
    address = models.TextField(_("adresse"), blank=True)
    postal_code = models.CharField(
        _("code postal"), max_length=5, blank=True, validators=[postal_code_validator]
    )
    city = models.CharField(_("commune"), max_length=120, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_type = models.CharField(
        _("type de population"),
        max_length=12,
        choices=PopulationType.choices,
        default=PopulationType.TOTALE,
    )
    population_year = models.PositiveSmallIntegerField(
        _("millésime de la population"), null=True, blank=True
    )
    email = models.EmailField(_("adresse électronique"), blank=True)
    website = models.URLField(_("site internet"), blank=True)
    signatory_name = models.CharField(_("signataire"), max_length=150, blank=True)
    signatory_title = models.CharField(
        _("qualité du signataire"),
        max_length=100,
        blank=True,
        help_text=_("Par exemple : Maire, Président, Présidente."),
    )
    chorus_service_code = models.CharField(_("code service Chorus Pro"), max_length=100, blank=True)
    commitment_number_required = models.BooleanField(
        _("numéro d'engagement obligatoire"), default=False
    )
    notes = models.TextField(_("notes internes"), blank=True)
    is_active = models.BooleanField(_("adhérent actif"), default=True)
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("adhérent")
        verbose_name_plural = _("adhérents")
        ordering = ["search_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siret="") | models.Q(siret__startswith=models.F("siren")),
                name="member_siret_extends_siren",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = search_key(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    @property
    def is_epci(self) -> bool:
        return self.legal_category in EPCI_CATEGORIES


class MemberPhoneQuerySet(MemberScopedQuerySet):
    member_path = "member"


class MemberPhone(models.Model):
    """A phone number of the organisation, in E.164, used to recognise a caller."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("numéro"), max_length=20, db_index=True)

    objects = MemberPhoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("numéro de téléphone")
        verbose_name_plural = _("numéros de téléphone")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "number"], name="member_phone_unique"),
        ]

    def __str__(self) -> str:
        return display_phone(self.number)


class ContactQuerySet(MemberScopedQuerySet):
    member_path = "member"


class Contact(models.Model):
    """A person at a member organisation whom the syndicate deals with. Personal data:
    kept for the relationship plus three years (CNIL commercial-management reference)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100)
    role = models.CharField(
        _("fonction"),
        max_length=120,
        blank=True,
        help_text=_("Par exemple : Secrétaire de mairie, Maire, DGS."),
    )
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    mobile = models.CharField(_("portable"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("contact principal"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "last_name", "first_name", "pk"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class MembershipQuerySet(MemberScopedQuerySet):
    member_path = "member"


class Membership(models.Model):
    """Links a portal user to a member organisation; a user may have several (an EPCI
    officer working for the communes of the intercommunality)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("fonction"), max_length=120, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("accès au portail")
        verbose_name_plural = _("accès au portail")
        ordering = ["member__search_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "member"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.member}"
