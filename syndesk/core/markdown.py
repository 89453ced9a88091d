"""Markdown written by staff (notices, practical sheets) to HTML that is safe to show.

python-markdown renders; nh3 (ammonia) then keeps only an allow-list: no script, style or
iframe, no event-handler or style attribute, links only to http, https, mailto or our own
pages (with rel="noopener noreferrer nofollow"), images only from our own origin or inline
data: images. Raw HTML typed in the Markdown goes through the same allow-list: the
sanitiser, not the author, decides what reaches a page, a feed or an email.
"""

import re
import threading
from functools import lru_cache, partial
from urllib.parse import urljoin, urlsplit

import markdown as _markdown
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

EXTENSIONS = ["tables", "fenced_code", "sane_lists", "def_list"]

TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code"),
    *("strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup", "small"),
    *("abbr", "kbd", "ul", "ol", "li", "dl", "dt", "dd", "a", "img"),
    *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "code": {"class"},
}
LINK_SCHEMES = {"http", "https", "mailto"}
# SVG is left out on purpose: an image format that can carry script is not worth the risk.
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[a-z0-9+/=\s]+$", re.IGNORECASE)
CODE_CLASS = re.compile(r"^language-[\w+-]{1,30}$")


def _scheme(url: str) -> str:
    # Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
    compact = re.sub(r"[\x00-\x20]+", "", url)
    return urlsplit(compact).scheme.lower()


def _own_origin(url: str) -> bool:
    if url.startswith("//"):
        return False
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return True  # a path on our own site
    site = urlsplit(settings.SITE_URL)
    return (parts.scheme, parts.netloc) == (site.scheme, site.netloc)


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        scheme = _scheme(value)
        if scheme and scheme not in LINK_SCHEMES:
            return None
        return None if value.startswith("//") else value
    if attribute == "src":
        if _scheme(value) == "data":
            return value if DATA_IMAGE.match(value) else None
        return value if _own_origin(value) else None
    if element == "code" and attribute == "class":
        return value if CODE_CLASS.match(value) else None
    return value


def _absolute(base_url: str, url: str) -> str | None:
    return urljoin(base_url + "/", url.lstrip("/")) if not url.startswith("#") else url


def render_markdown(text: str, *, base_url: str | None = None) -> SafeString:
    """Markdown source to sanitised HTML (safe to insert in a template).

    `base_url` (settings.SITE_URL, typically) turns relative links and images into absolute
    ones, for output read elsewhere than on our pages: feeds and emails.
    """
    if not text:
        return mark_safe("")
    args = (text, base_url.rstrip("/") if base_url else None, settings.SITE_URL)
    return _memo(*args) if len(text) <= MEMO_MAX_CHARS else _render(*args)


# The output depends only on these arguments (SITE_URL decides which images are ours), so
# a memo is always correct: feeds and lists render the same short texts again and again.
# Bounded in entries and in text size (at most ~2,000 × 8 KB of source per process).
MEMO_MAX_CHARS = 8_000


def _render(text: str, base_url: str | None, site_url: str) -> SafeString:
    # site_url only keys the memo: _filter_attribute reads the same setting.
    converter = _converter()
    converter.reset()
    html = converter.convert(text)
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes=ATTRIBUTES,
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer nofollow",
        url_schemes={*LINK_SCHEMES, "data"},
        url_relative=partial(_absolute, base_url) if base_url else None,
    )
    return mark_safe(cleaned)  # nh3's allow-list output


_memo = lru_cache(maxsize=2048)(_render)
_local = threading.local()


def _converter() -> _markdown.Markdown:
    # Building a Markdown instance (extensions, parsers) costs more than converting a short
    # text; one per thread is reused (Markdown objects are not thread-safe).
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = _markdown.Markdown(
            extensions=EXTENSIONS, output_format="html"
        )
    return converter
