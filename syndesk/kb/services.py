"""Operations on practical sheets. Each runs in a transaction, writes the audit log and
keeps the search index in step (SQLite's FTS5 table; PostgreSQL searches the rows)."""

import re
import unicodedata
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from syndesk.core.audit import log_action
from syndesk.core.uploads import validate_upload
from syndesk.desk import services as desk_services
from syndesk.desk.models import OPEN_STATUSES, Outcome, Ticket

from . import search
from .models import (
    Attachment,
    Revision,
    Sheet,
    SheetSlug,
    SheetVote,
    Tag,
    TicketSheetLink,
    is_member_user,
)

ATTACHMENT_KINDS = {"pdf", "png", "jpeg"}
ATTACHMENT_MAX_BYTES = getattr(settings, "KB_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}


class SheetRefused(ValueError):
    """The operation does not apply to this sheet in its current state."""


def _lock(sheet: Sheet) -> Sheet:
    return Sheet.objects.select_for_update().get(pk=sheet.pk)


def _actor(user):
    return user if getattr(user, "is_authenticated", False) else None


def _slug_taken(slug: str, sheet: Sheet | None) -> bool:
    own = sheet.pk if sheet is not None and sheet.pk else None
    return (
        Sheet.objects.filter(slug=slug).exclude(pk=own).exists()
        or SheetSlug.objects.filter(slug=slug).exclude(sheet_id=own).exists()
    )


def _unique_slug(text: str, sheet: Sheet | None = None) -> str:
    base = slugify(text)[:200].strip("-") or "fiche"
    slug, n = base, 2
    while _slug_taken(slug, sheet):
        slug, n = f"{base}-{n}", n + 1
    return slug


def normalise_tags(names) -> list[Tag]:
    """Tags from names or from one comma-separated string: trimmed, lower-case, de-duplicated
    by slug; unknown ones are created."""
    if isinstance(names, str):
        names = names.split(",")
    tags, seen = [], set()
    for raw in names:
        name = " ".join(str(raw).split()).lower()[:60]
        slug = slugify(name)[:60]
        if not slug or slug in seen:
            continue
        seen.add(slug)
        tag, _created = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        tags.append(tag)
    return tags


def _check_versions(software, versions) -> None:
    allowed = {s.pk for s in software}
    stray = [v for v in versions if v.software_id not in allowed]
    if stray:
        raise ValidationError(
            {"versions": _("Cochez aussi le logiciel de chaque version choisie.")}
        )


def _snapshot(sheet: Sheet, author) -> Revision:
    last = sheet.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return Revision.objects.create(
        sheet=sheet,
        number=last + 1,
        title=sheet.title,
        summary=sheet.summary,
        body=sheet.body,
        author=_actor(author),
    )


@transaction.atomic
def create_sheet(
    *,
    title: str,
    summary: str = "",
    body: str = "",
    software=(),
    versions=(),
    tags=(),
    visibility: str = Sheet.Visibility.PUBLIC,
    created_by,
) -> Sheet:
    """A draft sheet and its first revision (publish_sheet makes it visible)."""
    software, versions = list(software), list(versions)
    sheet = Sheet(
        title=title.strip(),
        summary=summary.strip(),
        body=body,
        visibility=visibility,
        created_by=_actor(created_by),
    )
    sheet.slug = _unique_slug(sheet.title)
    sheet.full_clean()
    _check_versions(software, versions)
    sheet.save()
    sheet.software.set(software)
    sheet.versions.set(versions)
    sheet.tags.set(normalise_tags(tags))
    _snapshot(sheet, created_by)
    search.index_sheet(sheet)
    log_action("kb.sheet.created", actor=created_by, target=sheet, data={"slug": sheet.slug})
    return sheet


@transaction.atomic
def update_sheet(
    *,
    sheet: Sheet,
    changed_by,
    title: str | None = None,
    summary: str | None = None,
    body: str | None = None,
    slug: str | None = None,
    software=None,
    versions=None,
    tags=None,
    visibility: str | None = None,
) -> Sheet:
    """Change a sheet. A new title gives a new address (unless `slug` is given); the old
    address is kept and redirects. Every save that changes something records a revision
    (a snapshot of the text: the other changes are in the audit log)."""
    sheet = _lock(sheet)
    changed = []
    for name, value in (("title", title), ("summary", summary), ("body", body)):
        if value is None:
            continue
        value = value if name == "body" else value.strip()
        if getattr(sheet, name) != value:
            setattr(sheet, name, value)
            changed.append(name)
    if visibility is not None and visibility != sheet.visibility:
        sheet.visibility = visibility
        changed.append("visibility")
    old_slug = sheet.slug
    if slug:
        wanted = slugify(slug)[:200]
    elif "title" in changed:
        wanted = _unique_slug(sheet.title, sheet)
    else:
        wanted = old_slug
    if wanted != old_slug:
        if _slug_taken(wanted, sheet):
            raise ValidationError({"slug": _("Cette adresse est déjà celle d'une autre fiche.")})
        sheet.slug = wanted
        changed.append("slug")
    sheet.full_clean()
    software = list(software) if software is not None else list(sheet.software.all())
    versions = list(versions) if versions is not None else list(sheet.versions.all())
    _check_versions(software, versions)
    if "slug" in changed:
        SheetSlug.objects.filter(slug=wanted).delete()  # back to one of its former addresses
        SheetSlug.objects.get_or_create(slug=old_slug, defaults={"sheet": sheet})
    sheet.save()
    for name, values in (("software", software), ("versions", versions)):
        if {o.pk for o in getattr(sheet, name).all()} != {o.pk for o in values}:
            getattr(sheet, name).set(values)
            changed.append(name)
    if tags is not None:
        new_tags = normalise_tags(tags)
        if {t.pk for t in sheet.tags.all()} != {t.pk for t in new_tags}:
            sheet.tags.set(new_tags)
            changed.append("tags")
    if changed:  # a save that changes nothing leaves no revision
        _snapshot(sheet, changed_by)
    search.index_sheet(sheet)
    log_action("kb.sheet.changed", actor=changed_by, target=sheet, data={"fields": changed})
    return sheet


@transaction.atomic
def publish_sheet(*, sheet: Sheet, published_by) -> Sheet:
    sheet = _lock(sheet)
    if sheet.is_published:
        raise SheetRefused(_("Cette fiche est déjà publiée."))
    sheet.status = Sheet.Status.PUBLISHED
    sheet.published_at = sheet.published_at or timezone.now()
    sheet.save(update_fields=["status", "published_at", "updated_at"])
    log_action("kb.sheet.published", actor=published_by, target=sheet)
    return sheet


@transaction.atomic
def unpublish_sheet(*, sheet: Sheet, unpublished_by) -> Sheet:
    sheet = _lock(sheet)
    if not sheet.is_published:
        raise SheetRefused(_("Cette fiche n'est pas publiée."))
    sheet.status = Sheet.Status.DRAFT
    sheet.save(update_fields=["status", "updated_at"])
    log_action("kb.sheet.unpublished", actor=unpublished_by, target=sheet)
    return sheet


@transaction.atomic
def delete_sheet(*, sheet: Sheet, deleted_by) -> None:
    sheet = _lock(sheet)
    log_action("kb.sheet.deleted", actor=deleted_by, target=sheet, data={"title": sheet.title})
    pk = sheet.pk
    files = [a.file for a in sheet.attachments.all()]
    sheet.delete()
    search.unindex_sheet(pk)
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


def clean_filename(name: str, kind: str) -> str:
    """A display name safe anywhere: no path, no control or markup characters, at most 100
    characters, and the extension of the real type."""
    stem = PurePath(name.replace("\\", "/")).stem
    stem = unicodedata.normalize("NFC", stem)
    stem = re.sub(r"[^\w\s.()-]", "", stem, flags=re.UNICODE)
    stem = re.sub(r"\s+", " ", stem).strip(" .-")[:100] or "piece-jointe"
    return f"{stem}{EXTENSIONS[kind]}"


@transaction.atomic
def add_attachment(*, sheet: Sheet, upload, uploaded_by) -> Attachment:
    """Join a PDF, PNG or JPEG to the sheet, after checking its real type and size."""
    kind = validate_upload(upload, kinds=ATTACHMENT_KINDS, max_bytes=ATTACHMENT_MAX_BYTES)
    sheet = _lock(sheet)
    attachment = Attachment(
        sheet=sheet,
        name=clean_filename(upload.name or "", kind),
        kind=kind,
        size=upload.size,
        uploaded_by=_actor(uploaded_by),
    )
    attachment.file.save(attachment.name, upload, save=False)
    attachment.save()
    log_action(
        "kb.sheet.attachment_added",
        actor=uploaded_by,
        target=sheet,
        data={"attachment": attachment.pk, "name": attachment.name, "kind": kind},
    )
    return attachment


@transaction.atomic
def delete_attachment(*, attachment: Attachment, deleted_by) -> None:
    log_action(
        "kb.sheet.attachment_deleted",
        actor=deleted_by,
        target=attachment.sheet,
        data={"name": attachment.name},
    )
    file = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: file.delete(save=False))


