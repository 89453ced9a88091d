import django_filters
from django.utils.translation import gettext_lazy as _

from .models import EPCI_CATEGORIES, LegalCategory, Member


class MemberFilterSet(django_filters.FilterSet):
    """Shared by the staff directory and, later, the API."""

    q = django_filters.CharFilter(label=_("Recherche"), method="filter_q")
    legal_category = django_filters.ChoiceFilter(
        label=_("Nature juridique"), choices=LegalCategory.choices, empty_label=_("Toutes")
    )
    parent = django_filters.ModelChoiceFilter(
        label=_("EPCI"),
        queryset=Member.objects.filter(legal_category__in=EPCI_CATEGORIES),
        empty_label=_("Tous"),
    )
    is_active = django_filters.ChoiceFilter(
        label=_("Adhésion"),
        choices=[("1", _("Actifs")), ("0", _("Inactifs"))],
        empty_label=_("Tous"),
        method="filter_active",
    )

    class Meta:
        model = Member
        fields = ["q", "legal_category", "parent", "is_active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")

    def filter_q(self, queryset, name, value):
        return queryset.search(value)
