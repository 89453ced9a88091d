"""Forms of the member portal's helpdesk pages: submit a request, reply, rate the answer.

They only shape the input; the rules (real type and size of attachments, entitlement, what a
closed ticket accepts) are the services'. A service's refusal is shown at the field it names
(``apply_service_error``).
"""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software
from syndesk.contracts.models import Subscription
from syndesk.core.forms import apply_service_error
from syndesk.core.uploads import LABELS

from . import services
from .models import Category

__all__ = ["RateForm", "ReplyForm", "TicketCreateForm", "apply_service_error"]

#: At most this many files per message (each one is checked by the service).
MAX_FILES = 5
#: What the browser's file picker proposes; the server sniffs the real type anyway.
ACCEPT = ".pdf,.png,.jpg,.jpeg,.txt,.csv,application/pdf,image/png,image/jpeg,text/plain,text/csv"
#: The member describes the request; "out of scope" is the desk's classification.
MEMBER_CATEGORIES = [c for c in Category.choices if c[0] != Category.OUT_OF_SCOPE]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            files = [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        else:
            files = [super().clean(data, initial)] if data else []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Joignez au plus %(max)d fichiers par message.") % {"max": MAX_FILES}
            )
        return files


def _attachments_help() -> str:
    kinds = " / ".join(LABELS[k] for k in sorted(services.ATTACHMENT_KINDS))
    return _("Facultatif. %(kinds)s, %(size)s au plus par fichier, %(max)d fichiers au plus.") % {
        "kinds": kinds,
        "size": filesizeformat(services.attachment_max_bytes()),
        "max": MAX_FILES,
    }


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(label=_("Pièces jointes"), required=False)


class _WithAttachments(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form: the size limit is a setting.
        self.fields["attachments"].help_text = _attachments_help()


def software_choices(member, user) -> tuple[list, dict[str, Software]]:
    """The software select: those the member's subscription covers first (when it lists
    some), then the others. Returns (grouped choices, {value: Software}). Two queries."""
    covered_ids = set(
        Subscription.objects.visible_to(user)
        .for_member(member)
        .exclude(status=Subscription.Status.ENDED)
        .exclude(software=None)
        .values_list("software", flat=True)
    )
    every = list(Software.objects.order_by("name"))
    by_value = {str(s.pk): s for s in every}
    empty = [("", _("— Je ne sais pas / autre —"))]
    covered = [(str(s.pk), s.name) for s in every if s.pk in covered_ids]
    others = [(str(s.pk), s.name) for s in every if s.pk not in covered_ids]
    if not covered:
        return empty + others, by_value
    return empty + [(_("Logiciels de votre abonnement"), covered)] + (
        [(_("Autres logiciels"), others)] if others else []
    ), by_value


class TicketCreateForm(_WithAttachments):
    software = forms.ChoiceField(label=_("Logiciel concerné"), required=False)
    category = forms.ChoiceField(
        label=_("Type de demande"), choices=MEMBER_CATEGORIES, initial=Category.USAGE
    )
    subject = forms.CharField(
        label=_("Objet"),
        max_length=200,
        help_text=_("En quelques mots, par exemple : « Mandat rejeté par le comptable »."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Ce que vous faisiez, le message d'erreur affiché, le poste concerné : "
            "plus la description est précise, plus la réponse est rapide."
        ),
    )
    attachments = _attachments_field()
    follow_up_of = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)

    def __init__(self, *args, member, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices, self._software = software_choices(member, user)
        self.fields["software"].choices = choices

    def clean_software(self) -> Software | None:
        value = self.cleaned_data.get("software") or ""
        return self._software.get(value)


class ReplyForm(_WithAttachments):
    body = forms.CharField(
        label=_("Votre message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachments = _attachments_field()


class RateForm(forms.Form):
    """One click: the button pressed carries ``satisfied`` (1 or 0)."""

    satisfied = forms.TypedChoiceField(
        choices=[("1", _("Satisfait")), ("0", _("Pas satisfait"))],
        coerce=lambda v: v == "1",
        error_messages={"required": _("Choisissez « Satisfait » ou « Pas satisfait ».")},
    )
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