def revision_diff(old: Revision, new: Revision) -> list[tuple[str, str]]:
    """A unified diff of two revisions as (kind, line) pairs: kind is "add", "del", "hunk" or
    "same". Lines are plain text; the template escapes them."""
    import difflib

    def lines(r: Revision) -> list[str]:
        return [f"# {r.title}", "", r.summary, "", *r.body.splitlines()]

    result = []
    for line in difflib.unified_diff(lines(old), lines(new), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        result.append((kind, line))
    return result


# Use from tickets --------------------------------------------------------------------------


def _require_staff(user) -> None:
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        raise PermissionDenied


def _check_linkable(sheet: Sheet) -> None:
    if not sheet.is_published:
        raise ValidationError({"sheet": _("Seule une fiche publiée peut être liée à une demande.")})


@transaction.atomic
def link_sheet(*, ticket: Ticket, sheet: Sheet, by) -> TicketSheetLink:
    """Link a published sheet to a ticket (linking it again changes nothing)."""
    _require_staff(by)
    _check_linkable(sheet)
    link, created = TicketSheetLink.objects.get_or_create(
        ticket=ticket, sheet=sheet, defaults={"linked_by": _actor(by)}
    )
    if created:
        log_action(
            "kb.ticket.sheet_linked",
            actor=by,
            target=ticket,
            data={"sheet": sheet.pk, "title": sheet.title},
        )
    return link


@transaction.atomic
def unlink_sheet(*, link: TicketSheetLink, by) -> None:
    """Remove a link. The sheet a ticket is resolved by stays linked while the ticket is
    resolved (reopen the ticket first)."""
    _require_staff(by)
    link = TicketSheetLink.objects.select_related("ticket", "sheet").get(pk=link.pk)
    if link.resolution and link.ticket.outcome == Outcome.BY_SHEET:
        raise ValidationError(
            _("Cette fiche a résolu la demande : rouvrez la demande avant de la délier.")
        )
    log_action(
        "kb.ticket.sheet_unlinked",
        actor=by,
        target=link.ticket,
        data={"sheet": link.sheet_id, "title": link.sheet.title},
    )
    link.delete()


def resolution_reply(sheet: Sheet) -> str:
    """The public reply that sends the member the sheet."""
    return _(
        "Bonjour,\n\nLa fiche pratique « %(title)s » répond à votre demande :\n%(url)s\n\n"
        "Si le problème persiste, répondez à ce message : la demande sera rouverte."
    ) % {"title": sheet.title, "url": f"{settings.SITE_URL}{sheet.get_absolute_url()}"}


@transaction.atomic
def resolve_by_sheet(*, ticket: Ticket, sheet: Sheet, by, body: str = "") -> TicketSheetLink:
    """ "Résoudre par fiche": link the sheet (if needed) as the ticket's resolution, send the
    member a public reply with its address, and resolve the ticket with the desk's own
    service (outcome by_sheet; one mail: the reply). The sheet must be one the member can
    read (published, not staff only); everything is undone if the desk refuses."""
    _require_staff(by)
    _check_linkable(sheet)
    if sheet.visibility == Sheet.Visibility.STAFF:
        raise ValidationError(
            {
                "sheet": _(
                    "Cette fiche est réservée au personnel : l'adhérent ne pourrait pas la lire."
                )
            }
        )
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError(_("Seule une demande en cours peut être résolue."))
    link, _created = TicketSheetLink.objects.get_or_create(
        ticket=ticket, sheet=sheet, defaults={"linked_by": _actor(by)}
    )
    TicketSheetLink.objects.filter(ticket=ticket, resolution=True).exclude(pk=link.pk).update(
        resolution=False
    )
    link.resolution = True
    link.save(update_fields=["resolution"])
    desk_services.add_reply(ticket=ticket, body=body.strip() or resolution_reply(sheet), by=by)
    desk_services.resolve(ticket=ticket, by=by, outcome=Outcome.BY_SHEET, notify=False)
    log_action(
        "kb.ticket.resolved_by_sheet",
        actor=by,
        target=ticket,
        data={"sheet": sheet.pk, "title": sheet.title},
    )
    return link


def resolved_counts(sheet_ids) -> dict[int, int]:
    """How many tickets each sheet resolved (tickets still resolved or closed by it), in
    one query: {sheet id: count}; sheets that resolved nothing are absent."""
    rows = (
        TicketSheetLink.objects.filter(
            sheet_id__in=list(sheet_ids), resolution=True, ticket__outcome=Outcome.BY_SHEET
        )
        .values("sheet_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["sheet_id"]: row["n"] for row in rows}


def vote_counts(sheet: Sheet) -> dict[str, int]:
    return SheetVote.objects.filter(sheet=sheet).aggregate(
        yes=Count("pk", filter=Q(helpful=True)),
        no=Count("pk", filter=Q(helpful=False)),
    )


@transaction.atomic
def vote_sheet(*, sheet: Sheet, user, helpful: bool) -> SheetVote:
    """A member user's "was this sheet helpful?": one vote per user and sheet, the last
    answer counts. Staff and visitors do not vote; the sheet must be one the user reads."""
    if not is_member_user(user) or user.is_staff:
        raise PermissionDenied
    if not Sheet.objects.visible_to(user).filter(pk=sheet.pk).exists():
        raise PermissionDenied
    try:
        with transaction.atomic():
            vote, created = SheetVote.objects.update_or_create(
                sheet=sheet, user=user, defaults={"helpful": bool(helpful)}
            )
    except IntegrityError:  # two clicks at once: the other request created it
        vote = SheetVote.objects.get(sheet=sheet, user=user)
        vote.helpful = bool(helpful)
        vote.save(update_fields=["helpful", "voted_at"])
        created = False
    log_action(
        "kb.sheet.voted",
        actor=user,
        target=sheet,
        data={"helpful": bool(helpful), "changed": not created},
    )
    return vote


# Staff dashboard ---------------------------------------------------------------------------


def dashboard_counts(user) -> dict[str, int]:
    """The sheets of the staff dashboard: the drafts (not published), as the staff list's
    "Brouillon" state lists them. One count over the sheets ``user`` may read: through
    ``readable_by``, since ``visible_to`` keeps the published sheets only (a partial
    index holds the drafts)."""
    return {"drafts": Sheet.objects.readable_by(user).filter(status=Sheet.Status.DRAFT).count()}
