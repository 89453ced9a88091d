"""The PDF renderer (syndesk.core.documents): tagged, French, PDF/A on demand, offline.

Documents are read back with pypdf: the catalogue (/Lang, /MarkInfo, /StructTreeRoot), the
document information (title, author), the XMP metadata (PDF/A identification) and the text.
"""

from datetime import time
from urllib.request import OpenerDirector

import pytest
from pypdf import PdfReader

from syndesk.core.documents import (
    STATIC_DIR,
    LocalOnlyURLFetcher,
    PdfRenderer,
    RefusedURL,
    open_days_phrase,
    opening_hours_lines,
    render_pdf,
)
from syndesk.core.hours import BusinessCalendar

pytestmark = pytest.mark.django_db  # none of them queries; the settings fixture is per test

PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Essai</title>
<link rel="stylesheet" href="core/print.css"></head><body><h1>Bonjour</h1>{body}</body></html>"""


def _read(pdf: bytes) -> PdfReader:
    from io import BytesIO

    return PdfReader(BytesIO(pdf))


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def base_pdf():
    return render_pdf("core/pdf/base.html", {})


def test_every_pdf_is_tagged(base_pdf):
    catalog = _read(base_pdf).trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert "/StructTreeRoot" in catalog


def test_the_document_language_is_french_by_default(base_pdf):
    assert _read(base_pdf).trailer["/Root"]["/Lang"] == "fr"


def test_the_language_follows_the_lang_argument():
    pdf = render_pdf("core/pdf/base.html", {}, lang="en")
    assert _read(pdf).trailer["/Root"]["/Lang"] == "en"


def test_the_syndicate_is_the_author_and_prints_in_the_header(settings):
    settings.SYNDICATE = {
        **settings.SYNDICATE,
        "name": "Gironde Numérique",
        "legal_name": "Syndicat mixte Gironde Numérique",
    }
    reader = _read(render_pdf("core/pdf/base.html", {}))
    assert reader.metadata.author == "Syndicat mixte Gironde Numérique"
    assert "Gironde Numérique" in _text(reader)


def test_the_footer_numbers_the_pages():
    reader = _read(PdfRenderer().write(PAGE.format(body='<p style="break-before: page">2</p>')))
    text = _text(reader)
    assert len(reader.pages) == 2
    assert "Page 1 / 2" in text
    assert "Page 2 / 2" in text


def test_the_title_comes_from_the_template():
    reader = _read(PdfRenderer().write(PAGE.format(body="")))
    assert reader.metadata.title == "Essai"


def test_a_plain_pdf_claims_no_pdfa_conformance(base_pdf):
    metadata = _read(base_pdf).xmp_metadata
    assert metadata is None or b"pdfaid" not in metadata.stream.get_data()


def test_the_pdfa_variant_identifies_itself_as_pdfa_3b():
    reader = _read(render_pdf("core/pdf/base.html", {}, pdfa=True))
    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert "pdfaid:part" in xmp
    assert 'pdfaid:part="3"' in xmp or "<pdfaid:part>3</pdfaid:part>" in xmp
    assert 'pdfaid:conformance="B"' in xmp or "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    catalog = reader.trailer["/Root"]
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert catalog["/Lang"] == "fr"


def test_the_same_input_gives_the_same_file():
    assert render_pdf("core/pdf/base.html", {}) == render_pdf("core/pdf/base.html", {})
    assert render_pdf("core/pdf/base.html", {}, pdfa=True) == render_pdf(
        "core/pdf/base.html", {}, pdfa=True
    )


# No network, no file outside the static folder -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/logo.png",
        "https://example.org/style.css",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.org/file",
        "file:///etc/passwd",
        "file://example.org/share/logo.png",
        (STATIC_DIR / "core" / ".." / ".." / "documents.py").as_uri(),
    ],
)
def test_the_url_fetcher_refuses_anything_but_local_static_files(url):
    with pytest.raises(RefusedURL):
        LocalOnlyURLFetcher().fetch(url)


def test_the_url_fetcher_serves_the_print_stylesheet():
    response = LocalOnlyURLFetcher().fetch((STATIC_DIR / "core" / "print.css").as_uri())
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_the_url_fetcher_accepts_data_uris():
    assert LocalOnlyURLFetcher().fetch("data:text/plain,ok").read() == b"ok"


def test_rendering_never_opens_a_remote_url(monkeypatch):
    opened = []
    monkeypatch.setattr(OpenerDirector, "open", lambda self, url, *a, **kw: opened.append(url))
    body = (
        '<img src="http://127.0.0.1:9/pixel.png" alt="">'
        '<p style="background: url(https://example.org/bg.png)">x</p>'
    )
    pdf = PdfRenderer().write(PAGE.format(body=body))
    assert pdf.startswith(b"%PDF")
    assert opened == []


# Opening hours as printed on documents -----------------------------------------------------


def test_the_default_hours_print_as_in_the_annex():
    schedule = BusinessCalendar.default().weekly_schedule()
    assert opening_hours_lines(schedule) == [
        ("Lundi – Jeudi", "8h30 / 12h00 – 13h30 / 18h00"),
        ("Vendredi", "8h30 / 12h00 – 13h30 / 17h00"),
    ]
    assert open_days_phrase(schedule) == "du lundi au vendredi"


def test_only_consecutive_days_with_the_same_hours_are_grouped():
    day = [(time(9), time(12))]
    schedule = BusinessCalendar(
        {0: day, 1: day, 2: [(time(14), time(0))], 3: day, 5: day}
    ).weekly_schedule()
    assert opening_hours_lines(schedule) == [
        ("Lundi – Mardi", "9h00 / 12h00"),
        ("Mercredi", "14h00 / 24h00"),
        ("Jeudi", "9h00 / 12h00"),
        ("Samedi", "9h00 / 12h00"),
    ]
    assert open_days_phrase(schedule) == "les lundi, mardi, mercredi, jeudi et samedi"


def test_a_single_open_day_is_named():
    schedule = BusinessCalendar({2: [(time(9), time(12))]}).weekly_schedule()
    assert open_days_phrase(schedule) == "le mercredi"
