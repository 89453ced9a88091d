"""PDF documents: one renderer turns a Django template into a tagged PDF with WeasyPrint.

Every document of the service (quotes, annexes, invoices, practical sheets) goes through
`PdfRenderer`, so that they all share the same guarantees:

* the PDF is *tagged* (structure tree, /MarkInfo, /Lang from ``<html lang>``): public bodies
  must publish accessible documents (RGAA), and screen readers need the structure;
* `pdfa=True` produces PDF/A-3b, the archival profile Factur-X invoices are built on;
* nothing is fetched from the network. Resources resolve against the core static folder, and
  `LocalOnlyURLFetcher` serves only files under it (and ``data:`` URIs), so a URL typed by a
  user (a member's website, a link in a practical sheet) can never make the server issue a
  request (SSRF) or read a file elsewhere on the disk;
* the output depends only on the template and its context: no clock, no random identifier
  (the PDF /ID is a hash of the content), so regenerating a document from the same stored
  data gives the same file.

Fonts are the system's DejaVu family (Debian's fonts-dejavu-core), embedded and subset by
WeasyPrint; the print stylesheet is ``core/static/core/print.css``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.dates import WEEKDAYS
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = [
    "BASE_URL",
    "STATIC_DIR",
    "LocalOnlyURLFetcher",
    "PdfRenderer",
    "RefusedURL",
    "open_days_phrase",
    "opening_hours_lines",
    "render_pdf",
]

#: Relative URLs in document templates ("core/print.css") resolve against this folder.
STATIC_DIR = Path(__file__).resolve().parent / "static"
BASE_URL = STATIC_DIR.as_uri() + "/"

PDFA_VARIANT = "pdf/a-3b"


class RefusedURL(ValueError):
    """A document tried to load a resource that is not a local static file."""


class LocalOnlyURLFetcher(URLFetcher):
    """Serves ``file:`` URLs under the allowed roots and ``data:`` URIs; refuses the rest.

    WeasyPrint catches the refusal, logs a warning and renders the document without the
    resource. The file is read here (not through urllib) after resolving symlinks and
    ``..`` so that the root check cannot be bypassed.
    """

    def __init__(self, roots: Iterable[Path] = (STATIC_DIR,)) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=1)
        self.roots = tuple(Path(root).resolve() for root in roots)

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            # Decoded in memory by urllib's DataHandler: no I/O at all.
            return super().fetch(url, headers)
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"documents load local static files only, not {url!r}")
        path = Path(url2pathname(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            raise RefusedURL(f"not a static file of the documents: {url!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


class PdfRenderer:
    """Renders a Django template to a tagged PDF (optionally PDF/A-3b).

    The template should extend ``core/pdf/base.html``, which sets the language, the
    metadata (``<title>``, author = the syndicate) and the print stylesheet. The context
    receives ``syndicate`` (settings.SYNDICATE) and ``lang``; the template is rendered with
    `lang` active, so ``{% translate %}`` and date formats follow it.
    """

    def __init__(
        self,
        *,
        pdfa: bool = False,
        lang: str = "fr",
        url_fetcher: URLFetcher | None = None,
    ) -> None:
        self.pdfa = pdfa
        self.lang = lang
        self.url_fetcher = url_fetcher or LocalOnlyURLFetcher()

    def language(self) -> translation.override:
        """Activate the document's language, e.g. while a caller formats dates and names
        for the context: the request's language (an English-speaking agent) must not leak
        into a French document."""
        return translation.override(self.lang)

    def context(self, context: Mapping[str, Any]) -> dict[str, Any]:
        return {"syndicate": settings.SYNDICATE, **context, "lang": self.lang}

    def html(self, template_name: str, context: Mapping[str, Any]) -> str:
        """The HTML the PDF is made from (handy for previews and debugging)."""
        with self.language():
            return render_to_string(template_name, self.context(context))

    def render(self, template_name: str, context: Mapping[str, Any]) -> bytes:
        """The PDF of `template_name` rendered with `context`."""
        return self.write(self.html(template_name, context))

    def write(self, source: str) -> bytes:
        """The PDF of an HTML string (relative URLs resolve against the static folder)."""
        document = HTML(string=source, base_url=BASE_URL, url_fetcher=self.url_fetcher)
        options: dict[str, Any] = {"pdf_tags": True}
        if self.pdfa:
            options["pdf_variant"] = PDFA_VARIANT
        return document.write_pdf(**options)


def render_pdf(
    template_name: str, context: Mapping[str, Any], *, pdfa: bool = False, lang: str = "fr"
) -> bytes:
    """Render `template_name` with `context` to PDF bytes (see `PdfRenderer`)."""
    return PdfRenderer(pdfa=pdfa, lang=lang).render(template_name, context)


# Opening hours, as the annex prints them ------------------------------------------------------
# Display helpers for `BusinessCalendar.weekly_schedule()`; documents and the public site
# should print the hours the same way.


def _clock(value: time, *, end: bool = False) -> str:
    # The calendar stores midnight at the end of a day as time(0).
    hour = 24 if end and value == time(0) else value.hour
    return _("%(hour)dh%(minute)02d") % {"hour": hour, "minute": value.minute}


def _ranges_text(ranges: Sequence[tuple[time, time]]) -> str:
    return " – ".join(f"{_clock(start)} / {_clock(end, end=True)}" for start, end in ranges)


def opening_hours_lines(
    schedule: Sequence[tuple[int, Sequence[tuple[time, time]]]],
) -> list[tuple[str, str]]:
    """``[(days, hours), ...]`` from ``weekly_schedule()``: consecutive days with identical
    hours are grouped and closed days left out, e.g.
    ``[("Lundi – Jeudi", "8h30 / 12h00 – 13h30 / 18h00"), ("Vendredi", "8h30 / 12h00 – …")]``.
    """
    groups: list[tuple[int, int, tuple]] = []
    for weekday, ranges in schedule:
        ranges = tuple(ranges)
        if not ranges:
            continue
        if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == ranges:
            groups[-1] = (groups[-1][0], weekday, ranges)
        else:
            groups.append((weekday, weekday, ranges))
    lines = []
    for first, last, ranges in groups:
        days = capfirst(str(WEEKDAYS[first]))
        if last != first:
            days = f"{days} – {capfirst(str(WEEKDAYS[last]))}"
        lines.append((days, _ranges_text(ranges)))
    return lines


def open_days_phrase(schedule: Sequence[tuple[int, Sequence[tuple[time, time]]]]) -> str:
    """The open days for a sentence: "du lundi au vendredi" when they follow each other,
    "le mercredi" for one day, otherwise "les lundi, mercredi et vendredi"."""
    days = [weekday for weekday, ranges in schedule if ranges]
    if not days:
        return ""
    if len(days) == 1:
        return _("le %(day)s") % {"day": WEEKDAYS[days[0]]}
    if days == list(range(days[0], days[-1] + 1)):
        return _("du %(first)s au %(last)s") % {
            "first": WEEKDAYS[days[0]],
            "last": WEEKDAYS[days[-1]],
        }
    names = [str(WEEKDAYS[d]) for d in days]
    return _("les %(days)s et %(last)s") % {"days": ", ".join(names[:-1]), "last": names[-1]}
