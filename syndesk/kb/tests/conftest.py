"""Practical-sheet fixtures. Sheets are written and published through the services, as an
agent would; `pdf_upload` and friends are tiny files of each accepted real type."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syndesk.catalog.models import Software

# The desk's ticket fixtures (Brécey subscribes with e.magnus covered; Gisèle is its contact).
from syndesk.desk.tests.conftest import gisele, open_ticket, subscription  # noqa: F401
from syndesk.kb import services
from syndesk.kb.models import Sheet

XSS_BODY = (
    "Texte **utile**.\n\n"
    "<script>alert('body')</script>\n\n"
    "<style>body{display:none}</style>\n\n"
    '<img src="x" onerror="alert(\'img\')">\n\n'
    "[cliquez](javascript:alert('link'))\n\n"
    '<a href="https://ok.example/" onclick="alert(\'a\')" style="color:red">lien</a>'
)
FORBIDDEN = ("<script", "alert(", "onerror", "onclick", "javascript:", "<style", "display:none")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def emagnus(db):
    return Software.objects.create(name="e.magnus", editor="Berger-Levrault", category="business")


@pytest.fixture
def pastell(db):
    return Software.objects.create(name="Pastell", editor="Libriciel", category="demat")


def make_sheet(by, *, publish=True, **fields) -> Sheet:
    fields.setdefault("title", "Fiche")
    sheet = services.create_sheet(created_by=by, **fields)
    if publish:
        sheet = services.publish_sheet(sheet=sheet, published_by=by)
    return sheet


@pytest.fixture
def sheet_factory(agent):
    return lambda **fields: make_sheet(agent, **fields)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)
