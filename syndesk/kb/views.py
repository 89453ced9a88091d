import re
from collections import defaultdict
from html import escape

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.http import require_GET

from syndesk.catalog.models import Software
from syndesk.core.audit import history_of
from syndesk.core.documents import render_pdf
from syndesk.core.markdown import render_markdown
from syndesk.core.permissions import StaffPermissionMixin
from syndesk.desk.queue_widgets import quick_selects

from . import fuzzy, search, services
from .forms import AttachmentForm, SheetFilterForm, SheetForm, StaffSheetFilterForm
from .models import Attachment, Sheet, SheetSlug, SheetVote, Tag, is_member_user

PAGE_SIZE = 25


def _with_relations(queryset):
    return queryset.prefetch_related(
        Prefetch("software", queryset=Software.objects.only("pk", "name")), "tags"
    )


def _quick_form(form: forms.Form) -> forms.Form:
    """The filter form with its drop-down lists drawn by the desk's QuickSelect (same HTML
    as Django's widget templates, without them), the lists of model choices read by one
    plain query each (Django's ModelChoiceIterator reads through a server-side cursor on
    PostgreSQL: three round trips per list)."""
    quick_selects(form)
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            empty = [] if field.empty_label is None else [("", field.empty_label)]
            field.widget.choices = empty + [
                (field.prepare_value(obj), field.label_from_instance(obj)) for obj in field.queryset
            ]
    return form


def _search(queryset, q: str, *, staff: bool) -> list:
    """The hits of a list page's search, each drawn (`hit.html`, see _draw_hits)."""
    hits = fuzzy.search_with_typos(queryset, q)
    _draw_hits(hits, staff=staff)
    return hits


def _names_of(ids: list[int]) -> list[tuple[int, int, str]]:
    """(sheet id, 0 for a software or 1 for a tag, name) of the sheets `ids`, by name
    (then id) within each kind: one query for both relations."""
    ids_sql = search.among(ids)
    software, links = Software._meta.db_table, Sheet.software.through._meta.db_table
    tag, tag_links = Tag._meta.db_table, Sheet.tags.through._meta.db_table
    sql = (  # table names of the models; the ids are one bound parameter (twice)
        f"SELECT l.sheet_id, 0, s.name, s.id FROM {links} l JOIN {software} s"  # noqa: S608
        f" ON s.id = l.software_id WHERE l.sheet_id IN ({ids_sql.sql})"
        f" UNION ALL SELECT l.sheet_id, 1, t.name, t.id FROM {tag_links} l JOIN {tag} t"
        f" ON t.id = l.tag_id WHERE l.sheet_id IN ({ids_sql.sql})"
        " ORDER BY 2, 3, 4"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids_sql.params, *ids_sql.params])
        return [row[:3] for row in cursor.fetchall()]


