"""Practical sheets (fiches pratiques): the annex's "fiches pratiques complémentaires à la
documentation des éditeurs". A sheet is written in Markdown (sanitised at display by
core.markdown), concerns software and versions of the catalogue, carries tags and a
visibility (everybody, member users, staff only). Every saved change keeps a revision;
attachments are checked for their real type and served only through a view that applies
the sheet's visibility."""

from pathlib import PurePath
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.core.scoping import MemberScopedQuerySet


class TsVectorField(models.Field):
    """A tsvector column on PostgreSQL (a plain, unused text column elsewhere). Our own
    small field rather than contrib.postgres's SearchVectorField, which insists on
    django.contrib.postgres being installed even on SQLite deployments."""

    description = "Full-text search vector"

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


@TsVectorField.register_lookup
class TsMatch(models.Lookup):
    """`search_vector__matches=SearchQuery(...)`: PostgreSQL's @@, served by the GIN index."""

    lookup_name = "matches"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ {rhs}", [*lhs_params, *rhs_params]


class Tag(models.Model):
    """A keyword ("paie", "télétransmission"): lower-case, unique by its slug."""

    name = models.CharField(_("nom"), max_length=60)
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("mot-clé")
        verbose_name_plural = _("mots-clés")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def is_member_user(user) -> bool:
    """Staff, or a signed-in user who belongs to at least one member organisation."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.memberships.exists()


class SheetQuerySet(models.QuerySet):
    def published(self) -> "SheetQuerySet":
        return self.filter(status=Sheet.Status.PUBLISHED)

    def readable_by(self, user) -> "SheetQuerySet":
        """Visibility levels `user` may read, whatever the status."""
        if user is not None and user.is_authenticated and user.is_active and user.is_staff:
            return self
        if is_member_user(user):
            return self.exclude(visibility=Sheet.Visibility.STAFF)
        return self.filter(visibility=Sheet.Visibility.PUBLIC)

    def visible_to(self, user) -> "SheetQuerySet":
        """What the public site and the portal show `user`: published sheets of a level they
        may read (public for anybody; members for member users and staff; staff for staff)."""
        return self.published().readable_by(user)


class Sheet(models.Model):
    """One practical sheet. The slug is its stable address: a rename moves it and keeps the
    old one in SheetSlug, which answers with a permanent redirect."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Tout le monde")
        MEMBERS = "members", _("Adhérents connectés")
        STAFF = "staff", _("Personnel du syndicat")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publiée")

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=220, unique=True)
    summary = models.CharField(_("résumé"), max_length=500, blank=True)
    body = models.TextField(
        _("contenu"),
        blank=True,
        help_text=_("Markdown : **gras**, *italique*, listes avec « - », titres avec « ## »."),
    )
    software = models.ManyToManyField(
        Software, verbose_name=_("logiciels"), blank=True, related_name="sheets"
    )
    versions = models.ManyToManyField(
        SoftwareVersion, verbose_name=_("versions"), blank=True, related_name="sheets"
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("mots-clés"), blank=True, related_name="sheets"
    )
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # PostgreSQL only (kb.search keeps it; a GIN index serves it). Unused, empty on SQLite,
    # whose FTS5 table plays this part.
    search_vector = TsVectorField(null=True, editable=False)
    # PostgreSQL only: the title (A) and summary (B) alone, small enough to stay inline. The
    # search ranks these matches first and reads the whole (TOASTed) vector of at most a few
    # hundred other sheets (kb.search).
    search_head = TsVectorField(null=True, editable=False)

    objects = SheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("fiche pratique")
        verbose_name_plural = _("fiches pratiques")
        ordering = ["title", "pk"]
        permissions = [("publish_sheet", _("Publier et retirer les fiches pratiques"))]
        # kb.fuzzy's change check (count, last id, last update) reads this index alone
        # instead of every row of the table (20 ms at 10,000 sheets on SQLite).
        indexes = [
            models.Index(fields=["updated_at"], name="kb_sheet_updated"),
            # The drafts (the dashboard's count, the staff list's "Brouillon" state): a few
            # rows, where counting them read every sheet's wide row.
            models.Index(fields=["id"], condition=Q(status="draft"), name="kb_sheet_drafts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="kb_sheet_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("kb-public:detail", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class TypoWord(models.Model):
    """PostgreSQL only (empty elsewhere): a distinct word of the sheets' titles and
    summaries, accent-free and lower-case, with a trigram GIN index (migration 0008). The
    typo fallback (kb.fuzzy) looks for the words resembling a misspelt one here, among a
    few thousand short words, instead of comparing it with every sheet's whole title and
    summary. Words are added by kb.search.index_sheet and never removed: a stale word
    only finds no sheet."""

    word = models.CharField(max_length=100, primary_key=True)

    def __str__(self) -> str:
        return self.word


class SheetWord(models.Model):
    """PostgreSQL only (empty elsewhere): which sheets hold a TypoWord in their title or
    summary, rewritten by kb.search.index_sheet on every change of the sheet."""

    # The unique constraint (sheet, word) serves the lookups by sheet.
    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="+", db_index=False)
    word = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sheet", "word"], name="kb_sheetword_unique")
        ]
        indexes = [models.Index(fields=["word", "sheet"], name="kb_sheetword_word")]

    def __str__(self) -> str:
        return f"{self.sheet_id} — {self.word}"


class SheetSlug(models.Model):
    """A former address of a sheet, kept so that links and bookmarks survive a rename."""

    slug = models.SlugField(max_length=220, unique=True)
    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ancienne adresse de fiche")
        verbose_name_plural = _("anciennes adresses de fiches")

    def __str__(self) -> str:
        return self.slug


class Revision(models.Model):
    """A snapshot of a sheet's text after one save, never edited: who changed what, and
    the diff between two snapshots."""

    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("numéro"))
    title = models.CharField(_("titre"), max_length=200)
    summary = models.CharField(_("résumé"), max_length=500, blank=True)
    body = models.TextField(_("contenu"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("révision")
        verbose_name_plural = _("révisions")
        ordering = ["sheet", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "number"], name="kb_revision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.sheet} — {self.number}"


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is random: the author's file name is kept (sanitised) for display only.
    return f"kb/{instance.sheet_id}/{uuid4().hex}{PurePath(filename).suffix.lower()}"


class Attachment(models.Model):
    """A PDF or an image joined to a sheet; its type was read from its first bytes."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        PNG = "png", "PNG"
        JPEG = "jpeg", "JPEG"

    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to=_attachment_path)
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("type"), max_length=5, choices=Kind.choices)
    size = models.PositiveIntegerField(_("taille"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("ajoutée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["sheet", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def content_type(self) -> str:
        return {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}[self.kind]


# Use from tickets ------------------------------------------------------------------------
# kb imports desk (never the reverse): the desk pages show these through core.panels.


class TicketSheetLinkQuerySet(MemberScopedQuerySet):
    member_path = "ticket__member"


class TicketSheetLink(models.Model):
    """A practical sheet an agent linked to a ticket. `resolution` marks the sheet the
    ticket was resolved by ("Résoudre par fiche": outcome by_sheet); a ticket has at most
    one such link."""

    ticket = models.ForeignKey(
        "desk.Ticket",
        verbose_name=_("demande"),
        on_delete=models.CASCADE,
        related_name="sheet_links",
    )
    sheet = models.ForeignKey(
        Sheet, verbose_name=_("fiche"), on_delete=models.CASCADE, related_name="ticket_links"
    )
    resolution = models.BooleanField(_("fiche de résolution"), default=False)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(_("liée le"), auto_now_add=True)

    objects = TicketSheetLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("fiche liée à une demande")
        verbose_name_plural = _("fiches liées aux demandes")
        ordering = ["ticket", "-resolution", "linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "sheet"], name="kb_link_unique_sheet"),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(resolution=True), name="kb_link_one_resolution"
            ),
        ]
        indexes = [models.Index(fields=["sheet", "resolution"], name="kb_link_sheet_res")]

    def __str__(self) -> str:
        return f"{self.ticket_id} — {self.sheet}"


class SheetVote(models.Model):
    """A member user's answer to "Cette fiche vous a-t-elle aidé ?": one per user and
    sheet, which they may change."""

    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("utile"))
    voted_at = models.DateTimeField(_("date"), auto_now=True)

    class Meta:
        verbose_name = _("avis sur une fiche")
        verbose_name_plural = _("avis sur les fiches")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "user"], name="kb_vote_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.sheet} — {self.helpful}"
