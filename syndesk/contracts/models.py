"""The annex's written ordering chain: a request qualified with the catalogue, a quote valid
one month, the annex of particular conditions, a purchase order with the signed documents,
then the yearly subscription, its tacit renewal and its termination."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Offer, Software
from syndesk.core.money import cents, vat_amount
from syndesk.core.scoping import MemberScopedQuerySet
from syndesk.members.models import Member

from . import rules


class ContractQuerySet(MemberScopedQuerySet):
    member_path = "member"


class NeedRequest(models.Model):
    """Step 1 of the annex: the member's request, qualified with the catalogue."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Téléphone")
        EMAIL = "email", _("Courriel")
        LETTER = "letter", _("Courrier")
        MEETING = "meeting", _("Rendez-vous")

    class Status(models.TextChoices):
        OPEN = "open", _("À traiter")
        QUOTED = "quoted", _("Devis établi")
        CLOSED = "closed", _("Classée sans suite")

    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="requests"
    )
    received_on = models.DateField(_("reçue le"))
    channel = models.CharField(
        _("canal"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    summary = models.CharField(_("objet"), max_length=200)
    details = models.TextField(_("besoins exprimés"), blank=True)
    offers = models.ManyToManyField(Offer, verbose_name=_("offres envisagées"), blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.member} — {self.summary}"


class Quote(models.Model):
    """Step 2: the quote (devis). Valid one month from its date (annex); a signature after
    `valid_until` is refused and the quote must be re-issued. Numbered DEV-YYYY-NNNN
    without gaps; never deleted."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SENT = "sent", _("Envoyé")
        SIGNED = "signed", _("Signé")
        REFUSED = "refused", _("Refusé")
        EXPIRED = "expired", _("Expiré")

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="quotes"
    )
    request = models.ForeignKey(
        NeedRequest,
        verbose_name=_("demande"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
    )
    date = models.DateField(_("date du devis"))
    valid_until = models.DateField(_("valable jusqu'au"))
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    sent_on = models.DateField(_("envoyé le"), null=True, blank=True)
    signed_on = models.DateField(_("signé le"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("remplace"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    notes = models.TextField(_("conditions particulières"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("devis")
        verbose_name_plural = _("devis")
        ordering = ["-date", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("date")), name="quote_valid_after_date"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def delete(self, *args, **kwargs):
        raise RuntimeError("Quotes are never deleted; refuse or re-issue them.")

    def is_valid_on(self, day: date) -> bool:
        return self.date <= day <= self.valid_until

    @property
    def total_excl_vat(self) -> Decimal:
        return cents(sum((line.total_excl_vat for line in self.lines.all()), Decimal(0)))

    @property
    def total_vat(self) -> Decimal:
        return cents(sum((line.vat for line in self.lines.all()), Decimal(0)))

    @property
    def total_incl_vat(self) -> Decimal:
        return self.total_excl_vat + self.total_vat


class QuoteLine(models.Model):
    """A priced offer on a quote. The computed price comes from the tariff grid in force;
    staff may change it, with a reason that is kept."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(Offer, verbose_name=_("offre"), on_delete=models.PROTECT)
    label = models.CharField(_("désignation"), max_length=255)
    quantity = models.DecimalField(
        _("quantité"), max_digits=8, decimal_places=2, default=Decimal(1)
    )
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=10, decimal_places=2)
    computed_price = models.DecimalField(
        _("prix selon la grille"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    explanation = models.TextField(_("calcul"), blank=True)
    override_reason = models.CharField(
        _("motif de la modification du prix"), max_length=255, blank=True
    )
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    vat_mention = models.CharField(_("mention TVA"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "catalog.TariffGrid", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ligne de devis")
        verbose_name_plural = _("lignes de devis")
        ordering = ["quote", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def total_excl_vat(self) -> Decimal:
        return cents(self.quantity * self.unit_price)

    @property
    def vat(self) -> Decimal:
        return vat_amount(self.total_excl_vat, self.vat_rate)


def signed_quote_path(instance, filename: str) -> str:
    return f"contracts/{instance.member_id}/devis-signes/{filename}"


def signed_annex_path(instance, filename: str) -> str:
    return f"contracts/{instance.member_id}/annexes-signees/{filename}"


class PurchaseOrder(models.Model):
    """Step 3: the member's written order, with the signed quote and the signed annex, and
    the two paper originals of the annex received by post. Accepting it opens (or extends)
    the subscription."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Reçu, en cours de vérification")
        ACCEPTED = "accepted", _("Accepté")

    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="orders"
    )
    quote = models.OneToOneField(
        Quote, verbose_name=_("devis"), on_delete=models.PROTECT, related_name="order"
    )
    received_on = models.DateField(_("reçu le"))
    member_reference = models.CharField(
        _("référence du bon de commande"), max_length=60, blank=True
    )
    commitment_number = models.CharField(_("numéro d'engagement"), max_length=60, blank=True)
    chorus_service_code = models.CharField(_("code service Chorus Pro"), max_length=100, blank=True)
    signed_quote = models.FileField(_("devis signé"), upload_to=signed_quote_path, blank=True)
    signed_annex = models.FileField(_("annexe signée"), upload_to=signed_annex_path, blank=True)
    originals_received_on = models.DateField(
        _("deux originaux papier reçus le"), null=True, blank=True
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    accepted_on = models.DateField(_("accepté le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("bon de commande")
        verbose_name_plural = _("bons de commande")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        ref = self.member_reference or self.quote.number
        return f"BC {ref} — {self.member}"


class Subscription(models.Model):
    """The member's subscription: one year from the first order, renewed tacitly each year
    (or by decision), until a termination's last day or an optional overall end date."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        TERMINATING = "terminating", _("Résiliation en cours")
        ENDED = "ended", _("Terminée")

    class Renewal(models.TextChoices):
        TACIT = "tacit", _("Tacite reconduction")
        DECISION = "decision", _("Sur décision expresse")

    member = models.ForeignKey(
        Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    start = models.DateField(_("date de début (première commande)"))
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    renewal = models.CharField(
        _("renouvellement"), max_length=10, choices=Renewal.choices, default=Renewal.TACIT
    )
    decided_periods = models.PositiveSmallIntegerField(
        _("périodes décidées"),
        default=1,
        help_text=_("En renouvellement sur décision : nombre d'années accordées."),
    )
    end_date = models.DateField(_("date de fin maximale"), null=True, blank=True)
    ended_on = models.DateField(_("terminée le"), null=True, blank=True)
    software = models.ManyToManyField(
        Software, verbose_name=_("logiciels couverts"), blank=True, related_name="subscriptions"
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        ordering = ["-start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=~models.Q(status="ended"),
                name="subscription_one_open_per_member",
            ),
        ]

    def __str__(self) -> str:
        return _("Abonnement — %(member)s, depuis le %(start)s") % {
            "member": self.member,
            "start": self.start.strftime("%d/%m/%Y"),
        }

    def next_renewal(self, on: date) -> date | None:
        """The next anniversary after `on`, if the subscription goes on past it."""
        renewal = rules.next_renewal(self.start, on)
        last = self.last_covered_day()
        return renewal if last is None or renewal <= last else None

    def last_covered_day(self) -> date | None:
        """The last day of service already known, or None while tacit renewal goes on."""
        candidates = []
        if self.end_date:
            candidates.append(self.end_date)
        if self.renewal == self.Renewal.DECISION:
            candidates.append(rules.period_end(self.start, self.decided_periods - 1))
        pending = self.pending_termination
        if pending is not None:
            candidates.append(pending.last_day)
        if self.ended_on:
            candidates.append(self.ended_on)
        return min(candidates) if candidates else None

    @property
    def pending_termination(self):
        # Prefetch-friendly: iterate the related manager instead of filtering.
        for termination in self.terminations.all():
            if termination.withdrawn_on is None:
                return termination
        return None

    def covers(self, day: date) -> bool:
        last = self.last_covered_day()
        return self.start <= day and (last is None or day <= last)


class SubscriptionLine(models.Model):
    """An offer included in the subscription, from the order that added it."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(Offer, verbose_name=_("offre"), on_delete=models.PROTECT)
    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="+")
    added_on = models.DateField(_("ajoutée le"))

    class Meta:
        verbose_name = _("offre souscrite")
        verbose_name_plural = _("offres souscrites")
        ordering = ["subscription", "added_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "offer"], name="subscription_offer_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.offer)


class Termination(models.Model):
    """A termination letter (résiliation). Notice of two months from the 1st of the month
    after its receipt, never ending before the minimum first year (annex). May be withdrawn
    before it takes effect."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="terminations"
    )
    received_on = models.DateField(_("lettre reçue le"))
    letter = models.FileField(
        _("lettre de résiliation"), upload_to="contracts/resiliations/", blank=True
    )
    last_day = models.DateField(_("dernier jour de service"))
    withdrawn_on = models.DateField(_("retirée le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("résiliation")
        verbose_name_plural = _("résiliations")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="termination_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription.member} — {self.received_on:%d/%m/%Y}"

    @property
    def explanation(self) -> rules.TerminationExplanation:
        return rules.termination_explanation(self.subscription.start, self.received_on)
