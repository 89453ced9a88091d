"""Sheet operations: revisions, stable slugs, publication, tags, attachments and the
audit log."""

import pytest
from django.core.exceptions import ValidationError

from syndesk.catalog.models import SoftwareVersion
from syndesk.core.models import AuditEntry
from syndesk.kb import services
from syndesk.kb.models import Attachment, Revision, Sheet, SheetSlug, Tag

from .conftest import PDF_BYTES, PNG_BYTES, upload

pytestmark = pytest.mark.django_db


def test_creating_a_sheet_makes_a_draft_its_slug_and_first_revision(agent):
    sheet = services.create_sheet(title="  Sauvegarde de la paie ", body="Texte", created_by=agent)
    assert sheet.status == Sheet.Status.DRAFT
    assert sheet.slug == "sauvegarde-de-la-paie"
    [revision] = sheet.revisions.all()
    assert (revision.number, revision.title, revision.author) == (1, "Sauvegarde de la paie", agent)
    assert AuditEntry.objects.filter(action="kb.sheet.created", target_id=str(sheet.pk)).exists()


def test_two_sheets_with_one_title_get_distinct_slugs(agent):
    first = services.create_sheet(title="Sauvegarde", created_by=agent)
    second = services.create_sheet(title="Sauvegarde", created_by=agent)
    assert (first.slug, second.slug) == ("sauvegarde", "sauvegarde-2")


def test_a_title_without_letters_still_gets_a_slug(agent):
    assert services.create_sheet(title="???", created_by=agent).slug == "fiche"


def test_a_rename_moves_the_slug_and_keeps_the_old_one(agent):
    sheet = services.create_sheet(title="Ancien titre", created_by=agent)
    sheet = services.update_sheet(sheet=sheet, title="Nouveau titre", changed_by=agent)
    assert sheet.slug == "nouveau-titre"
    assert list(sheet.old_slugs.values_list("slug", flat=True)) == ["ancien-titre"]
    assert sheet.revisions.count() == 2


def test_an_old_slug_is_never_given_to_another_sheet(agent):
    sheet = services.create_sheet(title="Ancien titre", created_by=agent)
    services.update_sheet(sheet=sheet, title="Nouveau titre", changed_by=agent)
    other = services.create_sheet(title="Ancien titre", created_by=agent)
    assert other.slug == "ancien-titre-2"


def test_going_back_to_a_former_title_takes_back_its_slug(agent):
    sheet = services.create_sheet(title="Premier", created_by=agent)
    services.update_sheet(sheet=sheet, title="Second", changed_by=agent)
    sheet = services.update_sheet(sheet=sheet, title="Premier", changed_by=agent)
    assert sheet.slug == "premier"
    assert list(SheetSlug.objects.values_list("slug", flat=True)) == ["second"]


def test_an_explicit_slug_taken_elsewhere_is_refused(agent):
    services.create_sheet(title="Occupé", created_by=agent)
    sheet = services.create_sheet(title="Autre", created_by=agent)
    with pytest.raises(ValidationError) as exc:
        services.update_sheet(sheet=sheet, slug="occupe", changed_by=agent)
    assert "slug" in exc.value.message_dict


def test_every_save_that_changes_something_records_a_revision(agent, emagnus):
    sheet = services.create_sheet(title="Fiche", body="Texte", created_by=agent)
    services.update_sheet(sheet=sheet, title="Fiche", body="Texte", changed_by=agent)
    assert sheet.revisions.count() == 1
    services.update_sheet(sheet=sheet, software=[emagnus], changed_by=agent)
    assert sheet.revisions.count() == 2
    entries = AuditEntry.objects.filter(action="kb.sheet.changed").order_by("pk")
    assert [e.data["fields"] for e in entries] == [[], ["software"]]


def test_tags_are_normalised_and_shared(agent):
    first = services.create_sheet(
        title="A", tags=" Paie, paie ,TÉLÉTRANSMISSION,, ", created_by=agent
    )
    second = services.create_sheet(title="B", tags=["paie"], created_by=agent)
    assert sorted(first.tags.values_list("name", flat=True)) == ["paie", "télétransmission"]
    assert Tag.objects.count() == 2
    assert list(second.tags.all()) == [Tag.objects.get(slug="paie")]


