"""Operations on member organisations, their contacts and their portal users."""

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from syndesk.core.accounts import send_activation_email
from syndesk.core.audit import log_action

from .forms import MemberForm
from .identifiers import compact
from .models import Contact, LegalCategory, Member, MemberPhone, Membership


def _set_phones(member: Member, numbers: list[str]) -> None:
    member.phones.exclude(number__in=numbers).delete()
    existing = set(member.phones.values_list("number", flat=True))
    MemberPhone.objects.bulk_create(
        [MemberPhone(member=member, number=n) for n in numbers if n not in existing]
    )


@transaction.atomic
def save_member(*, form: MemberForm, saved_by) -> Member:
    """Create or update a member from a validated MemberForm (phones included)."""
    creating = form.instance.pk is None
    changed = [] if creating else list(form.changed_data)
    member = form.save()
    _set_phones(member, form.cleaned_data.get("phones") or [])
    action = "members.member.created" if creating else "members.member.changed"
    log_action(action, actor=saved_by, target=member, data={"fields": changed})
    return member


@transaction.atomic
def save_contact(*, member: Member, form, saved_by) -> Contact:
    creating = form.instance.pk is None
    contact = form.save(commit=False)
    contact.member = member
    contact.save()
    if contact.is_primary:
        member.contacts.exclude(pk=contact.pk).update(is_primary=False)
    log_action(
        "members.contact.created" if creating else "members.contact.changed",
        actor=saved_by,
        target=member,
        data={"contact": str(contact)},
    )
    return contact


@transaction.atomic
def delete_contact(*, contact: Contact, deleted_by) -> None:
    log_action(
        "members.contact.deleted",
        actor=deleted_by,
        target=contact.member,
        data={"contact": str(contact)},
    )
    contact.delete()


class InvitationRefused(ValueError):
    """The address cannot be invited (it belongs to a staff account)."""


@transaction.atomic
def invite_member_user(
    *,
    member: Member,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = "",
    invited_by,
) -> Membership:
    """Give a person access to the member's portal, mailing them a link to set a password
    (or a notice, when they already have an account for another member)."""
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is not None and user.is_staff:
        raise InvitationRefused(_("Cette adresse appartient à un compte du personnel."))
    if user is None:
        user = user_model.objects.create_user(
            email=email, first_name=first_name, last_name=last_name
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, member=member, defaults={"role": role, "invited_by": invited_by}
    )
    log_action(
        "members.user.invited",
        actor=invited_by,
        target=member,
        data={"email": user.email, "role": role},
    )
    template = "member_access" if user.has_usable_password() else "member_invitation"
    transaction.on_commit(
        lambda: send_activation_email(user, template=template, context={"member": member})
    )
    return membership


@transaction.atomic
def revoke_membership(*, membership: Membership, revoked_by) -> None:
    log_action(
        "members.user.revoked",
        actor=revoked_by,
        target=membership.member,
        data={"email": membership.user.email},
    )
    membership.delete()


# CSV import ------------------------------------------------------------------------------

IMPORT_COLUMNS = [
    "name",
    "legal_category",
    "siren",
    "siret",
    "insee_code",
    "address",
    "postal_code",
    "city",
    "population",
    "population_type",
    "population_year",
    "phones",
    "email",
    "website",
    "signatory_name",
    "signatory_title",
    "chorus_service_code",
    "commitment_number_required",
    "parent_siren",
]
_TRUE = {"1", "oui", "o", "vrai", "true", "yes", "x"}
_FALSE = {"", "0", "non", "n", "faux", "false", "no"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    pass


def _legal_category(value: str) -> str:
    value = value.strip()
    for code, label in LegalCategory.choices:
        if value in (code, str(label)) or value.lower() == str(label).lower():
            return code
    return value or LegalCategory.COMMUNE


def _row_to_form(row: dict[str, str], line: int, report: ImportReport) -> MemberForm | None:
    siren = compact(row.get("siren", "").strip())
    instance = Member.objects.filter(siren=siren).first() if siren else None
    # Columns absent from the file keep the member's current values (or the defaults).
    current = model_to_dict(instance or Member())
    data = {k: v for k, v in current.items() if v is not None}
    for column in IMPORT_COLUMNS:
        if column in row and column not in {"parent_siren", "commitment_number_required"}:
            data[column] = row[column].strip()
    if "phones" in row:
        data["phones"] = "\n".join(p for p in row["phones"].split(";") if p.strip())
    elif instance is not None:
        data["phones"] = "\n".join(instance.phones.values_list("number", flat=True))
    data["legal_category"] = _legal_category(row.get("legal_category", ""))
    if "commitment_number_required" in row:
        flag = row["commitment_number_required"].strip().lower()
        if flag in _TRUE:
            data["commitment_number_required"] = "on"
        elif flag in _FALSE:
            data.pop("commitment_number_required", None)
        else:
            report.errors.append(
                (line, "commitment_number_required", _("Valeur attendue : oui ou non."))
            )
            return None
    elif data.get("commitment_number_required") is False:
        data.pop("commitment_number_required")
    data.setdefault("is_active", "on")
    if data.get("is_active") is False:
        data.pop("is_active")
    parent_siren = compact(row.get("parent_siren", "").strip())
    if parent_siren:
        parent = Member.objects.filter(siren=parent_siren).first()
        if parent is None:
            report.errors.append(
                (
                    line,
                    "parent_siren",
                    _("Aucun EPCI ne porte le SIREN %(siren)s.") % {"siren": parent_siren},
                )
            )
            return None
        data["parent"] = parent.pk
    return MemberForm(data=data, instance=instance)


def import_members_csv(*, content: bytes, imported_by) -> ImportReport:
    """Create or update members (matched by SIREN) from a CSV file: all rows or none."""
    report = ImportReport()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((1, "", _("Le fichier n'est pas encodé en UTF-8.")))
        return report
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in ("name", "siren") if c not in header]
    unknown = [c for c in header if c not in IMPORT_COLUMNS]
    if missing or unknown:
        if missing:
            report.errors.append(
                (
                    1,
                    "",
                    _("Colonnes obligatoires absentes : %(cols)s.") % {"cols": ", ".join(missing)},
                )
            )
        if unknown:
            report.errors.append(
                (1, "", _("Colonnes inconnues : %(cols)s.") % {"cols": ", ".join(unknown)})
            )
        return report
    try:
        with transaction.atomic():
            seen: dict[str, int] = {}
            for line, row in enumerate(reader, start=2):
                row = {k: (v or "") for k, v in row.items() if k}
                if not any(v.strip() for v in row.values()):
                    continue
                siren = compact(row.get("siren", "").strip())
                if siren and siren in seen:
                    report.errors.append(
                        (
                            line,
                            "siren",
                            _("SIREN déjà présent ligne %(line)s.") % {"line": seen[siren]},
                        )
                    )
                    continue
                seen[siren] = line
                form = _row_to_form(row, line, report)
                if form is None:
                    continue
                if not form.is_valid():
                    for name, errors in form.errors.items():
                        for error in errors:
                            report.errors.append((line, name if name != "__all__" else "", error))
                    continue
                creating = form.instance.pk is None
                save_member(form=form, saved_by=imported_by)
                if creating:
                    report.created += 1
                else:
                    report.updated += 1
            if report.errors:
                raise _Rollback
            log_action(
                "members.import.done",
                actor=imported_by,
                data={"created": report.created, "updated": report.updated},
            )
    except _Rollback:
        report.created = report.updated = 0
    return report
