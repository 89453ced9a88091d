"""Inventory operations. Each runs in a transaction and writes the audit log; views,
commands and tasks call these, never the models directly.

Licence keys: functions handling one are marked ``sensitive_variables`` so that Django's
error reports never print it, and the audit log records that a key was set or revealed,
never the key itself.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from syndesk.catalog.models import Prerequisite, Software, SoftwareVersion
from syndesk.core.audit import log_action
from syndesk.core.tasks import send_email
from syndesk.members.models import Contact, Member, Membership

from . import rules
from .forms import InstallationForm, WorkstationForm, decimal_or_none
from .licence import LicenceKey
from .models import (
    Declaration,
    DeclarationKind,
    DeclarationStatus,
    Installation,
    Role,
    UpdateStatus,
    Workstation,
)

SPEC_FIELDS = [
    "role",
    "os_family",
    "os_version",
    "cpu",
    "cpu_cores",
    "ram_gib",
    "free_disk_gib",
    "browser",
    "browser_version",
    "runtimes",
]


# Workstations and installations -----------------------------------------------------------


@transaction.atomic
def save_workstation(*, form: WorkstationForm, saved_by) -> Workstation:
    creating = form.instance.pk is None
    workstation = form.save()
    log_action(
        "inventory.workstation.created" if creating else "inventory.workstation.changed",
        actor=saved_by,
        target=workstation,
        data={"member": workstation.member_id, "fields": sorted(form.changed_data)},
    )
    return workstation


@transaction.atomic
def delete_workstation(*, workstation: Workstation, deleted_by) -> None:
    log_action(
        "inventory.workstation.deleted",
        actor=deleted_by,
        target=workstation,
        data={"member": workstation.member_id, "name": workstation.name},
    )
    workstation.delete()


@sensitive_variables("key", "form")
@transaction.atomic
def save_installation(*, form: InstallationForm, saved_by) -> Installation:
    creating = form.instance.pk is None
    installation = form.save(commit=False)
    key = form.cleaned_data.get("new_licence_key")
    licence_changed = bool(key) or bool(form.cleaned_data.get("clear_licence"))
    if key:
        installation.licence_key = key
    elif form.cleaned_data.get("clear_licence"):
        installation.licence_key = ""
    installation.save()
    form.save_m2m()
    fields = sorted(f for f in form.changed_data if f not in {"new_licence_key", "clear_licence"})
    log_action(
        "inventory.installation.created" if creating else "inventory.installation.changed",
        actor=saved_by,
        target=installation,
        data={
            "member": installation.member_id,
            "fields": fields,
            "licence_changed": licence_changed,
        },
    )
    return installation


@transaction.atomic
def delete_installation(*, installation: Installation, deleted_by) -> None:
    log_action(
        "inventory.installation.deleted",
        actor=deleted_by,
        target=installation,
        data={"member": installation.member_id, "software": installation.software_id},
    )
    installation.delete()


@sensitive_variables("key")
@transaction.atomic
def reveal_licence(*, installation: Installation, revealed_by) -> str:
    """The clear licence key, for staff allowed to read it; every reveal is logged."""
    if not (revealed_by.is_staff and revealed_by.has_perm("inventory.reveal_licence")):
        raise PermissionDenied
    log_action(
        "inventory.licence.revealed",
        actor=revealed_by,
        target=installation,
        data={"member": installation.member_id},
    )
    key = installation.licence_key
    return key.reveal() if isinstance(key, LicenceKey) else ""


# Prerequisite checks ------------------------------------------------------------------------


def _req(prerequisite: Prerequisite) -> rules.Req:
    return rules.Req(
        kind=prerequisite.kind,
        component=prerequisite.component,
        min_version=prerequisite.min_version,
        min_quantity=prerequisite.min_quantity,
        text=prerequisite.text,
        source=str(prerequisite.version),
    )


def requirements_of_versions(version_ids) -> dict[int, list[rules.Req]]:
    """The prerequisites of each version (one query)."""
    found: dict[int, list[rules.Req]] = defaultdict(list)
    for prerequisite in Prerequisite.objects.filter(version_id__in=set(version_ids)).select_related(
        "version__software"
    ):
        found[prerequisite.version_id].append(_req(prerequisite))
    return found


def requirements_of_members(member_ids) -> dict[int, list[rules.Req]]:
    """The prerequisites of every software version each member uses (two queries)."""
    pairs = list(
        Installation.objects.filter(member_id__in=set(member_ids), version__isnull=False)
        .values_list("member_id", "version_id")
        .distinct()
    )
    by_version = requirements_of_versions(v for _m, v in pairs)
    found: dict[int, list[rules.Req]] = defaultdict(list)
    for member_id, version_id in pairs:
        found[member_id].extend(by_version.get(version_id, []))
    return found


def check_spec_for_member(
    *, member: Member, spec: rules.Spec, version: SoftwareVersion | None = None
) -> list[rules.Check]:
    """A planned machine (or a workstation) against the prerequisites of every version the
    member uses, plus `version` (the software the purchase is for)."""
    reqs = list(requirements_of_members([member.pk]).get(member.pk, []))
    if version is not None:
        have = {r.source for r in reqs}
        reqs += [
            r
            for r in requirements_of_versions([version.pk]).get(version.pk, [])
            if (r.source not in have)
        ]
    return rules.check_spec(spec, reqs)


@dataclass
class WorkstationCompliance:
    workstation: Workstation
    checks: list[rules.Check]

    @property
    def status(self) -> str:
        return rules.overall(self.checks)

    @property
    def failures(self) -> list[rules.Check]:
        return [c for c in self.checks if c.status == rules.FAIL]


@dataclass
class MemberCompliance:
    member: Member
    workstations: list[WorkstationCompliance] = field(default_factory=list)

    @property
    def failing(self) -> list[WorkstationCompliance]:
        return [w for w in self.workstations if w.status == rules.FAIL]

    @property
    def unknown(self) -> list[WorkstationCompliance]:
        return [w for w in self.workstations if w.status == rules.UNKNOWN]


def workstation_compliance(workstations: list[Workstation]) -> list[WorkstationCompliance]:
    """Each workstation checked against its member's prerequisites. Identical machines
    facing identical prerequisites are checked once (a town hall buys its workstations by
    the dozen; members share the same software versions)."""
    reqs = requirements_of_members({w.member_id for w in workstations})
    cache: dict[tuple, list[rules.Check]] = {}
    results = []
    for workstation in workstations:
        spec = workstation.spec()
        member_reqs = tuple(reqs.get(workstation.member_id, []))
        key = (_spec_key(spec), member_reqs)
        if key not in cache:
            cache[key] = rules.check_spec(spec, member_reqs)
        results.append(WorkstationCompliance(workstation, cache[key]))
    return results


def _spec_key(spec: rules.Spec) -> tuple:
    return (
        spec.os_family,
        spec.os_version,
        spec.cpu_cores,
        spec.ram_gib,
        spec.free_disk_gib,
        spec.browser,
        spec.browser_version,
        tuple(sorted(spec.runtimes.items())),
        spec.runtimes_known,
    )


def compliance_report(*, user, only_failing: bool = True) -> list[MemberCompliance]:
    """Members whose workstations fail a prerequisite of the software they use (three
    queries, whatever the number of members)."""
    workstations = list(
        Workstation.objects.visible_to(user)
        .select_related("member")
        .order_by("member__search_name", "name")
    )
    by_member: dict[int, MemberCompliance] = {}
    for result in workstation_compliance(workstations):
        member = result.workstation.member
        by_member.setdefault(member.pk, MemberCompliance(member)).workstations.append(result)
    report = list(by_member.values())
    if only_failing:
        report = [m for m in report if m.failing]
    return report


# Outdated versions --------------------------------------------------------------------------


def _info(version: SoftwareVersion) -> rules.VersionInfo:
    return rules.VersionInfo(
        version.pk, version.number, version.release_date, version.end_of_support
    )


@dataclass
class OutdatedRow:
    installation: Installation
    state: rules.Outdated


@dataclass
class OutdatedGroup:
    software: Software
    latest: SoftwareVersion | None
    rows: list[OutdatedRow] = field(default_factory=list)


def outdated_report(*, user, today: date, software: Software | None = None) -> list[OutdatedGroup]:
    """Per software: the members on an older version than the latest, or on a version past
    its end of support (two queries)."""
    installations = (
        Installation.objects.visible_to(user)
        .filter(version__isnull=False)
        .select_related("member", "software", "version")
        .order_by("software__name", "member__search_name")
    )
    if software is not None:
        installations = installations.filter(software=software)
    installations = list(installations)
    versions: dict[int, list[SoftwareVersion]] = defaultdict(list)
    for version in SoftwareVersion.objects.filter(
        software_id__in={i.software_id for i in installations}
    ):
        versions[version.software_id].append(version)
    groups: dict[int, OutdatedGroup] = {}
    for installation in installations:
        known = versions[installation.software_id]
        infos = [_info(v) for v in known]
        state = rules.outdated(_info(installation.version), infos, today)
        if not state.any:
            continue
        group = groups.get(installation.software_id)
        if group is None:
            latest_info = rules.latest_version(infos)
            latest = next((v for v in known if latest_info and v.pk == latest_info.pk), None)
            group = groups[installation.software_id] = OutdatedGroup(installation.software, latest)
        group.rows.append(OutdatedRow(installation, state))
    return list(groups.values())


def mark_outdated(installations: list[Installation], *, today: date) -> None:
    """Set ``outdated_state`` (rules.Outdated or None) on each installation (one query)."""
    versions: dict[int, list[rules.VersionInfo]] = defaultdict(list)
    for version in SoftwareVersion.objects.filter(
        software_id__in={i.software_id for i in installations}
    ):
        versions[version.software_id].append(_info(version))
    for installation in installations:
        installation.outdated_state = (
            rules.outdated(_info(installation.version), versions[installation.software_id], today)
            if installation.version_id
            else None
        )


def notify_outdated(*, software: Software, channel: str, notified_by, today: date) -> int:
    """The one-click action of the outdated report: a published news notice about the
    latest version (channel "notice"), or an email to the contacts of each member still on
    an outdated version (channel "email", sent after commit). Returns the number of notices
    or emails."""
    groups = outdated_report(user=notified_by, today=today, software=software)
    if not groups:
        raise ValidationError(_("Aucun adhérent n'utilise une version dépassée de ce logiciel."))
    group = groups[0]
    if channel == "notice":
        if group.latest is None:
            raise ValidationError(_("Ce logiciel n'a aucune version au catalogue."))
        if not (
            notified_by.has_perm("news.add_notice") and notified_by.has_perm("news.publish_notice")
        ):
            raise PermissionDenied
        from syndesk.news import services as news

        with transaction.atomic():
            notice = news.create_version_notice(version=group.latest, created_by=notified_by)
            news.publish_notice(notice=notice, published_by=notified_by)
            log_action(
                "inventory.outdated.notice",
                actor=notified_by,
                target=group.latest,
                data={"notice": notice.pk, "members": len(group.rows)},
            )
        return 1
    return _email_outdated(group, notified_by=notified_by)


@transaction.atomic
def _email_outdated(group: OutdatedGroup, *, notified_by) -> int:
    member_ids = {row.installation.member_id for row in group.rows}
    emails: dict[int, list[str]] = defaultdict(list)
    for contact in Contact.objects.filter(member_id__in=member_ids).exclude(email=""):
        emails[contact.member_id].append(contact.email)
    messages = []
    for row in group.rows:
        to = sorted(set(emails.get(row.installation.member_id, [])))
        if not to:
            continue
        context = {
            "member": row.installation.member,
            "installation": row.installation,
            "state": row.state,
            "latest": group.latest,
            "syndicate": settings.SYNDICATE,
        }
        subject = _("[%(name)s] %(software)s : mise à jour à prévoir") % {
            "name": settings.SYNDICATE["name"],
            "software": group.software.name,
        }
        messages.append((subject, render_to_string("inventory/email/outdated.txt", context), to))
    log_action(
        "inventory.outdated.emailed",
        actor=notified_by,
        target=group.software,
        data={"members": len(messages)},
    )

    def enqueue():
        for subject_, body_, to_ in messages:
            send_email.enqueue(subject=subject_, body=body_, to=to_)

    transaction.on_commit(enqueue)
    return len(messages)


# Declarations -------------------------------------------------------------------------------


def _may_act_for(user, member: Member) -> bool:
    if user.is_staff:
        return True
    return Membership.objects.filter(user=user, member=member, member__is_active=True).exists()


def _lock(declaration: Declaration) -> Declaration:
    return Declaration.objects.select_for_update().get(pk=declaration.pk)


def _portal_url(declaration: Declaration) -> str:
    return settings.SITE_URL + reverse("inventory-portal:declaration", args=[declaration.pk])


def _mail_submitter(declaration: Declaration, *, subject: str, template: str) -> bool:
    """Email the member user who declared (or the member's contacts) after commit."""
    to = []
    if declaration.submitted_by_id and declaration.submitted_by.email:
        to = [declaration.submitted_by.email]
    else:
        to = sorted(
            set(
                Contact.objects.filter(member=declaration.member)
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
    if not to:
        return False
    body = render_to_string(
        template,
        {
            "declaration": declaration,
            "url": _portal_url(declaration),
            "syndicate": settings.SYNDICATE,
        },
    )
    transaction.on_commit(lambda: send_email.enqueue(subject=subject, body=body, to=to))
    return True


@sensitive_variables("form")
@transaction.atomic
def submit_declaration(*, form, submitted_by) -> Declaration:
    """Record a member's declaration (a validated declaration form)."""
    declaration = form.instance
    if not _may_act_for(submitted_by, form.member):
        raise PermissionDenied
    declaration.member = form.member
    declaration.submitted_by = submitted_by
    declaration.status = DeclarationStatus.SUBMITTED
    declaration = form.save()
    log_action(
        "inventory.declaration.submitted",
        actor=submitted_by,
        target=declaration,
        data={"member": declaration.member_id, "kind": declaration.kind},
    )
    return declaration


@sensitive_variables("form")
@transaction.atomic
def complete_declaration(*, form, completed_by) -> Declaration:
    """The member's answer to a request for details: the declaration goes back to review."""
    current = _lock(form.instance)
    if current.status != DeclarationStatus.NEEDS_DETAILS:
        raise ValidationError(_("Cette déclaration n'attend pas de précisions."))
    if not _may_act_for(completed_by, current.member):
        raise PermissionDenied
    declaration = form.save(commit=False)
    declaration.status = DeclarationStatus.SUBMITTED
    declaration.save()
    log_action(
        "inventory.declaration.completed",
        actor=completed_by,
        target=declaration,
        data={"fields": sorted(form.changed_data)},
    )
    return declaration


def _require_open(declaration: Declaration) -> None:
    if not declaration.is_open:
        raise ValidationError(_("Cette déclaration a déjà été examinée."))


def _copy_spec(source: Declaration, target: Workstation) -> None:
    for name in SPEC_FIELDS:
        value = getattr(source, name)
        if value not in (None, "") or name == "role":
            setattr(target, name, value)


@sensitive_variables("declaration")
@transaction.atomic
def accept_declaration(*, declaration: Declaration, reviewed_by) -> Declaration:
    """Accept: the inventory is updated in the same transaction (an installation for a
    software acquisition; the workstation, and the installation of the software it is for,
    for a hardware change or a planned purchase)."""
    declaration = _lock(declaration)
    _require_open(declaration)
    member = declaration.member
    workstation = None
    if declaration.has_machine:
        workstation = (
            Workstation.objects.select_for_update()
            .filter(member=member, name__iexact=declaration.workstation_name)
            .first()
        ) or Workstation(member=member, name=declaration.workstation_name)
        _copy_spec(declaration, workstation)
        if declaration.kind == DeclarationKind.PLANNED:
            workstation.notes = "\n".join(
                p
                for p in [
                    workstation.notes,
                    _("Achat prévu déclaré le %(date)s.")
                    % {"date": timezone.localdate(declaration.submitted_at).strftime("%d/%m/%Y")},
                ]
                if p
            )
        workstation.last_checked = timezone.localdate()
        workstation.full_clean()
        workstation.save()
        declaration.workstation = workstation
    installation = None
    if declaration.software_id:
        installation = (
            Installation.objects.select_for_update()
            .filter(member=member, software_id=declaration.software_id)
            .first()
        ) or Installation(member=member, software_id=declaration.software_id)
        if declaration.version_id:
            installation.version_id = declaration.version_id
        if declaration.kind == DeclarationKind.SOFTWARE:
            if declaration.licence_key:
                installation.licence_key = declaration.licence_key
            for name in ("seats", "licence_expiry", "vendor_contract_ref"):
                value = getattr(declaration, name)
                if value not in (None, ""):
                    setattr(installation, name, value)
        installation.save()
        if workstation is not None:
            installation.workstations.add(workstation)
        declaration.installation = installation
    declaration.status = DeclarationStatus.ACCEPTED
    declaration.reviewer = reviewed_by
    declaration.reviewed_at = timezone.now()
    declaration.reason = ""
    declaration.save()
    log_action(
        "inventory.declaration.accepted",
        actor=reviewed_by,
        target=declaration,
        data={
            "member": member.pk,
            "installation": installation.pk if installation else None,
            "workstation": workstation.pk if workstation else None,
        },
    )
    _mail_submitter(
        declaration,
        subject=_("Votre déclaration a été acceptée"),
        template="inventory/email/declaration_reviewed.txt",
    )
    return declaration


@transaction.atomic
def request_details(*, declaration: Declaration, reviewed_by, reason: str) -> Declaration:
    declaration = _lock(declaration)
    _require_open(declaration)
    if not reason.strip():
        raise ValidationError({"reason": _("Indiquez les précisions attendues.")})
    now = timezone.now()
    declaration.status = DeclarationStatus.NEEDS_DETAILS
    declaration.reviewer = reviewed_by
    declaration.reviewed_at = now
    declaration.details_requested_at = now
    declaration.reason = reason.strip()
    declaration.reminders_sent = 0
    declaration.last_reminder_at = None
    declaration.save()
    log_action("inventory.declaration.details_requested", actor=reviewed_by, target=declaration)
    _mail_submitter(
        declaration,
        subject=_("Précisions demandées sur votre déclaration"),
        template="inventory/email/declaration_reviewed.txt",
    )
    return declaration


@transaction.atomic
def reject_declaration(*, declaration: Declaration, reviewed_by, reason: str) -> Declaration:
    declaration = _lock(declaration)
    _require_open(declaration)
    if not reason.strip():
        raise ValidationError({"reason": _("Indiquez le motif du refus.")})
    declaration.status = DeclarationStatus.REJECTED
    declaration.reviewer = reviewed_by
    declaration.reviewed_at = timezone.now()
    declaration.reason = reason.strip()
    declaration.save()
    log_action("inventory.declaration.rejected", actor=reviewed_by, target=declaration)
    _mail_submitter(
        declaration,
        subject=_("Votre déclaration a été refusée"),
        template="inventory/email/declaration_reviewed.txt",
    )
    return declaration


def inventory_reminders(today: date) -> int:
    """Remind members of declarations waiting for their details for INVENTORY_REMINDER_DAYS
    (again every INVENTORY_REMINDER_DAYS, at most INVENTORY_REMINDER_MAX times). Returns
    the number of reminders sent. Safe to run twice the same day."""
    delay = settings.INVENTORY_REMINDER_DAYS
    cutoff = timezone.make_aware(datetime.combine(today - timedelta(days=delay - 1), time.min))
    due = (
        Declaration.objects.filter(
            status=DeclarationStatus.NEEDS_DETAILS,
            reminders_sent__lt=settings.INVENTORY_REMINDER_MAX,
        )
        .filter(
            Q(last_reminder_at__lt=cutoff)
            | Q(last_reminder_at__isnull=True, details_requested_at__lt=cutoff)
        )
        .select_related("member", "submitted_by")
    )
    sent = 0
    for declaration in due:
        with transaction.atomic():
            current = _lock(declaration)
            if current.status != DeclarationStatus.NEEDS_DETAILS:
                continue
            current.submitted_by = declaration.submitted_by
            current.member = declaration.member
            current.reminders_sent += 1
            # The day of the run (not the clock) so that a replayed day (--date) counts.
            current.last_reminder_at = timezone.make_aware(datetime.combine(today, time.min))
            current.save(update_fields=["reminders_sent", "last_reminder_at"])
            _mail_submitter(
                current,
                subject=_("Rappel : votre déclaration attend des précisions"),
                template="inventory/email/declaration_reminder.txt",
            )
            log_action(
                "inventory.declaration.reminded",
                target=current,
                data={"reminder": current.reminders_sent},
            )
            sent += 1
    return sent


# CSV imports -------------------------------------------------------------------------------

WORKSTATION_COLUMNS = [
    "member_siren",
    "name",
    "role",
    "os",
    "cpu",
    "cpu_cores",
    "ram_gib",
    "free_disk_gib",
    "browser",
    "browser_version",
    "runtimes",
    "antivirus",
    "antivirus_up_to_date",
    "update_status",
    "last_checked",
]
INSTALLATION_COLUMNS = [
    "member_siren",
    "software",
    "version",
    "licence_key",
    "seats",
    "licence_expiry",
    "vendor_contract_ref",
    "workstations",
]
# GLPI 10 exports (search results, "Export CSV"), French or English interface.
GLPI_COMPUTER_COLUMNS = {
    "name": ["Nom", "Name"],
    "os_name": ["Système d'exploitation - Nom", "Operating system - Name"],
    "os_version": ["Système d'exploitation - Version", "Operating system - Version"],
    "cpu": ["Composants - Processeur", "Components - Processor"],
    "memory": ["Composants - Mémoire", "Components - Memory"],
    "type": ["Type"],
    "last_inventory": [
        "Dernière date d'inventaire",
        "Last inventory date",
        "Dernière modification",
        "Last update",
    ],
}
GLPI_SOFTWARE_COLUMNS = {
    "name": ["Nom", "Name", "Logiciel", "Software"],
    "version": ["Versions - Nom", "Version - Nom", "Versions - Name", "Version - Name", "Version"],
    "computers": ["Ordinateurs - Nom", "Computers - Name", "Ordinateur", "Computer"],
    "serial": ["Licences - Numéro de série", "Licenses - Serial number"],
}
_TRUE = {"1", "oui", "o", "vrai", "true", "yes", "x"}
_FALSE = {"0", "non", "n", "faux", "false", "no"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    pass


@sensitive_variables("content", "text", "reader", "row", "rows")
def _read_csv(content: bytes, report: ImportReport) -> tuple[list[str], list[tuple[int, dict]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((1, "", _("Le fichier n'est pas encodé en UTF-8.")))
        return [], []
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = []
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if any(row.values()):
            rows.append((line, row))
    return header, rows


def _check_header(header, required, known, report) -> bool:
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in known]
    if missing:
        report.errors.append(
            (1, "", _("Colonnes obligatoires absentes : %(cols)s.") % {"cols": ", ".join(missing)})
        )
    if unknown:
        report.errors.append(
            (1, "", _("Colonnes inconnues : %(cols)s.") % {"cols": ", ".join(unknown)})
        )
    return not (missing or unknown)


class _Members:
    """Resolves a row's member: the one chosen on the form, or the member_siren column."""

    def __init__(self, member: Member | None):
        self.member = member
        self.cache: dict[str, Member | None] = {}

    def __call__(self, row: dict, line: int, report: ImportReport) -> Member | None:
        if self.member is not None:
            siren = row.get("member_siren", "").replace(" ", "")
            if siren and siren != self.member.siren:
                report.errors.append(
                    (line, "member_siren", _("Ce SIREN n'est pas celui de l'adhérent choisi."))
                )
                return None
            return self.member
        siren = row.get("member_siren", "").replace(" ", "")
        if not siren:
            report.errors.append((line, "member_siren", _("SIREN de l'adhérent manquant.")))
            return None
        if siren not in self.cache:
            self.cache[siren] = Member.objects.filter(siren=siren).first()
        if self.cache[siren] is None:
            report.errors.append(
                (
                    line,
                    "member_siren",
                    _("Aucun adhérent ne porte le SIREN %(siren)s.") % {"siren": siren},
                )
            )
        return self.cache[siren]


def _date(text: str) -> str:
    """DD/MM/YYYY (as French spreadsheets write it) -> YYYY-MM-DD; anything else unchanged."""
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text


def _role(text: str) -> str:
    value = text.strip().lower()
    if value.startswith(("serv", "server")):
        return Role.SERVER
    return Role.WORKSTATION


def _update_status(text: str) -> str:
    value = text.strip().lower()
    if value in {"à jour", "a jour", "up_to_date", "oui", "ok"}:
        return UpdateStatus.UP_TO_DATE
    if value in {"en attente", "pending", "non", "à faire", "a faire"}:
        return UpdateStatus.PENDING
    return UpdateStatus.UNKNOWN


def _report_form(form, line: int, report: ImportReport) -> None:
    for name, errors in form.errors.items():
        for error in errors:
            report.errors.append((line, name if name != "__all__" else "", error))


def _save_workstation_row(
    *, member: Member, data: dict, line: int, report: ImportReport, imported_by
) -> None:
    instance = Workstation.objects.filter(member=member, name__iexact=data.get("name", "")).first()
    form = WorkstationForm(data=data, instance=instance, member=member)
    if not form.is_valid():
        _report_form(form, line, report)
        return
    save_workstation(form=form, saved_by=imported_by)
    if instance is None:
        report.created += 1
    else:
        report.updated += 1


def _workstation_data(row: dict, line: int, report: ImportReport) -> dict | None:
    data = {k: row.get(k, "") for k in WORKSTATION_COLUMNS if k != "member_siren"}
    data["role"] = _role(row.get("role", ""))
    if data["browser"] and data["browser"] not in rules.BROWSERS:
        family, version = rules.normalise_browser(data["browser"])
        if not family:
            report.errors.append(
                (
                    line,
                    "browser",
                    _("Navigateur « %(text)s » non reconnu.") % {"text": data["browser"][:40]},
                )
            )
            data["browser"] = ""
        data["browser"] = family
        data["browser_version"] = data["browser_version"] or version
    flag = row.get("antivirus_up_to_date", "").lower()
    if flag in _TRUE:
        data["antivirus_up_to_date"] = "true"
    elif flag in _FALSE:
        data["antivirus_up_to_date"] = "false"
    elif flag:
        report.errors.append((line, "antivirus_up_to_date", _("Valeur attendue : oui ou non.")))
        data["antivirus_up_to_date"] = "unknown"  # the other columns are still checked
    else:
        data["antivirus_up_to_date"] = "unknown"
    data["update_status"] = _update_status(row.get("update_status", ""))
    data["last_checked"] = _date(row.get("last_checked", ""))
    for name in ("ram_gib", "free_disk_gib"):
        data[name] = data[name].replace(",", ".")
    return data


def _import_workstations(rows, members: _Members, report: ImportReport, imported_by) -> None:
    seen: dict[tuple[int, str], int] = {}
    for line, row in rows:
        member = members(row, line, report)
        if member is None:
            continue
        key = (member.pk, row.get("name", "").lower())
        if key in seen:
            report.errors.append(
                (line, "name", _("Poste déjà présent ligne %(line)s.") % {"line": seen[key]})
            )
            continue
        seen[key] = line
        data = _workstation_data(row, line, report)
        if data is not None:
            _save_workstation_row(
                member=member, data=data, line=line, report=report, imported_by=imported_by
            )


class _Catalogue:
    def __init__(self):
        self.software = {s.name.lower(): s for s in Software.objects.all()}
        self.versions = {
            (v.software_id, v.number.lower()): v for v in SoftwareVersion.objects.all()
        }

    def find(self, name: str) -> Software | None:
        return self.software.get(name.strip().lower())

    def version(self, software: Software, number: str) -> SoftwareVersion | None:
        return self.versions.get((software.pk, number.strip().lower()))


@sensitive_variables("row", "data", "key")
def _save_installation_row(
    *,
    member: Member,
    software: Software,
    version: SoftwareVersion | None,
    key: str,
    names: list[str],
    extra: dict,
    line: int,
    report: ImportReport,
    imported_by,
) -> None:
    workstation_ids = []
    for name in names:
        workstation = Workstation.objects.filter(member=member, name__iexact=name).first()
        if workstation is None:
            report.errors.append(
                (
                    line,
                    "workstations",
                    _("Poste « %(name)s » inconnu pour cet adhérent.") % {"name": name[:60]},
                )
            )
            return
        workstation_ids.append(workstation.pk)
    instance = Installation.objects.filter(member=member, software=software).first()
    data = {
        "software": software.pk,
        "version": version.pk if version else "",
        "new_licence_key": key,
        "workstations": workstation_ids
        or (list(instance.workstations.values_list("pk", flat=True)) if instance else []),
        **extra,
    }
    if instance is not None:
        for name in ("seats", "licence_expiry", "vendor_contract_ref"):
            if not data.get(name) and getattr(instance, name) not in (None, ""):
                value = getattr(instance, name)
                data[name] = value.isoformat() if isinstance(value, date) else value
    form = InstallationForm(data=data, instance=instance, member=member)
    if not form.is_valid():
        _report_form(form, line, report)
        return
    save_installation(form=form, saved_by=imported_by)
    if instance is None:
        report.created += 1
    else:
        report.updated += 1


@sensitive_variables("row")
def _import_installations(rows, members: _Members, report: ImportReport, imported_by) -> None:
    catalogue = _Catalogue()
    seen: dict[tuple[int, int], int] = {}
    for line, row in rows:
        member = members(row, line, report)
        if member is None:
            continue
        software = catalogue.find(row.get("software", ""))
        if software is None:
            report.errors.append(
                (
                    line,
                    "software",
                    _("Logiciel « %(name)s » absent du catalogue.")
                    % {"name": row.get("software", "")[:60]},
                )
            )
            continue
        version = None
        if row.get("version"):
            version = catalogue.version(software, row["version"])
            if version is None:
                report.errors.append(
                    (
                        line,
                        "version",
                        _("Version « %(v)s » de %(s)s absente du catalogue.")
                        % {
                            "v": row["version"][:40],
                            "s": software.name,
                        },
                    )
                )
                continue
        if (member.pk, software.pk) in seen:
            report.errors.append(
                (
                    line,
                    "software",
                    _("Logiciel déjà présent ligne %(line)s.")
                    % {"line": seen[(member.pk, software.pk)]},
                )
            )
            continue
        seen[(member.pk, software.pk)] = line
        _save_installation_row(
            member=member,
            software=software,
            version=version,
            key=row.get("licence_key", ""),
            names=[n.strip() for n in row.get("workstations", "").split(";") if n.strip()],
            extra={
                "seats": row.get("seats", ""),
                "licence_expiry": _date(row.get("licence_expiry", "")),
                "vendor_contract_ref": row.get("vendor_contract_ref", ""),
            },
            line=line,
            report=report,
            imported_by=imported_by,
        )


def _glpi_column(header: list[str], names: list[str]) -> str | None:
    lowered = {h.lower(): h for h in header}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _glpi_first(value: str) -> str:
    """GLPI puts several values of one cell apart with "$$##$$" or "<br>": keep the first."""
    for separator in ("$$##$$", "<br>", "\n"):
        value = value.split(separator)[0]
    return value.strip()


def _glpi_columns(header, spec: dict, required: list[str], report) -> dict | None:
    found = {key: _glpi_column(header, names) for key, names in spec.items()}
    missing = [spec[key][0] for key in required if found[key] is None]
    if missing:
        report.errors.append(
            (1, "", _("Colonnes GLPI absentes : %(cols)s.") % {"cols": ", ".join(missing)})
        )
        return None
    return found


def _import_glpi_computers(rows, header, member, report, imported_by) -> None:
    cols = _glpi_columns(header, GLPI_COMPUTER_COLUMNS, ["name", "os_name"], report)
    if cols is None:
        return
    seen: dict[str, int] = {}

    def cell(row, key):
        return _glpi_first(row.get(cols[key], "")) if cols[key] else ""

    for line, row in rows:
        name = cell(row, "name")
        if name.lower() in seen:
            report.errors.append(
                (
                    line,
                    cols["name"],
                    _("Poste déjà présent ligne %(line)s.") % {"line": seen[name.lower()]},
                )
            )
            continue
        seen[name.lower()] = line
        memory = cell(row, "memory").replace(" ", "")
        ram = ""
        if memory:
            try:
                mib = decimal_or_none(memory.lower().removesuffix("mio").removesuffix("mb"))
            except ArithmeticError:
                report.errors.append((line, cols["memory"], _("Mémoire illisible.")))
                continue
            ram = str(round(mib / 1024, 1)) if mib is not None else ""
        kind = cell(row, "type").lower()
        data = {
            "name": name,
            "role": Role.SERVER if "serv" in kind else Role.WORKSTATION,
            "os": f"{cell(row, 'os_name')} {cell(row, 'os_version')}".strip(),
            "cpu": cell(row, "cpu")[:120],
            "ram_gib": ram,
            "update_status": UpdateStatus.UNKNOWN,
            "antivirus_up_to_date": "unknown",
            "last_checked": _date(cell(row, "last_inventory")),
        }
        _save_workstation_row(
            member=member, data=data, line=line, report=report, imported_by=imported_by
        )


@sensitive_variables("row", "serial")
def _import_glpi_software(rows, header, member, report, imported_by) -> None:
    cols = _glpi_columns(header, GLPI_SOFTWARE_COLUMNS, ["name"], report)
    if cols is None:
        return
    catalogue = _Catalogue()
    # One installation per software: GLPI lists one row per software (or per version).
    grouped: dict[int, dict] = {}
    for line, row in rows:
        software = catalogue.find(_glpi_first(row.get(cols["name"], "")))
        if software is None:
            report.skipped += 1  # software the desk does not assist with: not inventoried
            continue
        entry = grouped.setdefault(
            software.pk,
            {"line": line, "software": software, "versions": [], "names": [], "key": ""},
        )
        number = _glpi_first(row.get(cols["version"], "")) if cols["version"] else ""
        if number:
            version = catalogue.version(software, number)
            if version is None:
                report.errors.append(
                    (
                        line,
                        cols["version"],
                        _("Version « %(v)s » de %(s)s absente du catalogue.")
                        % {"v": number[:40], "s": software.name},
                    )
                )
                continue
            entry["versions"].append(version)
        if cols["computers"]:
            raw = row.get(cols["computers"], "").replace("$$##$$", "<br>")
            entry["names"] += [n.strip() for n in raw.split("<br>") if n.strip()]
        if cols["serial"] and not entry["key"]:
            serial = _glpi_first(row.get(cols["serial"], ""))
            entry["key"] = serial
    for entry in grouped.values():
        versions = entry["versions"]
        latest = max(versions, key=lambda v: rules.version_key(v.number)) if versions else None
        _save_installation_row(
            member=member,
            software=entry["software"],
            version=latest,
            key=entry["key"],
            names=list(dict.fromkeys(entry["names"])),
            extra={"seats": "", "licence_expiry": "", "vendor_contract_ref": ""},
            line=entry["line"],
            report=report,
            imported_by=imported_by,
        )


IMPORTS = {
    "workstations": (WORKSTATION_COLUMNS, ["name"]),
    "installations": (INSTALLATION_COLUMNS, ["software"]),
}


@sensitive_variables("content", "rows", "members")
def import_inventory_csv(
    *, kind: str, content: bytes, imported_by, member: Member | None = None
) -> ImportReport:
    """Import workstations or installations (Syndesk's columns, or GLPI's exports): every
    row or none; the report names each bad row's line, column and reason."""
    report = ImportReport()
    header, rows = _read_csv(content, report)
    if report.errors:
        return report
    if kind in IMPORTS:
        known, required = IMPORTS[kind]
        if member is None:
            required = [*required, "member_siren"]
        if not _check_header(header, required, known, report):
            return report
    elif member is None:
        raise ValueError("a GLPI import is for one member")
    try:
        with transaction.atomic():
            members = _Members(member)
            if kind == "workstations":
                _import_workstations(rows, members, report, imported_by)
            elif kind == "installations":
                _import_installations(rows, members, report, imported_by)
            elif kind == "glpi_computers":
                _import_glpi_computers(rows, header, member, report, imported_by)
            elif kind == "glpi_software":
                _import_glpi_software(rows, header, member, report, imported_by)
            else:
                raise ValueError(f"unknown import {kind!r}")
            if report.errors:
                raise _Rollback
            log_action(
                "inventory.import.done",
                actor=imported_by,
                target=member,
                data={"kind": kind, "created": report.created, "updated": report.updated},
            )
    except _Rollback:
        report.created = report.updated = 0
    return report


# Staff dashboard ---------------------------------------------------------------------------


def dashboard_counts(user) -> dict[str, int]:
    """The declarations of the staff dashboard, as the declaration queue's tabs hold them:
    those to examine (submitted) and those waiting for the member's details. One aggregate
    through ``visible_to``."""
    return Declaration.objects.visible_to(user).aggregate(
        submitted=Count("pk", filter=Q(status=DeclarationStatus.SUBMITTED)),
        needs_details=Count("pk", filter=Q(status=DeclarationStatus.NEEDS_DETAILS)),
    )
