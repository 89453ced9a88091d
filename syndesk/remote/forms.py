from django import forms
from django.utils.translation import gettext_lazy as _

from syndesk.core.forms import apply_service_error  # noqa: F401  (re-exported for views)

from .models import RemoteTool


class RequestForm(forms.Form):
    """The agent's request, from the ticket page."""

    tool = forms.ModelChoiceField(
        label=_("Outil"),
        queryset=RemoteTool.objects.filter(is_active=True),
        empty_label=None,
        error_messages={"invalid_choice": _("Choisissez un outil de la liste.")},
    )
    tool_session_id = forms.CharField(
        label=_("Identifiant de session de l'outil"),
        max_length=80,
        help_text=_("L'identifiant affiché sur le poste de l'utilisateur (ex. 123 456 789)."),
    )
    reason = forms.CharField(
        label=_("Motif"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("L'utilisateur le lit avant de donner son accord."),
    )


class DecisionForm(forms.Form):
    """The consent page: the hash of the text shown travels with the answer, so that an
    agreement always refers to the text the user read."""

    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)


class HandoverForm(forms.Form):
    person = forms.ChoiceField(
        label=_("Personne qui prend le relais"),
        error_messages={
            "invalid_choice": _("Choisissez une personne de la liste."),
            "required": _("Choisissez une personne de la liste."),
        },
    )

    def __init__(self, *args, users=(), contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— choisir —"))]
        choices += [(f"u{u.pk}", u.get_full_name() or u.email) for u in users]
        choices += [(f"c{c.pk}", f"{c}{f' ({c.role})' if c.role else ''}") for c in contacts]
        self.fields["person"].choices = choices
        self.users = {f"u{u.pk}": u for u in users}
        self.contacts = {f"c{c.pk}": c for c in contacts}

    def clean_person(self):
        value = self.cleaned_data["person"]
        if value not in self.users and value not in self.contacts:
            raise forms.ValidationError(_("Choisissez une personne de la liste."))
        return value

    def target(self) -> dict:
        value = self.cleaned_data["person"]
        if value in self.users:
            return {"to_user": self.users[value]}
        return {"to_contact": self.contacts[value]}


class ReportForm(forms.Form):
    year = forms.IntegerField(
        label=_("Année"),
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages={"invalid": _("Indiquez une année (ex. 2026).")},
    )
