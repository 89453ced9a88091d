from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.core.models import ClosureDay
from syndesk.members.models import Contact

from .models import Notice

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)


def _datetime_field(label, help_text="", required=False):
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        help_text=help_text,
    )


class NoticeForm(forms.ModelForm):
    """Write or edit a notice. Dates are typed in Paris time; the model's clean() explains
    a missing start or an end before the start at the field concerned."""

    starts_at = _datetime_field(_("Début"), _("Heure de Paris."))
    ends_at = _datetime_field(
        _("Fin"), _("Heure de Paris. Pour une interruption : fin prévue, si elle est connue.")
    )

    class Meta:
        model = Notice
        fields = ["kind", "title", "software", "severity", "starts_at", "ends_at", "body"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 12}),
            "software": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["software"].queryset = Software.objects.order_by("name")
        self.fields["severity"].help_text = _("Pour une interruption ou une maintenance.")
        if self.instance.pk and self.instance.is_published:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _("Le type d'un avis publié ne change plus.")


class NoticeUpdateForm(forms.Form):
    body = forms.CharField(
        label=_("Message de suivi"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown. Publié immédiatement, daté de maintenant."),
    )


class NoticeCloseForm(forms.Form):
    resolution = forms.CharField(
        label=_("Message de résolution"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown. Par exemple : « Le service est rétabli depuis 11 h 20. »"),
    )
    ended_at = _datetime_field(
        _("Fin effective"), _("Heure de Paris ; laissez vide pour « maintenant ».")
    )

    def __init__(self, *args, notice: Notice, **kwargs):
        super().__init__(*args, **kwargs)
        self.notice = notice

    def clean_ended_at(self):
        ended_at = self.cleaned_data.get("ended_at")
        if ended_at is None:
            return None
        if ended_at > timezone.now():
            raise forms.ValidationError(_("La fin effective ne peut pas être dans le futur."))
        if self.notice.starts_at and ended_at <= self.notice.starts_at:
            raise forms.ValidationError(_("La fin doit être postérieure au début."))
        return ended_at


class VersionNoticeForm(forms.Form):
    version = forms.ModelChoiceField(
        label=_("Version du catalogue"),
        queryset=SoftwareVersion.objects.none(),
        empty_label=_("— choisir une version —"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = SoftwareVersion.objects.select_related(
            "software"
        ).order_by("software__name", "-release_date", "-pk")


class ClosureNoticeForm(forms.Form):
    closure = forms.ModelChoiceField(
        label=_("Jour de fermeture"),
        queryset=ClosureDay.objects.none(),
        empty_label=_("— choisir un jour —"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closure"].queryset = ClosureDay.objects.filter(date__gte=timezone.localdate())


class AlertContactForm(forms.Form):
    """Staff: subscribe one of the member's contacts to the email alerts."""

    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.none())

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = (
            Contact.objects.filter(member=member).exclude(email="").filter(alerts__isnull=True)
        )
