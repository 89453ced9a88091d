from django import forms
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software, SoftwareVersion

from .models import Sheet, Tag


class SheetForm(forms.ModelForm):
    """Write or edit a sheet. Tags are typed as one comma-separated line."""

    tag_names = forms.CharField(
        label=_("Mots-clés"),
        required=False,
        max_length=500,
        help_text=_("Séparés par des virgules : paie, télétransmission, sauvegarde."),
    )
    slug = forms.SlugField(
        label=_("Adresse"),
        required=False,
        max_length=200,
        help_text=_("Laissez vide pour la déduire du titre ; l'ancienne adresse reste valable."),
    )

    class Meta:
        model = Sheet
        fields = ["title", "summary", "visibility", "software", "versions", "body"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "body": forms.Textarea(attrs={"rows": 18}),
            "software": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["software"].queryset = Software.objects.order_by("name")
        self.fields["versions"].queryset = SoftwareVersion.objects.select_related(
            "software"
        ).order_by("software__name", "-release_date", "-pk")
        self.fields["versions"].required = False
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())
            self.fields["slug"].initial = self.instance.slug
        else:
            del self.fields["slug"]

    def clean(self):
        cleaned = super().clean()
        software = {s.pk for s in cleaned.get("software") or []}
        if any(v.software_id not in software for v in cleaned.get("versions") or []):
            self.add_error("versions", _("Cochez aussi le logiciel de chaque version choisie."))
        return cleaned


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Pièce jointe"),
        help_text=_("PDF, PNG ou JPEG, 10 Mo au plus."),
    )


class SheetFilterForm(forms.Form):
    """Filters of the staff list and of the public search (all optional)."""

    q = forms.CharField(label=_("Rechercher"), required=False, max_length=200)
    logiciel = forms.ModelChoiceField(
        label=_("Logiciel"),
        queryset=Software.objects.only("pk", "name").order_by("name"),
        required=False,
        empty_label=_("Tous"),
    )
    mot = forms.ModelChoiceField(
        label=_("Mot-clé"),
        queryset=Tag.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("Tous"),
    )

    def __init__(self, *args, tags=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tags is not None:  # the public page offers only tags of sheets the visitor sees
            self.fields["mot"].queryset = tags


class StaffSheetFilterForm(SheetFilterForm):
    etat = forms.ChoiceField(
        label=_("État"), choices=[("", _("Tous")), *Sheet.Status.choices], required=False
    )
    visibilite = forms.ChoiceField(
        label=_("Visibilité"),
        choices=[("", _("Toutes")), *Sheet.Visibility.choices],
        required=False,
    )
