from django import template
from django.conf import settings
from django.utils.safestring import SafeString

from syndesk.core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """Markdown to sanitised HTML (syndesk.core.markdown)."""
    return render_markdown(text)


@register.filter
def markdown_absolute(text: str) -> SafeString:
    """The same with absolute links and images, for feeds and emails."""
    return render_markdown(text, base_url=settings.SITE_URL)
