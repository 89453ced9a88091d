"""Forms of the billing pages. They only read and check input; every operation is a service
(syndesk/billing/services.py), whose refusals are shown at the field they name."""

from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syndesk.core.forms import apply_service_error  # noqa: F401 (re-exported for the views)
from syndesk.core.uploads import validate_upload

from .models import Reminder

IMPORT_MAX_BYTES = 2 * 1024 * 1024


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _today() -> date:
    return timezone.localdate()


class AmountField(forms.DecimalField):
    """An amount in euros; accepts "1 234,56" as French people type it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
            value = value.replace("€", "")
        return super().to_python(value)


class RunForm(forms.Form):
    as_of = forms.DateField(
        label=_("Facturer les périodes commencées au plus tard le"),
        widget=DateInput,
        initial=_today,
    )


class IssueForm(forms.Form):
    issue_date = forms.DateField(
        label=_("Date d'émission"),
        widget=DateInput,
        initial=_today,
        help_text=_("Le délai de paiement de 30 jours court à partir de la réception."),
    )


class DraftReferencesForm(forms.Form):
    commitment_number = forms.CharField(
        label=_("Numéro d'engagement"), max_length=60, required=False
    )
    service_code = forms.CharField(label=_("Code service"), max_length=100, required=False)


class DiscardForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Je confirme la suppression de ce brouillon (la prochaine facturation le recréera)")
    )


class ReceiptForm(forms.Form):
    received_on = forms.DateField(
        label=_("Facture reçue par l'adhérent le"),
        widget=DateInput,
        help_text=_("Par défaut, la date de dépôt. L'échéance est fixée 30 jours plus tard."),
    )


class PaymentForm(forms.Form):
    mandate_number = forms.CharField(label=_("Numéro de mandat"), max_length=40)
    paid_on = forms.DateField(label=_("Payé le"), widget=DateInput, initial=_today)
    amount = AmountField(label=_("Montant payé (€)"))


class CreditNoteForm(forms.Form):
    reason = forms.CharField(label=_("Motif de l'avoir"), max_length=200)
    amount = AmountField(
        label=_("Montant HT à créditer (€)"),
        required=False,
        help_text=_("Laissez vide pour annuler toute la facture."),
    )


class ReminderForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Envoi"), choices=Reminder.Kind.choices, widget=forms.RadioSelect
    )
    waive = forms.BooleanField(
        label=_("Abandonner les intérêts moratoires et l'indemnité forfaitaire"), required=False
    )
    waiver_reason = forms.CharField(label=_("Motif de l'abandon"), max_length=255, required=False)


class PaymentImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier du comptable (CSV)"),
        help_text=_(
            "Colonnes facture ; mandat ; date ; montant. Séparateur point-virgule ou virgule, "
            "2 Mo au plus."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_upload(upload, kinds={"csv"}, max_bytes=IMPORT_MAX_BYTES)
        return upload


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Exercice"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = _today().year
        self.fields["year"].choices = [(y, str(y)) for y in range(this_year, this_year - 6, -1)]
        self.fields["year"].initial = this_year

    def selected_year(self) -> int:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["year"]
        return _today().year
