"""Forms of the agents' pages. They check what was typed and hand clean values to one
service each; the services keep the rules (a refusal comes back as a ValidationError and is
shown on the form with ``apply_service_error``)."""

import json
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.core import roles
from syndesk.core.forms import apply_service_error  # noqa: F401 - used by views
from syndesk.members.models import Contact, Member

from . import rules
from .models import (
    CLOSE_OUTCOMES,
    RESOLVE_OUTCOMES,
    Category,
    Channel,
    Exclusion,
    Outcome,
    Priority,
    Status,
    Ticket,
)
from .services import QUEUE_VIEWS

#: What an agent may set by hand (portal tickets come from the portal: they need a requester).
STAFF_CHANNELS = [c for c in Channel.choices if c[0] != Channel.PORTAL]
#: The working statuses an agent moves a ticket between (resolve/close have their forms).
WORKING_STATUSES = [Status.NEW, Status.IN_PROGRESS, Status.WAITING_MEMBER, Status.WAITING_VENDOR]


def desk_agents():
    """Who may be put in charge of a ticket: active agents and managers."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__name__in=[roles.AGENT, roles.MANAGER]) | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.software.name} {obj.number}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; their type and size are checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _attachments_field():
    return MultipleFileField(
        label=_("Pièces jointes"),
        help_text=_("PDF, PNG, JPEG ou texte (CSV) ; 10 Mo au plus par fichier."),
    )


def _software_field():
    return forms.ModelChoiceField(
        label=_("Logiciel"),
        queryset=Software.objects.order_by("name"),
        required=False,
        empty_label=_("— non précisé —"),
    )


def _version_field():
    return VersionChoiceField(
        label=_("Version"),
        queryset=SoftwareVersion.objects.select_related("software").order_by(
            "software__name", "-release_date", "-pk"
        ),
        required=False,
        empty_label=_("— non précisée —"),
    )


def _live(widget, *, url: str, target: str, vals: dict | None = None, trigger="change"):
    """Progressive enhancement: on change, ask the server for a fragment (htmx)."""
    widget.attrs.update({"hx-get": url, "hx-target": target, "hx-trigger": trigger})
    if vals:
        widget.attrs["hx-vals"] = json.dumps(vals)


def contacts_of(member_id) -> "forms.QuerySet":
    if not member_id:
        return Contact.objects.none()
    return Contact.objects.filter(member_id=member_id).order_by("-is_primary", "last_name")


# --------------------------------------------------------------------------- calls


class CallStartForm(forms.Form):
    number = forms.CharField(
        label=_("Numéro de l'appelant"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "autofocus": True,
                "autocomplete": "off",
                "inputmode": "tel",
            }
        ),
    )


class CallEndForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes sur l'appel"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CallIdentifyForm(forms.Form):
    """Who called: a member (one of the candidates, or any), maybe one of its contacts, and
    whether to keep the number for next time."""

    member = forms.ModelChoiceField(
        label=_("Adhérent"), queryset=Member.objects.none(), empty_label=_("— choisir —")
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("— aucun contact en particulier —"),
    )
    remember = forms.BooleanField(
        label=_("Enregistrer ce numéro pour reconnaître l'appelant la prochaine fois"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        if candidates:
            self.fields["member"].queryset = Member.objects.filter(
                pk__in=[m.pk for m in candidates]
            )
        else:
            self.fields["member"].queryset = Member.objects.filter(is_active=True).only(
                "pk", "name"
            )
        _live(
            self.fields["member"].widget,
            url=reverse_lazy("desk:contact-options"),
            target=f"#{self['contact'].auto_id}",
        )
        self.fields["member"].widget.attrs["autofocus"] = True
        member_id = self.data.get(self.add_prefix("member")) if self.is_bound else None
        if candidates and not member_id:
            self.fields["contact"].queryset = Contact.objects.filter(
                member__in=[m.pk for m in candidates]
            )
        else:
            self.fields["contact"].queryset = contacts_of(member_id)


# --------------------------------------------------------------------------- tickets


class CallTicketForm(forms.Form):
    """The compact form of the call screen: the member (and usually the contact) come from
    the call; the subject is focused first, Enter submits."""

    subject = forms.CharField(
        label=_("Objet"),
        max_length=200,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    software = _software_field()
    version = _version_field()
    category = forms.ChoiceField(
        label=_("Catégorie"), choices=Category.choices, initial=Category.USAGE
    )
    priority = forms.TypedChoiceField(
        label=_("Priorité"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("— aucun —"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, member=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts_of(member.pk if member else None)
        if member is not None:
            _live(
                self.fields["software"].widget,
                url=reverse_lazy("desk:entitlement"),
                target="#live-entitlement",
                vals={"member": str(member.pk)},
            )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in ("subject", "software", "version", "category", "priority", "contact")
        } | {"description": data["description"]}

    def clean(self):
        data = super().clean()
        version, software = data.get("version"), data.get("software")
        if version is not None and software is None:
            data["software"] = version.software  # the version says which software
        return data


class TicketCreateForm(CallTicketForm):
    """A ticket typed without a call (a mail, a letter, a remote session...)."""

    field_order = [
        "member",
        "contact",
        "channel",
        "software",
        "version",
        "category",
        "priority",
        "subject",
        "description",
        "attachments",
    ]

    member = forms.ModelChoiceField(
        label=_("Adhérent"), queryset=Member.objects.none(), empty_label=_("— choisir —")
    )
    channel = forms.ChoiceField(label=_("Canal"), choices=STAFF_CHANNELS, initial=Channel.PHONE)
    attachments = _attachments_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(is_active=True).only("pk", "name")
        self.fields["subject"].widget.attrs.pop("autofocus", None)
        member_id = (
            self.data.get(self.add_prefix("member"))
            if self.is_bound
            else self.initial.get("member")
        )
        member_id = getattr(member_id, "pk", member_id)
        self.fields["contact"].queryset = contacts_of(member_id)
        self.fields["member"].widget.attrs["autofocus"] = True
        _live(
            self.fields["member"].widget,
            url=reverse_lazy("desk:contact-options"),
            target=f"#{self['contact'].auto_id}",
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return super().service_kwargs() | {
            "member": data["member"],
            "channel": data["channel"],
            "attachments": data["attachments"],
        }


class ReplyForm(forms.Form):
    PUBLIC, INTERNAL = "public", "internal"

    kind = forms.ChoiceField(
        label=_("Type de message"),
        choices=[
            (PUBLIC, _("Réponse à l'adhérent (envoyée par courriel)")),
            (INTERNAL, _("Note interne (jamais montrée à l'adhérent)")),
        ],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Le message est vide.")},
    )
    attachments = _attachments_field()
    wait_for_member = forms.BooleanField(
        label=_("Attendre la réponse de l'adhérent (le délai est suspendu)"), required=False
    )

    def __init__(self, *args, internal_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        if internal_only:
            self.fields["kind"].choices = [
                c for c in self.fields["kind"].choices if c[0] != "public"
            ]
            self.fields["kind"].initial = self.INTERNAL
            del self.fields["wait_for_member"]


class AssignForm(forms.Form):
    assignee = AgentChoiceField(
        label=_("Agent en charge"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— personne (non attribuée) —"),
    )

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents if agents is not None else desk_agents()


class BulkAssignForm(forms.Form):
    tickets = forms.ModelMultipleChoiceField(
        queryset=Ticket.objects.none(),
        error_messages={"required": _("Sélectionnez au moins une demande.")},
    )
    assignee = AgentChoiceField(
        label=_("Attribuer la sélection à"),
        queryset=get_user_model().objects.none(),
        empty_label=_("— choisir un agent —"),
        error_messages={"required": _("Choisissez l'agent à qui attribuer la sélection.")},
    )

    def __init__(self, *args, user=None, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tickets"].queryset = Ticket.objects.visible_to(user)
        self.fields["assignee"].queryset = agents if agents is not None else desk_agents()


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Nouvel état"), choices=())
    reason = forms.CharField(
        label=_("Motif de l'attente"),
        max_length=255,
        required=False,
        help_text=_("Obligatoire pour une mise en attente : le délai est suspendu."),
    )

    def __init__(self, *args, current: str = Status.NEW, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [s for s in WORKING_STATUSES if s != current and rules.can_transition(current, s)]
        self.fields["status"].choices = [(s, Status(s).label) for s in allowed]

    def clean(self):
        data = super().clean()
        if (
            data.get("status") in (Status.WAITING_MEMBER, Status.WAITING_VENDOR)
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Indiquez pourquoi le délai est suspendu."))
        return data


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Issue"),
        choices=[(o.value, o.label) for o in RESOLVE_OUTCOMES],
        initial=Outcome.SOLVED,
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Motif de clôture"),
        choices=[("", _("— choisir —")), *((o.value, o.label) for o in CLOSE_OUTCOMES)],
        required=False,
    )
    duplicate_of = forms.CharField(
        label=_("Doublon de la demande"),
        max_length=20,
        required=False,
        help_text=_("Sa référence, par exemple AS-2026-00042."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, ticket: Ticket, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket, self.user = ticket, user
        if ticket.status == Status.RESOLVED:
            # A resolved ticket keeps its outcome: closing needs no motive.
            del self.fields["outcome"], self.fields["duplicate_of"]
        else:
            self.fields["outcome"].required = True

    def clean_duplicate_of(self):
        reference = (self.cleaned_data.get("duplicate_of") or "").strip().upper()
        if not reference:
            return None
        original = Ticket.objects.visible_to(self.user).filter(reference=reference).first()
        if original is None:
            raise ValidationError(
                _("Aucune demande ne porte la référence %(reference)s."),
                params={"reference": reference},
            )
        return original

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") == Outcome.DUPLICATE
            and not data.get("duplicate_of")
            and "duplicate_of" not in self.errors
        ):
            self.add_error("duplicate_of", _("Indiquez la demande dont celle-ci est le doublon."))
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Motif de la réouverture"), max_length=255, required=False)


class TimeForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Durée (minutes)"),
        min_value=1,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    on = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Aujourd'hui si vide."),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class ClassifyForm(forms.Form):
    """What ``update_ticket`` may change from the ticket page (the member stays)."""

    subject = forms.CharField(label=_("Objet"), max_length=200)
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("— aucun —"),
    )
    software = _software_field()
    version = _version_field()
    category = forms.ChoiceField(label=_("Catégorie"), choices=Category.choices)
    priority = forms.TypedChoiceField(label=_("Priorité"), choices=Priority.choices, coerce=int)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "subject": ticket.subject,
                "contact": ticket.contact_id,
                "software": ticket.software_id,
                "version": ticket.version_id,
                "category": ticket.category,
                "priority": ticket.priority,
            },
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["contact"].queryset = contacts_of(ticket.member_id)

    def changes(self) -> dict:
        """Only what differs from the ticket (update_ticket re-checks entitlement on a new
        software, recomputes due dates on a new priority)."""
        data, ticket, found = self.cleaned_data, self.ticket, {}
        for key in ("contact", "software", "version"):
            value = data.get(key)
            if (value.pk if value else None) != getattr(ticket, f"{key}_id"):
                found[key] = value
        for key in ("subject", "category", "priority"):
            if data.get(key) != getattr(ticket, key):
                found[key] = data.get(key)
        if "software" in found and "version" not in found and ticket.version_id:
            version = data.get("version")
            if version is not None and (
                found["software"] is None or version.software_id != found["software"].pk
            ):
                found["version"] = None
        return found


class ExclusionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.title


class RedirectForm(forms.Form):
    exclusion = ExclusionChoiceField(
        label=_("Exclusion de l'annexe"),
        queryset=Exclusion.objects.none(),
        empty_label=_("— choisir —"),
    )

    def __init__(self, *args, exclusions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exclusion"].queryset = Exclusion.objects.active()
        if exclusions is not None:
            # Suggested ones first: the choice list is built from the list given.
            self.fields["exclusion"].choices = [("", _("— choisir —"))] + [
                (e.pk, e.title) for e in exclusions
            ]


# --------------------------------------------------------------------------- queue


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). Everything optional; bad values fall back to defaults."""

    view = forms.ChoiceField(choices=list(QUEUE_VIEWS.items()), required=False)
    q = forms.CharField(
        label=_("Recherche"),
        required=False,
        max_length=100,
        help_text=_("Une référence (AS-2026-00042) ou un mot de l'objet."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    adherent = forms.CharField(
        label=_("Adhérent"),
        required=False,
        max_length=100,
        help_text=_("Nom, code INSEE ou SIREN."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    member = forms.IntegerField(required=False, widget=forms.HiddenInput)
    software = forms.ModelChoiceField(
        label=_("Logiciel"),
        queryset=Software.objects.order_by("name"),
        required=False,
        empty_label=_("Tous"),
    )
    status = forms.ChoiceField(
        label=_("État"), choices=[("", _("Tous")), *Status.choices], required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priorité"),
        choices=[("", _("Toutes")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    category = forms.ChoiceField(
        label=_("Catégorie"), choices=[("", _("Toutes")), *Category.choices], required=False
    )
    entitled = forms.TypedChoiceField(
        label=_("Droit à l'assistance"),
        choices=[("", _("Toutes")), ("1", _("Couvertes")), ("0", _("Non couvertes"))],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )
    ordering = forms.ChoiceField(
        label=_("Trier par"),
        choices=[
            ("due", _("Échéance (la plus proche d'abord)")),
            ("-due", _("Échéance (la plus lointaine d'abord)")),
            ("priority", _("Priorité")),
            ("-created", _("Les plus récentes")),
            ("created", _("Les plus anciennes")),
            ("updated", _("Dernière mise à jour")),
        ],
        required=False,
    )


# --------------------------------------------------------------------------- reference data


class ExclusionForm(forms.ModelForm):
    class Meta:
        model = Exclusion
        fields = ["title", "keywords", "answer", "position", "is_active"]
        # The model's "active" collides with Django's French catalogue ("actif").
        labels = {"is_active": _("Exclusion active (proposée aux agents)")}
        widgets = {
            "keywords": forms.Textarea(attrs={"rows": 6}),
            "answer": forms.Textarea(attrs={"rows": 10}),
        }


def _hours(value: timedelta) -> Decimal:
    return (Decimal(int(value.total_seconds())) / 3600).quantize(Decimal("0.01")).normalize()


class SLATargetForm(forms.Form):
    """Targets typed in business hours (8 business hours = one Monday-Thursday day)."""

    first_response = forms.DecimalField(
        label=_("Première réponse (heures ouvrées)"),
        min_value=Decimal("0.25"),
        max_value=Decimal("400"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    resolution = forms.DecimalField(
        label=_("Résolution (heures ouvrées)"),
        min_value=Decimal("0.25"),
        max_value=Decimal("2000"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )

    def __init__(self, *args, target=None, **kwargs):
        if target is not None:
            kwargs.setdefault(
                "initial",
                {
                    "first_response": _hours(target.first_response),
                    "resolution": _hours(target.resolution),
                },
            )
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        first, resolution = data.get("first_response"), data.get("resolution")
        if first is not None and resolution is not None and resolution < first:
            self.add_error(
                "resolution", _("La résolution ne peut être attendue avant la première réponse.")
            )
        return data

    def durations(self) -> dict[str, timedelta]:
        return {
            key: timedelta(seconds=int(self.cleaned_data[key] * 3600))
            for key in ("first_response", "resolution")
        }


# --------------------------------------------------------------------------- triage


class AttachInboundForm(forms.Form):
    ticket = forms.CharField(
        label=_("Référence de la demande"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_ticket(self):
        reference = self.cleaned_data["ticket"].strip().upper()
        ticket = Ticket.objects.visible_to(self.user).filter(reference=reference).first()
        if ticket is None:
            raise ValidationError(
                _("Aucune demande ne porte la référence %(reference)s."),
                params={"reference": reference},
            )
        return ticket


class OpenFromInboundForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Adhérent"), queryset=Member.objects.none(), empty_label=_("— choisir —")
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("— aucun —"),
    )
    software = _software_field()
    category = forms.ChoiceField(
        label=_("Catégorie"), choices=Category.choices, initial=Category.OTHER
    )
    priority = forms.TypedChoiceField(
        label=_("Priorité"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(is_active=True).only("pk", "name")
        _live(
            self.fields["member"].widget,
            url=reverse_lazy("desk:contact-options"),
            target=f"#{self['contact'].auto_id}",
        )
        member_id = (
            self.data.get(self.add_prefix("member"))
            if self.is_bound
            else self.initial.get("member")
        )
        self.fields["contact"].queryset = contacts_of(getattr(member_id, "pk", member_id))


class DismissInboundForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"),
        max_length=255,
        required=False,
        help_text=_("Par exemple : message publicitaire, réponse automatique."),
    )
