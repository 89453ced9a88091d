from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from syndesk.core.uploads import validate_upload

from .identifiers import compact, is_valid_siren, is_valid_siret
from .models import EPCI_CATEGORIES, Contact, LegalCategory, Member
from .phones import InvalidPhoneNumber, display_phone, normalize_phone


def clean_phone_field(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return normalize_phone(value)
    except InvalidPhoneNumber:
        raise ValidationError(
            _("« %(value)s » n'est pas un numéro de téléphone valide."), params={"value": value}
        ) from None


class MemberForm(forms.ModelForm):
    """Creates and edits a member; also validates each row of a CSV import."""

    # Wider than the stored value: people type "200 067 205"; clean_* compacts it.
    siren = forms.CharField(
        label=_("SIREN"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    siret = forms.CharField(
        label=_("SIRET de facturation"),
        max_length=25,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phones = forms.CharField(
        label=_("Numéros de téléphone"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Un numéro par ligne ; ils servent à reconnaître l'appelant."),
    )

    class Meta:
        model = Member
        fields = [
            "name",
            "legal_category",
            "parent",
            "siren",
            "siret",
            "insee_code",
            "address",
            "postal_code",
            "city",
            "population",
            "population_type",
            "population_year",
            "email",
            "website",
            "signatory_name",
            "signatory_title",
            "chorus_service_code",
            "commitment_number_required",
            "is_active",
            "notes",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {"siren": {"unique": _("Un adhérent porte déjà ce SIREN.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Member.objects.filter(legal_category__in=EPCI_CATEGORIES)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
            self.initial.setdefault(
                "phones", "\n".join(display_phone(p.number) for p in self.instance.phones.all())
            )
        self.fields["parent"].queryset = parents

    def clean_siren(self) -> str:
        value = self.cleaned_data["siren"].strip()
        if not is_valid_siren(value):
            raise ValidationError(
                _("SIREN invalide : 9 chiffres dont le dernier est une clé de contrôle.")
            )
        value = compact(value)
        clash = Member.objects.filter(siren=value).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Un adhérent porte déjà ce SIREN."))
        return value

    def clean_siret(self) -> str:
        value = self.cleaned_data["siret"].strip()
        if not value:
            return ""
        if not is_valid_siret(value):
            raise ValidationError(
                _("SIRET invalide : 14 chiffres (SIREN + NIC) avec une clé de contrôle.")
            )
        return compact(value)

    def clean_phones(self) -> list[str]:
        numbers, bad = [], []
        for line in (self.cleaned_data.get("phones") or "").splitlines():
            if not line.strip():
                continue
            try:
                number = normalize_phone(line.strip())
            except InvalidPhoneNumber:
                bad.append(line.strip())
                continue
            if number not in numbers:
                numbers.append(number)
        if bad:
            raise ValidationError(
                _("Numéro(s) invalide(s) : %(numbers)s."), params={"numbers": ", ".join(bad)}
            )
        return numbers

    def clean(self):
        data = super().clean()
        siren, siret = data.get("siren"), data.get("siret")
        if siren and siret and not siret.startswith(siren):
            self.add_error("siret", _("Le SIRET doit commencer par le SIREN de l'adhérent."))
        if data.get("legal_category") == LegalCategory.COMMUNE and not data.get("insee_code"):
            self.add_error("insee_code", _("Le code INSEE est obligatoire pour une commune."))
        if data.get("population") is not None and not data.get("population_year"):
            self.add_error("population_year", _("Indiquez l'année de référence de la population."))
        return data


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "role",
            "email",
            "phone",
            "mobile",
            "is_primary",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def clean_phone(self) -> str:
        return clean_phone_field(self.cleaned_data.get("phone"))

    def clean_mobile(self) -> str:
        return clean_phone_field(self.cleaned_data.get("mobile"))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Adresse électronique"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    role = forms.CharField(
        label=_("Fonction"),
        max_length=120,
        required=False,
        help_text=_("Par exemple : Secrétaire de mairie."),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_("Séparateur virgule ou point-virgule, encodage UTF-8, 2 Mo au plus."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_upload(upload, kinds={"csv"}, max_bytes=2 * 1024 * 1024)
        return upload