_SENTINEL_PK = 987654321
_SENTINEL_SLUG = "kb-sentinel-slug"
_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _draw_hits(hits, *, staff: bool) -> None:
    """Give each hit its list item (`hit.html`): the HTML the loop of kb/_hits.html drew
    per hit with kb/_sheet_meta.html, written in Python as the desk's queue rows are.
    The software and tags come from one query of names (building 50 sheets' software
    and tags as model instances, the URL tags, the plural and that template 50 times were
    two thirds of a search page's time). Staff hits carry the number of tickets each
    sheet resolved (one grouped query). Every text is escaped here."""
    ids = [hit.sheet.pk for hit in hits]
    if not ids:
        return
    software, tags = defaultdict(list), defaultdict(list)
    for sheet_id, kind, name in _names_of(ids):
        (software if kind == 0 else tags)[sheet_id].append(escape(name))
    resolved = services.resolved_counts(ids) if staff else {}
    software_label, tags_label = escape(_("Logiciels :")), escape(_("Mots-clés :"))
    # One reverse() per page, not per hit: the URL around a sentinel pk or slug.
    staff_url = reverse("kb:detail", args=[_SENTINEL_PK]).split(str(_SENTINEL_PK))
    public_url = reverse("kb-public:detail", args=[_SENTINEL_SLUG]).split(_SENTINEL_SLUG)
    usages: dict[int, str] = {}
    for hit in hits:
        sheet = hit.sheet
        meta = ""
        if names := software.get(sheet.pk):
            meta += f"{software_label} {', '.join(names)}"
        if names := tags.get(sheet.pk):
            meta += f" · {tags_label} {', '.join(names)}"
        if staff:
            url = f"{staff_url[0]}{sheet.pk}{staff_url[1]}"
            sheet.resolved_count = count = resolved.get(sheet.pk, 0)
            if count not in usages:
                used = ngettext(
                    "%(counter)s demande résolue", "%(counter)s demandes résolues", count
                ) % {"counter": count}
                # As blocktranslate: the counter is a number, the sentence a translation.
                usages[count] = f'<p class="muted">{used}</p>'
            usage = usages[count]
        else:
            usage = ""
            if _PLAIN_SLUG.fullmatch(sheet.slug):
                url = f"{public_url[0]}{sheet.slug}{public_url[1]}"
            else:  # reverse() would quote it
                url = reverse("kb-public:detail", args=[sheet.slug])
        title = conditional_escape(hit.title if hit.title is not None else sheet.title)
        hit.html = mark_safe(  # every text escaped here; snippet and title by kb.search
            f'<li class="kb-hit card"><h2><a href="{escape(url)}">{title}</a></h2>\n'
            f'  <p class="muted">{meta}</p>\n\n'
            f'  <p class="kb-snippet">{conditional_escape(hit.snippet)}</p>\n'
            f"  {usage}</li>"
        )


def _filtered(queryset, form):
    """Apply the software and tag filters of a valid filter form."""
    form.is_valid()  # a bad filter value is dropped (and shown as an error), not the rest
    data = form.cleaned_data
    if data.get("logiciel"):
        queryset = queryset.filter(software=data["logiciel"])
    if data.get("mot"):
        queryset = queryset.filter(tags=data["mot"])
    if data.get("etat"):
        queryset = queryset.filter(status=data["etat"])
    if data.get("visibilite"):
        queryset = queryset.filter(visibility=data["visibilite"])
    return queryset, data.get("q", "").strip()


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# Staff -----------------------------------------------------------------------------------


class SheetListView(StaffPermissionMixin, View):
    permission_required = "kb.view_sheet"

    def get(self, request):
        form = _quick_form(StaffSheetFilterForm(request.GET))
        queryset, q = _filtered(Sheet.objects.all(), form)
        hits = _search(queryset, q, staff=True) if q else None
        page = None
        if not q:
            ordered = _with_relations(queryset).order_by("title", "pk")
            page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
            # Tickets resolved by each listed sheet: one grouped count query for the page.
            resolved = services.resolved_counts(s.pk for s in page)
            for sheet in page:
                sheet.resolved_count = resolved.get(sheet.pk, 0)
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "kb/staff_list.html",
            {"form": form, "hits": hits, "q": q, "page": page, "query": query.urlencode()},
        )


class SheetDetailView(StaffPermissionMixin, View):
    permission_required = "kb.view_sheet"

    def get(self, request, pk):
        sheet = get_object_or_404(_with_relations(Sheet.objects.all()), pk=pk)
        return render(
            request,
            "kb/staff_detail.html",
            {
                "sheet": sheet,
                "body_html": render_markdown(sheet.body),
                "attachments": sheet.attachments.all(),
                "revisions": sheet.revisions.select_related("author"),
                "attachment_form": AttachmentForm(),
                "history": history_of(sheet)[:30],
                "resolved_count": services.resolved_counts([sheet.pk]).get(sheet.pk, 0),
                "votes": services.vote_counts(sheet),
            },
        )