def test_a_version_of_an_unchecked_software_is_refused(agent, emagnus, pastell):
    version = SoftwareVersion.objects.create(software=emagnus, number="2.0")
    with pytest.raises(ValidationError) as exc:
        services.create_sheet(title="A", software=[pastell], versions=[version], created_by=agent)
    assert "versions" in exc.value.message_dict
    assert not Sheet.objects.exists()


def test_publish_then_unpublish(agent):
    sheet = services.create_sheet(title="A", created_by=agent)
    sheet = services.publish_sheet(sheet=sheet, published_by=agent)
    first = sheet.published_at
    assert sheet.is_published
    assert first is not None
    with pytest.raises(services.SheetRefused):
        services.publish_sheet(sheet=sheet, published_by=agent)
    sheet = services.unpublish_sheet(sheet=sheet, unpublished_by=agent)
    assert not sheet.is_published
    with pytest.raises(services.SheetRefused):
        services.unpublish_sheet(sheet=sheet, unpublished_by=agent)
    sheet = services.publish_sheet(sheet=sheet, published_by=agent)
    assert sheet.published_at == first
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-3:] == ["kb.sheet.published", "kb.sheet.unpublished", "kb.sheet.published"]


def test_a_pdf_attachment_is_stored_under_a_random_name(agent):
    sheet = services.create_sheet(title="A", created_by=agent)
    attachment = services.add_attachment(
        sheet=sheet, upload=upload("Guide utilisateur.pdf", PDF_BYTES), uploaded_by=agent
    )
    assert (attachment.name, attachment.kind, attachment.size) == (
        "Guide utilisateur.pdf",
        "pdf",
        len(PDF_BYTES),
    )
    assert "Guide" not in attachment.file.name
    assert AuditEntry.objects.filter(action="kb.sheet.attachment_added").exists()


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ('<script>alert("x")</script>.png', "png", "script.png"),  # "/" is a path separator
        ("../../etc/passwd.png", "png", "passwd.png"),
        ("C:\\Users\\agent\\capture écran.jpeg", "jpeg", "capture écran.jpg"),
        ('"><img src=x onerror=alert(1)>.pdf', "pdf", "img srcx onerroralert(1).pdf"),
        ("rapport.exe", "pdf", "rapport.pdf"),
        ("", "pdf", "piece-jointe.pdf"),
    ],
)
def test_attachment_names_are_sanitised(name, kind, expected):
    assert services.clean_filename(name, kind) == expected


def test_an_image_named_pdf_gets_the_extension_of_its_real_type(agent):
    sheet = services.create_sheet(title="A", created_by=agent)
    attachment = services.add_attachment(
        sheet=sheet, upload=upload("capture.pdf", PNG_BYTES), uploaded_by=agent
    )
    assert (attachment.kind, attachment.name) == ("png", "capture.png")


def test_a_file_that_is_not_pdf_or_image_is_refused(agent):
    sheet = services.create_sheet(title="A", created_by=agent)
    with pytest.raises(ValidationError):
        services.add_attachment(
            sheet=sheet,
            upload=upload("facture.pdf", b"<html><script>alert(1)</script></html>"),
            uploaded_by=agent,
        )
    assert not Attachment.objects.exists()


def test_a_file_over_10_mb_is_refused(agent):
    sheet = services.create_sheet(title="A", created_by=agent)
    big = upload("gros.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError):
        services.add_attachment(sheet=sheet, upload=big, uploaded_by=agent)


def test_the_diff_of_two_revisions_lists_added_and_removed_lines(agent):
    sheet = services.create_sheet(title="A", body="ligne 1\nligne 2", created_by=agent)
    services.update_sheet(sheet=sheet, body="ligne 1\nligne 2 modifiée", changed_by=agent)
    old, new = Revision.objects.order_by("number")
    lines = services.revision_diff(old, new)
    assert ("del", "-ligne 2") in lines
    assert ("add", "+ligne 2 modifiée") in lines


def test_deleting_a_sheet_removes_it_from_search(agent):
    from syndesk.kb.search import search_sheets

    sheet = services.create_sheet(title="Sauvegarde", created_by=agent)
    services.delete_sheet(sheet=sheet, deleted_by=agent)
    assert search_sheets(Sheet.objects.all(), "sauvegarde") == []
    assert AuditEntry.objects.filter(action="kb.sheet.deleted").exists()
