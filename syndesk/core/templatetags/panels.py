from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from syndesk.core.panels import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panels(context, slot: str, obj):
    """Render every panel registered for `slot` about `obj` (see core/panels.py)."""
    request = context.get("request")
    html = []
    for panel in panels_for(slot):
        extra = panel.context(request, obj)
        if extra:
            html.append(render_to_string(panel.template, {**extra, "object": obj}, request=request))
    # Each piece is an autoescaped template rendering: safe to join.
    return mark_safe("".join(html))