class SheetFormView(StaffPermissionMixin, View):
    """Write a sheet (no pk) or edit one; the "Aperçu" button shows the rendered body
    without saving."""

    def get_permission_required(self):
        return ["kb.change_sheet" if "pk" in self.kwargs else "kb.add_sheet"]

    def _render(self, request, form, preview=None):
        return render(request, "kb/staff_form.html", {"form": form, "preview": preview})

    def get(self, request, pk=None):
        sheet = get_object_or_404(Sheet, pk=pk) if pk else None
        return self._render(request, SheetForm(instance=sheet))

    def post(self, request, pk=None):
        sheet = get_object_or_404(Sheet, pk=pk) if pk else None
        form = SheetForm(request.POST, instance=sheet)
        if "preview" in request.POST:
            return self._render(request, form, render_markdown(request.POST.get("body", "")))
        if not form.is_valid():
            return self._render(request, form)
        data = form.cleaned_data
        fields = {
            "title": data["title"],
            "summary": data["summary"],
            "body": data["body"],
            "visibility": data["visibility"],
            "software": data["software"],
            "versions": data["versions"],
            "tags": data["tag_names"],
        }
        try:
            if sheet is None:
                sheet = services.create_sheet(**fields, created_by=request.user)
                messages.success(request, _("Brouillon enregistré."))
            else:
                sheet = services.update_sheet(
                    sheet=sheet, slug=data.get("slug") or None, changed_by=request.user, **fields
                )
                messages.success(request, _("Fiche enregistrée."))
        except ValidationError as exc:
            _form_error(form, exc)
            return self._render(request, form)
        return redirect("kb:detail", pk=sheet.pk)


class _SheetActionView(StaffPermissionMixin, View):
    permission_required = "kb.publish_sheet"

    def post(self, request, pk):
        sheet = get_object_or_404(Sheet, pk=pk)
        try:
            message = self.act(request, sheet)
        except services.SheetRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, message)
        return redirect("kb:detail", pk=sheet.pk)


class SheetPublishView(_SheetActionView):
    def act(self, request, sheet):
        services.publish_sheet(sheet=sheet, published_by=request.user)
        return _("Fiche publiée.")


class SheetUnpublishView(_SheetActionView):
    def act(self, request, sheet):
        services.unpublish_sheet(sheet=sheet, unpublished_by=request.user)
        return _("Fiche retirée du site.")


