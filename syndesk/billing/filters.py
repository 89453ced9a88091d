"""The FilterSets of the billing lists (shared with the API when it lists invoices)."""

import django_filters
from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syndesk.members.models import Member

from .models import Invoice

YEARS_OFFERED = 6


def _years():
    this_year = timezone.localdate().year
    return [(str(y), str(y)) for y in range(this_year + 1, this_year - YEARS_OFFERED, -1)]


class InvoiceFilterSet(django_filters.FilterSet):
    """The staff invoice list: search, year (of issue, or of the period for drafts), status,
    nature, member and overdue."""

    q = django_filters.CharFilter(label=_("Recherche"), method="filter_q")
    year = django_filters.ChoiceFilter(
        label=_("Exercice"), choices=_years, empty_label=_("Tous"), method="filter_year"
    )
    status = django_filters.ChoiceFilter(
        label=_("État"), choices=Invoice.Status.choices, empty_label=_("Tous")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Nature"), choices=Invoice.Kind.choices, empty_label=_("Toutes")
    )
    # A hidden field (set by the member page's link): a select of thousands of members
    # would cost more to render than the whole list; the search finds members by name.
    member = django_filters.ModelChoiceFilter(
        label=_("Adhérent"),
        queryset=Member.objects.only("pk", "name"),
        widget=forms.HiddenInput,
    )
    overdue = django_filters.BooleanFilter(
        label=_("En retard de paiement uniquement"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
    )
    # Set by the dashboard's "falling due within N days" link (not shown in the form).
    due_within = django_filters.NumberFilter(
        label=_("À échéance dans les (jours)"),
        method="filter_due_within",
        widget=forms.HiddenInput,
        min_value=0,
        max_value=366,
    )

    class Meta:
        model = Invoice
        fields = ["q", "year", "status", "kind", "member", "overdue", "due_within"]

    def filter_q(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(
                models.Q(number__icontains=term)
                | models.Q(member__name__icontains=term)
                | models.Q(commitment_number__icontains=term)
                | models.Q(member__siren__startswith=term)
            )
        return queryset

    def filter_year(self, queryset, name, value):
        year = int(value)
        return queryset.filter(
            models.Q(year=year) | models.Q(year__isnull=True, period_start__year=year)
        )

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.overdue(timezone.localdate())

    def filter_due_within(self, queryset, name, value):
        return queryset.falling_due(timezone.localdate(), int(value))
