import django_filters
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software

from .models import Notice


class NoticeFilterSet(django_filters.FilterSet):
    """Shared by the staff list and, later, the API."""

    q = django_filters.CharFilter(label=_("Recherche"), field_name="title", lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=Notice.Kind.choices, empty_label=_("Tous")
    )
    status = django_filters.ChoiceFilter(
        label=_("État"), choices=Notice.Status.choices, empty_label=_("Tous")
    )
    software = django_filters.ModelChoiceFilter(
        label=_("Logiciel"), queryset=Software.objects.order_by("name"), empty_label=_("Tous")
    )

    class Meta:
        model = Notice
        fields = ["q", "kind", "status", "software"]
