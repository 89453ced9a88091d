import django_filters
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Deliberation, Offer, OfferKind, Software, SoftwareCategory


class SoftwareFilterSet(django_filters.FilterSet):
    """Shared by the staff catalogue and, later, the API."""

    q = django_filters.CharFilter(label=_("Recherche"), method="filter_q")
    category = django_filters.ChoiceFilter(
        label=_("Catégorie"), choices=SoftwareCategory.choices, empty_label=_("Toutes")
    )
    is_supported = django_filters.ChoiceFilter(
        label=_("Assistance"),
        choices=[("1", _("Couverts")), ("0", _("Non couverts"))],
        empty_label=_("Tous"),
        method="filter_supported",
    )

    class Meta:
        model = Software
        fields = ["q", "category", "is_supported"]

    def filter_q(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(
                models.Q(name__icontains=term) | models.Q(editor__icontains=term)
            )
        return queryset

    def filter_supported(self, queryset, name, value):
        return queryset.filter(is_supported=value == "1")


class OfferFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="filter_q")
    kind = django_filters.ChoiceFilter(
        label=_("Nature"), choices=OfferKind.choices, empty_label=_("Toutes")
    )
    software = django_filters.ModelChoiceFilter(
        label=_("Logiciel"), queryset=Software.objects.all(), empty_label=_("Tous")
    )
    is_active = django_filters.ChoiceFilter(
        label=_("État"),
        choices=[("1", _("Proposées")), ("0", _("Retirées"))],
        empty_label=_("Toutes"),
        method="filter_active",
    )

    class Meta:
        model = Offer
        fields = ["q", "kind", "software", "is_active"]

    def filter_q(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(
                models.Q(name__icontains=term) | models.Q(code__icontains=term)
            )
        return queryset

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")


class DeliberationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="filter_q")

    class Meta:
        model = Deliberation
        fields = ["q"]

    def filter_q(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(
                models.Q(number__icontains=term) | models.Q(subject__icontains=term)
            )
        return queryset
