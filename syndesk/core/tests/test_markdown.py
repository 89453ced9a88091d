"""render_markdown: Markdown in, HTML out that no author can turn into script."""

import pytest
from django.utils.safestring import SafeString

from syndesk.core.markdown import render_markdown

ATTACKS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[clic](javascript:alert(1))",
    '<a href="java\tscript:alert(1)">clic</a>',
    '<a href="JAVASCRIPT:alert(1)">clic</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">clic</a>',
    '<a href="vbscript:msgbox(1)">clic</a>',
    '<iframe src="https://evil.example/"></iframe>',
    "<style>body { display: none }</style>",
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
    '<svg onload="alert(1)"><circle/></svg>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://evil.example/"><input name="password"></form>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://assistance.example.fr"


def test_it_renders_common_markdown():
    html = render_markdown(
        "# Titre\n\n*un* **deux**\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |"
    )
    assert isinstance(html, SafeString)
    assert "<h1>Titre</h1>" in html
    assert "<em>un</em> <strong>deux</strong>" in html
    assert "<li>a</li>" in html
    assert "<td>1</td>" in html


def test_fenced_code_keeps_its_language_class_only():
    html = render_markdown('```python\nx = 1\n```\n\n<code class="evil">y</code>')
    assert '<code class="language-python">' in html
    assert 'class="evil"' not in html


@pytest.mark.parametrize("source", ATTACKS)
def test_script_and_event_handlers_never_survive(source):
    html = render_markdown(f"Avant\n\n{source}\n\nAprès").lower()
    for forbidden in (
        "<script",
        "alert(",
        "onerror",
        "onclick",
        "onload",
        "javascript:",
        "vbscript:",
        "data:text",
        "<iframe",
        "<style",
        "style=",
        "<svg",
        "<object",
        "<embed",
        "<form",
        "<input",
    ):
        assert forbidden not in html, (source, html)
    assert "avant" in html
    assert "après" in html


def test_links_are_limited_to_web_and_mail_and_get_a_safe_rel():
    html = render_markdown(
        "[site](https://www.example.org/) [mail](mailto:a@example.org) "
        "[page](/actualites/) [ftp](ftp://x.example/) [tel](tel:0233000000)"
    )
    assert '<a href="https://www.example.org/" rel="noopener noreferrer nofollow">site</a>' in html
    assert 'href="mailto:a@example.org"' in html
    assert 'href="/actualites/"' in html
    assert "ftp:" not in html
    assert "tel:" not in html


def test_protocol_relative_links_are_dropped():
    assert "evil" not in render_markdown("[x](//evil.example/path)")


def test_images_only_from_our_origin_or_inline_data():
    html = render_markdown(
        "![a](/media/a.png) ![b](https://assistance.example.fr/media/b.png) "
        "![c](https://evil.example/c.png) ![d](//evil.example/d.png) "
        "![e](data:image/png;base64,iVBORw0KGgo=) ![f](data:image/svg+xml;base64,PHN2Zz4=)"
    )
    assert 'src="/media/a.png"' in html
    assert 'src="https://assistance.example.fr/media/b.png"' in html
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in html
    assert "evil" not in html
    assert "svg" not in html


def test_base_url_makes_relative_links_and_images_absolute_for_feeds():
    html = render_markdown(
        "[p](/fiches/3/) ![i](/media/i.png) [a](#haut)", base_url="https://assistance.example.fr/"
    )
    assert 'href="https://assistance.example.fr/fiches/3/"' in html
    assert 'src="https://assistance.example.fr/media/i.png"' in html
    assert 'href="#haut"' in html


def test_empty_input_gives_empty_output():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""  # type: ignore[arg-type]


def test_long_texts_are_rendered_without_the_memo():
    long_text = "paragraphe\n\n" * 2000 + "<script>alert(1)</script>"
    html = render_markdown(long_text)
    assert html.count("<p>paragraphe</p>") == 2000
    assert "<script" not in html


def test_the_memo_follows_the_site_url(settings):
    source = "![i](https://autre.example/i.png)"
    assert "src=" not in render_markdown(source)
    settings.SITE_URL = "https://autre.example"
    assert 'src="https://autre.example/i.png"' in render_markdown(source)
