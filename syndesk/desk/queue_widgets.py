"""Drop-down lists of the queue page drawn without the template engine.

The queue page answers every filter change (htmx) and has eight drop-down lists (about
fifty options). Django draws each option through two template includes: that was a third
of the page's time. ``QuickSelect`` writes the same HTML as Django's
``django/forms/widgets/select.html`` in Python (attributes and labels escaped alike);
lists with option groups keep Django's rendering.
"""

from html import escape

from django import forms
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False drops the attribute, True writes its name.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(
            f" {escape(str(name))}" if value is True else f' {name}="{escape(str(value))}"'
        )
    return "".join(parts)


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        values = self.format_value(value)
        options = []
        selected_one = False
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                return super().render(name, value, attrs, renderer)  # option groups
            text = "" if option_value is None else str(option_value)
            selected = not selected_one and text in values
            selected_one = selected_one or selected
            options.append(
                f'\n  <option value="{escape(text)}"{" selected" if selected else ""}>'
                f"{escape(str(option_label))}</option>\n"
            )
        final = self.build_attrs(self.attrs, attrs)
        html = f'<select name="{escape(name)}"{_attrs(final)}>{"".join(options)}\n</select>'
        return mark_safe(html)  # every value and label escaped above


def quick_selects(form: forms.Form) -> forms.Form:
    """Give the plain single-choice lists of ``form`` a QuickSelect (same HTML, faster)."""
    for field in form.fields.values():
        widget = field.widget
        if type(widget) is forms.Select:
            quick = QuickSelect(attrs=widget.attrs)
            quick.choices = widget.choices
            quick.is_required = widget.is_required
            field.widget = quick
    return form
