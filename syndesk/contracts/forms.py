"""Forms of the ordering chain. They validate input only; every operation is a service call
(services.py), whose refusals come back to the form through `apply_service_error`."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Offer, Software
from syndesk.core.forms import apply_service_error  # noqa: F401 - used by views
from syndesk.core.uploads import validate_upload
from syndesk.members.models import Member

from .models import NeedRequest, Subscription

UPLOAD_KINDS = {"pdf", "png", "jpeg"}
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_HELP = _("PDF, PNG ou JPEG, 10 Mo au plus.")
ACCEPT = ".pdf,.png,.jpg,.jpeg"


def _today():
    return timezone.localdate()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label, *, required=True, today=True, help_text=""):
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        initial=_today if today else None,
        help_text=help_text,
    )


def _upload_field(label, *, required=False):
    return forms.FileField(
        label=label,
        required=required,
        help_text=UPLOAD_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


def _clean_upload(upload):
    """The real type (first bytes) and the size, whatever the file name says."""
    if upload:
        validate_upload(upload, kinds=UPLOAD_KINDS, max_bytes=UPLOAD_MAX_BYTES)
    return upload


def _active_offers():
    return Offer.objects.filter(is_active=True).select_related("software")


class OfferChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.name} — {obj.get_kind_display().lower()}"


class NeedRequestForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Adhérent"), queryset=Member.objects.none(), empty_label=_("— choisir —")
    )
    received_on = _date_field(_("Reçue le"))
    channel = forms.ChoiceField(label=_("Canal"), choices=NeedRequest.Channel.choices)
    summary = forms.CharField(label=_("Objet"), max_length=200)
    details = forms.CharField(
        label=_("Besoins exprimés"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Logiciels utilisés, nombre de postes, attentes de la collectivité…"),
    )
    offers = OfferChoiceField(
        label=_("Offres envisagées"), queryset=Offer.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.visible_to(user).filter(is_active=True)
        self.fields["offers"].queryset = _active_offers()

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > _today():
            raise ValidationError(_("La date de réception ne peut être dans le futur."))
        return day


class QuoteCreateForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Adhérent"), queryset=Member.objects.none(), empty_label=_("— choisir —")
    )
    quote_date = _date_field(
        _("Date du devis"), help_text=_("Le devis est valable un mois à compter de cette date.")
    )
    offers = OfferChoiceField(label=_("Offres"), queryset=Offer.objects.none())
    notes = forms.CharField(
        label=_("Conditions particulières"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, member=None, **kwargs):
        super().__init__(*args, **kwargs)
        if member is None:
            self.fields["member"].queryset = Member.objects.visible_to(user).filter(is_active=True)
        else:
            # The member comes from the URL (a request or a member page), not from the form.
            del self.fields["member"]
        self.fields["offers"].queryset = _active_offers()


class QuoteLineForm(forms.Form):
    unit_price = forms.DecimalField(
        label=_("Prix unitaire HT (€)"), max_digits=10, decimal_places=2, min_value=0
    )
    quantity = forms.DecimalField(
        label=_("Quantité"), max_digits=8, decimal_places=2, min_value=0.01
    )
    override_reason = forms.CharField(
        label=_("Motif si le prix diffère de la grille"), max_length=255, required=False
    )


class QuoteLineAddForm(forms.Form):
    offer = forms.ModelChoiceField(
        label=_("Offre à ajouter"), queryset=Offer.objects.none(), empty_label=_("— choisir —")
    )

    def __init__(self, *args, quote, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = _active_offers().exclude(
            pk__in=[line.offer_id for line in quote.lines.all()]
        )


class QuoteSendForm(forms.Form):
    sent_on = _date_field(_("Envoyé le"))


class QuoteSignForm(forms.Form):
    signed_on = _date_field(
        _("Signé le"), help_text=_("Date portée par l'adhérent sur le devis signé.")
    )

    def clean_signed_on(self):
        day = self.cleaned_data["signed_on"]
        if day > _today():
            raise ValidationError(_("La date de signature ne peut être dans le futur."))
        return day


class PurchaseOrderForm(forms.Form):
    received_on = _date_field(_("Bon de commande reçu le"))
    member_reference = forms.CharField(
        label=_("Référence du bon de commande"), max_length=60, required=False
    )
    commitment_number = forms.CharField(
        label=_("Numéro d'engagement"), max_length=60, required=False
    )
    chorus_service_code = forms.CharField(
        label=_("Code service Chorus Pro"), max_length=100, required=False
    )
    signed_quote = _upload_field(_("Devis signé"))
    signed_annex = _upload_field(_("Annexe des conditions particulières signée"))
    originals_received_on = _date_field(
        _("Deux originaux papier de l'annexe reçus le"),
        required=False,
        today=False,
        help_text=_("À renseigner à l'arrivée du courrier."),
    )

    def clean_signed_quote(self):
        return _clean_upload(self.cleaned_data.get("signed_quote"))

    def clean_signed_annex(self):
        return _clean_upload(self.cleaned_data.get("signed_annex"))

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > _today():
            raise ValidationError(_("La date de réception ne peut être dans le futur."))
        return day


class PurchaseOrderCompleteForm(PurchaseOrderForm):
    """What arrived after the order was recorded (the received date does not change)."""

    def __init__(self, *args, order, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "member_reference": order.member_reference,
                "commitment_number": order.commitment_number,
                "chorus_service_code": order.chorus_service_code,
                "originals_received_on": order.originals_received_on,
            },
        )
        super().__init__(*args, **kwargs)
        del self.fields["received_on"]
        for name, present in (
            ("signed_quote", order.signed_quote),
            ("signed_annex", order.signed_annex),
        ):
            if present:
                self.fields[name].help_text = _(
                    "Un fichier est déjà enregistré ; en choisir un autre le remplace."
                )
        # Files are added, never removed, here: a plain input, without the "clear" box.
        self.fields["signed_quote"].widget = forms.FileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg"}
        )
        self.fields["signed_annex"].widget = forms.FileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg"}
        )


class AcceptOrderForm(forms.Form):
    accepted_on = _date_field(_("Acceptée le"))


class SubscriptionForm(forms.Form):
    renewal = forms.ChoiceField(label=_("Renouvellement"), choices=Subscription.Renewal.choices)
    end_date = _date_field(
        _("Date de fin maximale"),
        required=False,
        today=False,
        help_text=_("Facultative : dernier jour de service décidé à l'avance."),
    )
    software = forms.ModelMultipleChoiceField(
        label=_("Logiciels couverts"),
        queryset=Software.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class TerminationForm(forms.Form):
    received_on = _date_field(_("Lettre de résiliation reçue le"))
    letter = _upload_field(_("Lettre de résiliation (scan)"), required=True)

    def clean_letter(self):
        return _clean_upload(self.cleaned_data.get("letter"))


class WithdrawTerminationForm(forms.Form):
    withdrawn_on = _date_field(_("Retirée le"))


class TerminationSimulationForm(forms.Form):
    lettre = forms.DateField(label=_("Date d'arrivée de la lettre"), widget=DateInput())
