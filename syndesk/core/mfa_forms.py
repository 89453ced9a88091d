"""Forms of the two-factor sign-in. They only take the code: mfa.py says whether it is right,
and refuse_code() puts its answer on the field."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import mfa


class CodeForm(forms.Form):
    """One code: 6 digits from the app or, when `allow_backup`, a backup code."""

    code = forms.CharField(
        label=_("Code à 6 chiffres ou code de secours"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def __init__(self, *args, allow_backup: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_backup:
            self.fields["code"].label = _("Code à 6 chiffres")
            self.fields["code"].widget.attrs["inputmode"] = "numeric"

    def refuse_code(self, exc: mfa.MfaError) -> None:
        """Show why mfa.py refused the code, at the field."""
        if isinstance(exc, mfa.Throttled):
            message = ngettext(
                "Trop de codes erronés : réessayez dans %(seconds)d seconde.",
                "Trop de codes erronés : réessayez dans %(seconds)d secondes.",
                exc.seconds,
            ) % {"seconds": exc.seconds}
        elif isinstance(exc, mfa.MfaRequired):
            message = _("La double authentification est obligatoire pour votre compte.")
        else:
            message = _("Ce code n'est pas valide ou a déjà servi.")
        self.add_error("code", message)
