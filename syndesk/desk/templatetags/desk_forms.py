from django import template

from syndesk.desk.quick_forms import field_group_html, field_html, form_html, label_html

register = template.Library()


@register.simple_tag
def quick_form(form):
    """The HTML of ``{% include "core/_form.html" %}`` for ``form``, drawn in Python."""
    return form_html(form)


@register.simple_tag
def quick_field(field):
    """``{{ field.label_tag }}{{ field }}`` and the field's errors, drawn in Python."""
    return field_html(field)


@register.simple_tag
def quick_label(field):
    """``{{ field.label_tag }}``, drawn in Python."""
    return label_html(field)


@register.simple_tag
def quick_field_group(field):
    """``{{ field.as_field_group }}``, drawn in Python."""
    return field_group_html(field)
