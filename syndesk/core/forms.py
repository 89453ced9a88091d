from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import ClosureDay
from .roles import ROLES


class StaffCreateForm(forms.Form):
    email = forms.EmailField(label=_("Adresse électronique"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    role = forms.ChoiceField(label=_("Rôle"), choices=list(ROLES.items()))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Un compte existe déjà avec cette adresse."))
        return email


class StaffChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=list(ROLES.items()))
    is_active = forms.BooleanField(label=_("Compte actif"), required=False)


class ClosureDayForm(forms.ModelForm):
    class Meta:
        model = ClosureDay
        fields = ["date", "label"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        error_messages = {
            "date": {"unique": _("Ce jour est déjà enregistré comme jour de fermeture.")}
        }


def apply_service_error(form, exc: ValidationError, *, aliases: dict | None = None) -> None:
    """Show a service's refusal on the form: at the field it names when the form has that
    field (``aliases`` renames service keys to form fields), otherwise above the form."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            field = aliases.get(name, name)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
