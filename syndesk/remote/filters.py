"""The FilterSet of the staff list of remote sessions (shared with the API when it lists
sessions): status, tool, the agent who asked, the member (by name) and a period of request
dates. An invalid value is reported at its field and that filter alone is left out."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syndesk.members.models import search_key

from .models import RemoteSession, RemoteTool, Status

_DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_BAD_DATE = {"invalid": _("Indiquez une date valide (jj/mm/aaaa).")}


def _agents(request):
    # Every staff account, active or not: a former agent's sessions stay searchable.
    return (
        get_user_model()
        .objects.filter(is_staff=True)
        .only("pk", "first_name", "last_name", "email")
        .order_by("first_name", "last_name", "email")
    )


def _midnight(day):
    """The start of a day in the current time zone (Europe/Paris), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


class _AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class _AgentFilter(django_filters.ModelChoiceFilter):
    field_class = _AgentChoiceField


class RemoteSessionFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("La date de fin précède la date de début."))
        return data


class RemoteSessionFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("État"),
        choices=Status.choices,
        empty_label=_("Tous"),
        error_messages={"invalid_choice": _("Choisissez un état de la liste.")},
    )
    tool = django_filters.ModelChoiceFilter(
        label=_("Outil"),
        queryset=RemoteTool.objects.only("pk", "name"),
        empty_label=_("Tous"),
        error_messages={"invalid_choice": _("Choisissez un outil de la liste.")},
    )
    agent = _AgentFilter(
        label=_("Agent"),
        field_name="requested_by",
        queryset=_agents,
        empty_label=_("Tous"),
        error_messages={"invalid_choice": _("Choisissez un agent de la liste.")},
    )
    member = django_filters.CharFilter(label=_("Adhérent"), method="filter_member", max_length=200)
    date_from = django_filters.DateFilter(
        label=_("Demandées du"),
        method="filter_from",
        widget=_DATE_WIDGET,
        error_messages=_BAD_DATE,
    )
    date_to = django_filters.DateFilter(
        label=_("au"),
        method="filter_to",
        widget=_DATE_WIDGET,
        error_messages=_BAD_DATE,
    )

    class Meta:
        model = RemoteSession
        fields = ["status", "tool", "agent", "member", "date_from", "date_to"]
        form = RemoteSessionFilterForm

    def filter_member(self, queryset, name, value):
        # Accent- and case-insensitive, as the member directory's search.
        for term in search_key(value).split():
            queryset = queryset.filter(member__search_name__contains=term)
        return queryset

    def filter_from(self, queryset, name, value):
        return queryset.filter(requested_at__gte=_midnight(value))

    def filter_to(self, queryset, name, value):
        # The whole last day: before the next midnight (DST-safe, aware bounds).
        return queryset.filter(requested_at__lt=_midnight(value + timedelta(days=1)))