class AttachmentAddView(StaffPermissionMixin, View):
    permission_required = "kb.add_attachment"

    def post(self, request, pk):
        sheet = get_object_or_404(Sheet, pk=pk)
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choisissez un fichier."))
        else:
            try:
                services.add_attachment(
                    sheet=sheet, upload=form.cleaned_data["file"], uploaded_by=request.user
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Pièce jointe ajoutée."))
        return redirect("kb:detail", pk=sheet.pk)


class AttachmentDeleteView(StaffPermissionMixin, View):
    permission_required = "kb.delete_attachment"

    def post(self, request, pk, attachment):
        attachment = get_object_or_404(Attachment, pk=attachment, sheet_id=pk)
        services.delete_attachment(attachment=attachment, deleted_by=request.user)
        messages.success(request, _("Pièce jointe supprimée."))
        return redirect("kb:detail", pk=pk)


class RevisionDiffView(StaffPermissionMixin, View):
    """The changes between two revisions (by default: the previous one and the latest)."""

    permission_required = "kb.view_revision"

    def get(self, request, pk):
        sheet = get_object_or_404(Sheet, pk=pk)
        revisions = list(sheet.revisions.select_related("author").order_by("number"))
        by_number = {r.number: r for r in revisions}

        def pick(name, default):
            value = request.GET.get(name, "")
            return by_number.get(int(value)) if value.isdigit() else default

        new = pick("a", revisions[-1] if revisions else None)
        old = pick("de", by_number.get(new.number - 1) if new else None)
        lines = [] if new is None or old is None else services.revision_diff(old, new)
        return render(
            request,
            "kb/staff_diff.html",
            {"sheet": sheet, "old": old, "new": new, "lines": lines, "revisions": revisions},
        )


# Public pages ----------------------------------------------------------------------------


def _public_sheet(request, slug, *, url_name, extra=()):
    """The published sheet at `slug` if the visitor may read it. A former slug answers a
    permanent redirect; a sheet the visitor may not read sends an anonymous visitor to the
    login page (its title appears nowhere) and is absent for anybody else."""
    sheet = Sheet.objects.filter(slug=slug).first()
    moved = False
    if sheet is None:
        old = SheetSlug.objects.filter(slug=slug).select_related("sheet").first()
        if old is None:
            raise Http404
        sheet, moved = old.sheet, True
    if not sheet.is_published:
        raise Http404
    if not Sheet.objects.visible_to(request.user).filter(pk=sheet.pk).exists():
        if not request.user.is_authenticated:
            return None, redirect_to_login(request.get_full_path())
        raise Http404
    if moved:
        return None, redirect(reverse(url_name, args=[sheet.slug, *extra]), permanent=True)
    return sheet, None


@require_GET
def public_list(request):
    visible = Sheet.objects.visible_to(request.user)
    # The tags of at least one sheet the visitor sees: one EXISTS probe per tag (a few
    # dozen), which stops at the first such sheet, instead of a DISTINCT over every
    # visible sheet's tags (30-50 ms at 10,000 sheets).
    readable = visible.filter(tags=OuterRef("pk"))
    tags = Tag.objects.filter(Exists(readable))
    form = _quick_form(SheetFilterForm(request.GET, tags=tags))
    queryset, q = _filtered(visible, form)
    context = {"form": form, "q": q}
    if q:
        context["hits"] = _search(queryset, q, staff=False)
    else:
        sheets = list(_with_relations(queryset).order_by("title", "pk"))
        groups: dict = {}
        general = []
        for sheet in sheets:
            software = list(sheet.software.all())
            if not software:
                general.append(sheet)
            for item in software:
                groups.setdefault(item, []).append(sheet)
        context["groups"] = sorted(groups.items(), key=lambda pair: pair[0].name.lower())
        context["general"] = general
        context["count"] = len(sheets)
    return render(request, "kb/public_list.html", context)


@require_GET
def public_detail(request, slug):
    sheet, response = _public_sheet(request, slug, url_name="kb-public:detail")
    if response is not None:
        return response
    return render(
        request,
        "kb/public_detail.html",
        {
            "sheet": sheet,
            "body_html": render_markdown(sheet.body),
            "attachments": sheet.attachments.all(),
            "software": sheet.software.order_by("name"),
            "versions": sheet.versions.select_related("software"),
            "tags": sheet.tags.all(),
            **_vote_context(request.user, sheet),
        },
    )


def _vote_context(user, sheet) -> dict:
    """The "was this helpful?" box: the form for member users (with their answer), the
    counts for staff, a login link for visitors."""
    if user.is_authenticated and user.is_staff:
        return {
            "vote_counts": services.vote_counts(sheet),
            "resolved_count": services.resolved_counts([sheet.pk]).get(sheet.pk, 0),
        }
    if is_member_user(user):
        vote = SheetVote.objects.filter(sheet=sheet, user=user).only("helpful").first()
        return {"can_vote": True, "my_vote": vote}
    return {"vote_login": not user.is_authenticated}


@require_GET
def public_print(request, slug):
    sheet, response = _public_sheet(request, slug, url_name="kb-public:print")
    if response is not None:
        return response
    return render(
        request,
        "kb/print.html",
        {"sheet": sheet, "body_html": render_markdown(sheet.body)},
    )


@require_GET
def public_pdf(request, slug):
    sheet, response = _public_sheet(request, slug, url_name="kb-public:pdf")
    if response is not None:
        return response
    pdf = render_pdf(
        "kb/sheet_pdf.html",
        {
            "sheet": sheet,
            "body_html": render_markdown(sheet.body),
            "software": list(sheet.software.order_by("name")),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{sheet.slug[:80]}.pdf"'
    return response


@require_GET
def attachment_file(request, slug, pk):
    """An attachment, for whoever may read its sheet (staff with the permission also for a
    draft, from the back office)."""
    if request.user.has_perm("kb.view_sheet") and request.user.is_staff:
        sheet = Sheet.objects.filter(slug=slug).first()
        if sheet is None:
            old = SheetSlug.objects.filter(slug=slug).select_related("sheet").first()
            sheet = old.sheet if old else None
        if sheet is None:
            raise Http404
    else:
        sheet, response = _public_sheet(request, slug, url_name="kb-public:attachment", extra=(pk,))
        if response is not None:
            return response
    attachment = get_object_or_404(Attachment, pk=pk, sheet=sheet)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=attachment.kind == Attachment.Kind.PDF,
        filename=attachment.name,
    )
