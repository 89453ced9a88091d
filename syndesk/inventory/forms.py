"""Forms of the inventory: staff editing, member declarations, review and imports.

The operating system is typed as free text and normalised by rules.normalise_os; a string
that names no known system is refused at the field (Syndesk does not store "unknown OS":
an obsolete system hidden as unknown would defeat the prerequisite check). A licence key
is wrapped in a LicenceKey as soon as it is cleaned, so that it prints masked everywhere.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.core.uploads import validate_upload
from syndesk.members.models import Member

from . import rules
from .licence import LicenceKey
from .models import Declaration, DeclarationKind, Installation, UpdateStatus, Workstation

IMPORT_MAX_BYTES = 2 * 1024 * 1024
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SecretInput(forms.TextInput):
    """A text input that never writes its value back into the page (a form shown again
    with an error must not echo a licence key)."""

    def format_value(self, value):
        return None


def _licence_field() -> forms.CharField:
    return forms.CharField(
        label=_("Numéro ou clé de licence"),
        max_length=200,
        required=False,
        widget=SecretInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def os_field() -> forms.CharField:
    return forms.CharField(
        label=_("Système d'exploitation"),
        max_length=120,
        required=False,
        help_text=_("Par exemple : Windows 11 Professionnel, Windows Server 2022, macOS 14."),
    )


class SpecFormMixin:
    """Validation of the hardware fields shared by workstations and hardware declarations
    (each form declares ``os = os_field()``)."""

    def init_os(self) -> None:
        instance = getattr(self, "instance", None)
        if instance is not None and instance.os_family and not self.is_bound:
            self.initial["os"] = instance.os_label

    def clean_os(self):
        text = self.cleaned_data.get("os", "").strip()
        try:
            info = rules.normalise_os(text)
        except rules.UnknownOS:
            raise ValidationError(
                _(
                    "Système « %(text)s » non reconnu : indiquez par exemple « Windows 11 », "
                    "« Windows Server 2022 », « macOS 14 » ou « Ubuntu 22.04 »."
                ),
                params={"text": text[:60]},
                code="unknown_os",
            ) from None
        self.instance.os_family = info.family if info else ""
        self.instance.os_version = info.version if info else ""
        return info.label if info else ""

    def clean_ram_gib(self):
        value = self.cleaned_data.get("ram_gib")
        if value is not None and value <= 0:
            raise ValidationError(_("La mémoire vive doit être supérieure à 0 Go."))
        return value

    def clean_free_disk_gib(self):
        value = self.cleaned_data.get("free_disk_gib")
        if value is not None and value < 0:
            raise ValidationError(_("L'espace disque libre ne peut pas être négatif."))
        return value

    def clean_cpu_cores(self):
        value = self.cleaned_data.get("cpu_cores")
        if value is not None and value < 1:
            raise ValidationError(_("Un processeur a au moins un cœur."))
        return value


_SPEC_FIELDS = [
    "role",
    "cpu",
    "cpu_cores",
    "ram_gib",
    "free_disk_gib",
    "browser",
    "browser_version",
    "runtimes",
]
_SPEC_ERRORS = {
    "ram_gib": {"min_value": _("La mémoire vive doit être supérieure à 0 Go.")},
    "free_disk_gib": {"min_value": _("L'espace disque libre ne peut pas être négatif.")},
}


class WorkstationForm(SpecFormMixin, forms.ModelForm):
    field_order = ["name", "role", "os"]
    os = os_field()

    class Meta:
        model = Workstation
        fields = [
            "name",
            *_SPEC_FIELDS,
            "antivirus",
            "antivirus_up_to_date",
            "update_status",
            "last_checked",
            "notes",
        ]
        widgets = {
            "last_checked": _DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "antivirus_up_to_date": forms.NullBooleanSelect,
        }
        error_messages = _SPEC_ERRORS

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.instance.member = member
        self.fields["update_status"].required = False
        self.init_os()

    def clean_update_status(self):
        return self.cleaned_data.get("update_status") or UpdateStatus.UNKNOWN

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Workstation.objects.filter(member=self.member, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                _("Cet adhérent a déjà un poste nommé « %(name)s »."), params={"name": name}
            )
        return name

    def validate_unique(self):
        pass  # checked in clean_name with a French message (member is not a form field)


def _clean_licence(value: str):
    value = (value or "").strip()
    if any(c in value for c in "\r\n\t"):
        raise ValidationError(_("La clé de licence tient sur une seule ligne."))
    return LicenceKey(value) if value else ""


class InstallationForm(forms.ModelForm):
    new_licence_key = _licence_field()
    clear_licence = forms.BooleanField(label=_("Effacer la clé enregistrée"), required=False)

    class Meta:
        model = Installation
        fields = [
            "software",
            "version",
            "seats",
            "licence_expiry",
            "vendor_contract_ref",
            "workstations",
        ]
        widgets = {"licence_expiry": _DATE, "workstations": forms.CheckboxSelectMultiple}

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.instance.member = member
        self.fields["version"].queryset = SoftwareVersion.objects.select_related("software")
        self.fields["workstations"].queryset = Workstation.objects.filter(member=member)
        if self.instance.pk and self.instance.licence_key:
            self.fields["new_licence_key"].help_text = _(
                "Clé enregistrée : %(masked)s. Laissez vide pour la conserver."
            ) % {"masked": self.instance.masked_licence}
        else:
            self.fields.pop("clear_licence")

    def clean_new_licence_key(self):
        return _clean_licence(self.cleaned_data.get("new_licence_key"))

    def clean(self):
        data = super().clean()
        software, version = data.get("software"), data.get("version")
        if software and version and version.software_id != software.pk:
            self.add_error("version", _("Cette version n'est pas une version de ce logiciel."))
        if software:
            clash = Installation.objects.filter(member=self.member, software=software)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("software", _("Ce logiciel figure déjà dans l'inventaire."))
        return data

    def validate_unique(self):
        pass  # checked in clean() with a French message


# Declarations (portal) ---------------------------------------------------------------------


class _DeclarationForm(forms.ModelForm):
    kind: str = ""

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.instance.member = member
        self.instance.kind = self.kind
        if "software" in self.fields:
            self.fields["software"].queryset = Software.objects.filter(is_supported=True)
            self.fields["version"].queryset = SoftwareVersion.objects.select_related("software")
            self.fields["version"].label_from_instance = str

    def clean(self):
        data = super().clean()
        software, version = data.get("software"), data.get("version")
        if version and not software:
            data["software"] = software = version.software
            self.instance.software = software
        if software and version and version.software_id != software.pk:
            self.add_error("version", _("Cette version n'est pas une version de ce logiciel."))
        return data


class SoftwareDeclarationForm(_DeclarationForm):
    kind = DeclarationKind.SOFTWARE
    licence_key = _licence_field()

    class Meta:
        model = Declaration
        fields = [
            "software",
            "version",
            "licence_key",
            "seats",
            "licence_expiry",
            "vendor_contract_ref",
            "description",
        ]
        widgets = {"licence_expiry": _DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["software"].required = True
        if self.instance.pk and self.instance.licence_key and not self.is_bound:
            self.initial["licence_key"] = ""
            self.fields["licence_key"].help_text = _(
                "Clé transmise : %(masked)s. Laissez vide pour la conserver."
            ) % {"masked": self.instance.masked_licence}

    def clean_licence_key(self):
        value = _clean_licence(self.cleaned_data.get("licence_key"))
        if not value and self.instance.pk:
            return self.instance.licence_key
        return value


class HardwareDeclarationForm(SpecFormMixin, _DeclarationForm):
    kind = DeclarationKind.HARDWARE
    field_order = ["workstation_name", "role", "os"]
    os = os_field()

    class Meta:
        model = Declaration
        fields = ["workstation_name", *_SPEC_FIELDS, "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = _SPEC_ERRORS
        help_texts = {
            "workstation_name": _(
                "Le nom d'un poste déjà connu le met à jour ; un nouveau nom l'ajoute."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workstation_name"].required = True
        self.init_os()


class PlannedPurchaseForm(HardwareDeclarationForm):
    kind = DeclarationKind.PLANNED
    field_order = ["workstation_name", "role", "planned_date", "os"]

    class Meta(HardwareDeclarationForm.Meta):
        fields = [
            "workstation_name",
            "planned_date",
            *_SPEC_FIELDS,
            "software",
            "version",
            "description",
        ]
        widgets = {"planned_date": _DATE, "description": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "software": _("Pour le logiciel"),
            "version": _("Version prévue"),
        }
        help_texts = {
            "workstation_name": _("Un nom pour reconnaître ce futur poste (ex. « Accueil 2 »)."),
            "version": _(
                "Le matériel est aussi comparé aux prérequis des logiciels que vous utilisez déjà."
            ),
        }


DECLARATION_FORMS = {
    DeclarationKind.SOFTWARE: SoftwareDeclarationForm,
    DeclarationKind.HARDWARE: HardwareDeclarationForm,
    DeclarationKind.PLANNED: PlannedPurchaseForm,
}


# Review (staff) -----------------------------------------------------------------------------


class ReviewForm(forms.Form):
    ACCEPT, DETAILS, REJECT = "accept", "details", "reject"
    action = forms.ChoiceField(
        choices=[
            (ACCEPT, _("Accepter")),
            (DETAILS, _("Demander des précisions")),
            (REJECT, _("Refuser")),
        ],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Motif ou précisions demandées"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour refuser ou demander des précisions ; l'adhérent le lira."),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") in (self.DETAILS, self.REJECT) and not data.get("reason", "").strip():
            self.add_error("reason", _("Indiquez le motif : l'adhérent le lira."))
        return data


# Reports and imports ------------------------------------------------------------------------


class OutdatedFilterForm(forms.Form):
    software = forms.ModelChoiceField(
        label=_("Logiciel"),
        queryset=Software.objects.all(),
        required=False,
        empty_label=_("Tous les logiciels"),
    )


class OutdatedNotifyForm(forms.Form):
    NOTICE, EMAIL = "notice", "email"
    software = forms.ModelChoiceField(queryset=Software.objects.all(), widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        choices=[(NOTICE, _("Publier un avis")), (EMAIL, _("Écrire aux contacts"))],
        widget=forms.HiddenInput,
    )


class ImportKind:
    WORKSTATIONS = "workstations"
    INSTALLATIONS = "installations"
    GLPI_COMPUTERS = "glpi_computers"
    GLPI_SOFTWARE = "glpi_software"
    CHOICES = [
        (WORKSTATIONS, _("Postes et serveurs (modèle Syndesk)")),
        (INSTALLATIONS, _("Logiciels installés (modèle Syndesk)")),
        (GLPI_COMPUTERS, _("Export GLPI des ordinateurs")),
        (GLPI_SOFTWARE, _("Export GLPI des logiciels")),
    ]


class InventoryImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Contenu du fichier"), choices=ImportKind.CHOICES)
    member = forms.ModelChoiceField(
        label=_("Adhérent"),
        queryset=Member.objects.filter(is_active=True),
        required=False,
        help_text=_(
            "Obligatoire pour un export GLPI ; pour le modèle Syndesk, laissez vide si le "
            "fichier a une colonne member_siren."
        ),
    )
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_("Séparateur virgule ou point-virgule, encodage UTF-8, 2 Mo au plus."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_upload(upload, kinds={"csv"}, max_bytes=IMPORT_MAX_BYTES)
        return upload

    def clean(self):
        data = super().clean()
        if data.get("kind") in (ImportKind.GLPI_COMPUTERS, ImportKind.GLPI_SOFTWARE) and not (
            data.get("member")
        ):
            self.add_error("member", _("Choisissez l'adhérent auquel l'export GLPI se rapporte."))
        return data


def decimal_or_none(text: str) -> Decimal | None:
    text = (text or "").strip().replace(",", ".").replace(" ", "")
    return Decimal(text) if text else None
