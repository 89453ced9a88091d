from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from syndesk.core.panels import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panels(context, slot: str, obj):
    """Render every panel registered for `slot` about `obj` (see core/panels.py).

    Each panel's template sees what ``render_to_string(template, extra, request=request)``
    gave it: the context processors' values, its own context and ``object``. The values
    are those the page's processors already produced (the same request): running the
    processors again for each panel cost a query or two per panel."""
    request = context.get("request")
    processed = None
    if context.template is not None and hasattr(context, "_processors_index"):
        processed = context.dicts[context._processors_index]
    user = getattr(request, "user", None)
    html = []
    for panel in panels_for(slot):
        if not panel.shown_to(user):
            continue
        extra = panel.context(request, obj)
        if not extra:
            continue
        values = {**extra, "object": obj}
        if processed is None:
            html.append(render_to_string(panel.template, values, request=request))
        else:
            panel_template = context.template.engine.get_template(panel.template)
            html.append(panel_template.render(context.new({**processed, **values})))
    # Each piece is an autoescaped template rendering: safe to join.
    return mark_safe("".join(html))
