from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from syndesk.core.uploads import validate_upload
from syndesk.members.models import Member

from . import rules
from .models import (
    Deliberation,
    Offer,
    Prerequisite,
    PrerequisiteKind,
    PricingMethod,
    Software,
    SoftwareVersion,
    TariffGrid,
)

DELIBERATION_MAX_BYTES = 10 * 1024 * 1024


class DateInput(forms.DateInput):
    """The browser's date picker; it sends and expects ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class SoftwareForm(forms.ModelForm):
    class Meta:
        model = Software
        fields = ["name", "editor", "category", "description", "website", "is_supported"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        error_messages = {"name": {"unique": _("Un logiciel porte déjà ce nom.")}}


class SoftwareVersionForm(forms.ModelForm):
    """A version of one software (given by the view through the instance)."""

    class Meta:
        model = SoftwareVersion
        fields = ["number", "release_date", "end_of_support", "notes"]
        widgets = {
            "release_date": DateInput(),
            "end_of_support": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        clash = SoftwareVersion.objects.filter(
            software=self.instance.software, number__iexact=number
        ).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Cette version existe déjà pour ce logiciel."))
        return number

    def clean(self):
        data = super().clean()
        released, ends = data.get("release_date"), data.get("end_of_support")
        if released and ends and ends < released:
            self.add_error(
                "end_of_support", _("La fin de support ne peut pas précéder la date de sortie.")
            )
        return data


# Which field a prerequisite of each kind needs to be checkable against a workstation.
_NEEDS_QUANTITY = {PrerequisiteKind.RAM, PrerequisiteKind.DISK, PrerequisiteKind.CPU}
_NEEDS_COMPONENT = {PrerequisiteKind.OS, PrerequisiteKind.BROWSER, PrerequisiteKind.RUNTIME}


class PrerequisiteForm(forms.ModelForm):
    class Meta:
        model = Prerequisite
        fields = ["kind", "component", "min_version", "min_quantity", "text"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in _NEEDS_QUANTITY and data.get("min_quantity") is None:
            self.add_error(
                "min_quantity",
                _(
                    "Indiquez la quantité minimale (en Go pour la mémoire et le disque, "
                    "en cœurs pour le processeur)."
                ),
            )
        if kind in _NEEDS_COMPONENT and not data.get("component"):
            self.add_error("component", _("Indiquez le composant (par exemple : Windows, Java)."))
        if kind == PrerequisiteKind.OTHER and not data.get("text"):
            self.add_error("text", _("Précisez ce prérequis."))
        return data


def prerequisite_formset(*, can_delete: bool):
    """Prerequisites of one version; deleting lines needs its own permission."""
    return forms.inlineformset_factory(
        SoftwareVersion,
        Prerequisite,
        form=PrerequisiteForm,
        extra=2,
        can_delete=can_delete,
        can_delete_extra=False,
    )


class OfferForm(forms.ModelForm):
    class Meta:
        model = Offer
        fields = [
            "code",
            "name",
            "kind",
            "software",
            "description",
            "vat_rate",
            "vat_mention",
            "is_active",
            "position",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        error_messages = {"code": {"unique": _("Une offre porte déjà ce code.")}}
        labels = {"position": _("Ordre d'affichage")}

    def clean(self):
        data = super().clean()
        if "vat_rate" in data and data["vat_rate"] is None and not data.get("vat_mention"):
            # Invoices must give the VAT rate or the legal basis of the exemption
            # (CGI annexe II art. 242 nonies A).
            self.add_error(
                "vat_mention",
                _(
                    "Sans taux de TVA, indiquez la mention légale d'exonération "
                    "(par exemple : TVA non applicable — article 256 B du CGI)."
                ),
            )
        return data


class DeliberationForm(forms.ModelForm):
    class Meta:
        model = Deliberation
        fields = ["number", "date", "subject", "enforceable_on", "document"]
        widgets = {"date": DateInput(), "enforceable_on": DateInput()}
        error_messages = {"number": {"unique": _("Une délibération porte déjà ce numéro.")}}
        help_texts = {
            "enforceable_on": _(
                "Date à laquelle la délibération est transmise à la préfecture et publiée ; "
                "ses tarifs ne s'appliquent pas avant."
            ),
            "document": _("Fichier PDF, 10 Mo au plus."),
        }

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if isinstance(upload, UploadedFile):
            validate_upload(upload, kinds={"pdf"}, max_bytes=DELIBERATION_MAX_BYTES)
        return upload

    def clean(self):
        data = super().clean()
        session, enforceable = data.get("date"), data.get("enforceable_on")
        if session and enforceable and enforceable < session:
            self.add_error(
                "enforceable_on",
                _("Une délibération ne peut pas être exécutoire avant la séance qui l'a adoptée."),
            )
        return data


class TariffGridForm(forms.ModelForm):
    """A grid of one deliberation (given by the view through the instance). The business
    rules (brackets, terms of the method, one grid per offer and day) are checked by
    services.save_tariff_grid, whose errors the view puts back on these fields."""

    class Meta:
        model = TariffGrid
        fields = [
            "offer",
            "effective_from",
            "method",
            "amount",
            "per_inhabitant",
            "floor",
            "ceiling",
            "population_type",
            "population_year",
        ]
        widgets = {"effective_from": DateInput(), "method": forms.RadioSelect}
        help_texts = {
            "amount": _("Mode « Forfait » seulement."),
            "per_inhabitant": _("Mode « Par habitant » seulement."),
            "floor": _("Mode « Par habitant » : montant minimal, facultatif."),
            "ceiling": _("Mode « Par habitant » : montant maximal, facultatif."),
            "population_year": _("Année de la population légale de référence."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = PricingMethod.choices  # radios: no blank choice
        # Withdrawn offers get no new grid, but a grid being edited keeps its offer.
        offers = Offer.objects.filter(Q(is_active=True) | Q(pk=self.instance.offer_id))
        self.fields["offer"].queryset = offers

    def validate_constraints(self):
        """The one-grid-per-offer-and-day constraint is checked by save_tariff_grid, which
        says it at the date field."""


class BracketForm(forms.Form):
    min_population = forms.IntegerField(label=_("De (habitants)"), min_value=0)
    max_population = forms.IntegerField(
        label=_("À (habitants)"),
        min_value=0,
        required=False,
        help_text=_("Vide : « et plus »."),
    )
    amount = forms.DecimalField(
        label=_("Montant HT (€)"), min_value=0, max_digits=10, decimal_places=2
    )


class BaseBracketFormSet(forms.BaseFormSet):
    def brackets(self) -> list[rules.Bracket]:
        """The filled-in rows (the formset must be valid)."""
        return [
            rules.Bracket(data["min_population"], data["max_population"], data["amount"])
            for data in self.cleaned_data
            if data and not data.get("DELETE")
        ]

    def add_error(self, messages: list[str]) -> None:
        """Problems of the set of brackets as a whole (found by save_tariff_grid)."""
        self.non_form_errors().extend(messages)


def bracket_formset(data=None, *, grid: TariffGrid | None = None, blank_rows: int = 2):
    """The brackets of `grid` (if any) plus a few empty rows to fill in."""
    initial = []
    if grid is not None and grid.pk:
        initial = [
            {
                "min_population": b.min_population,
                "max_population": b.max_population,
                "amount": b.amount,
            }
            for b in grid.brackets.all()
        ]
    formset_class = forms.formset_factory(
        BracketForm,
        formset=BaseBracketFormSet,
        extra=blank_rows if initial else max(blank_rows, 5),
        can_delete=True,
        can_delete_extra=False,
        max_num=50,
    )
    return formset_class(data, initial=initial, prefix="brackets")


class PriceSimulationForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Adhérent"), queryset=Member.objects.none())
    on = forms.DateField(label=_("Date"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.visible_to(user).filter(is_active=True)
        self.fields["member"].label_from_instance = self._member_label
        self.fields["on"].initial = timezone.localdate()

    @staticmethod
    def _member_label(member: Member) -> str:
        if member.population is None:
            return member.name
        return _("%(name)s (%(population)s hab.)") % {
            "name": member.name,
            "population": number_format(member.population, force_grouping=True),
        }
