"""Forms of the ticket page drawn without the template engine.

The staff ticket page shows up to nine small forms (about twenty fields). Django draws each
field through five to ten template includes (the field group, its label, its errors, the
widget, its attributes, one per option): that was 40 % of the page's time. ``form_html``
writes the HTML of ``core/_form.html`` in Python, field by field as Django's
``django/forms/field.html`` and widget templates do, every text escaped as the templates'
autoescape does (``conditional_escape``: a text marked safe stays as it is). A widget this
module does not know keeps Django's own rendering, so the output stays the same whatever
field a form gains; the tests compare both renderings for every form of the page.
"""

from django import forms
from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape as _e
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .queue_widgets import QuickSelect


def _text(value) -> str:
    # ``{{ value|stringformat:'s' }}``: a text marked safe stays as it is.
    return _e(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html: False drops the attribute, True writes its name.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_e(name)}")
        else:
            parts.append(f' {_e(name)}="{_text(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    # django/forms/widgets/input.html (without its final newline: the renderer strips it).
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return (
        f'<input type="{_e(widget["type"])}" name="{_e(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _input_widget(widget, name, value, attrs) -> str:
    return _input(widget.get_context(name, value, attrs)["widget"])


def _textarea(widget, name, value, attrs) -> str:
    context = widget.get_context(name, value, attrs)["widget"]
    text = context["value"]
    return (
        f'<textarea name="{_e(context["name"])}"{_attrs(context["attrs"])}>\n'
        f"{_e(text) if text else ''}</textarea>"
    )


def _radio(widget, name, value, attrs) -> str | None:
    # django/forms/widgets/multiple_input.html and input_option.html.
    context = widget.get_context(name, value, attrs)["widget"]
    ident = context["attrs"].get("id")
    html = f'<div id="{_e(ident)}"' if ident else "<div"
    css = context["attrs"].get("class")
    if css:
        html += f' class="{_e(css)}"'
    html += ">"
    for group, options, _index in context["optgroups"]:
        if group:
            return None  # option groups: Django's rendering
        for option in options:
            if not option.get("wrap_label"):
                return None
            option_id = option["attrs"].get("id")
            label_for = f' for="{_e(option_id)}"' if option_id else ""
            html += (
                f"<div>\n    <label{label_for}>{_input(option)}\n {_e(option['label'])}</label>"
                "\n\n</div>"
            )
    return html + "\n</div>"


def _file(widget, name, value, attrs) -> str | None:
    context = widget.get_context(name, value, attrs)["widget"]
    if context.get("is_initial"):
        return None  # a stored file's link: Django's rendering
    return _input(context)


_RENDERERS = {
    forms.TextInput: _input_widget,
    forms.NumberInput: _input_widget,
    forms.DateInput: _input_widget,
    forms.EmailInput: _input_widget,
    forms.CheckboxInput: _input_widget,
    forms.Textarea: _textarea,
    forms.RadioSelect: _radio,
}


def _widget_html(bf: BoundField) -> str:
    """``{{ field }}``: BoundField.as_widget with the widget drawn here when it is known."""
    widget = bf.field.widget
    renderer = _RENDERERS.get(type(widget))
    if renderer is None:
        if isinstance(widget, forms.ClearableFileInput) and type(widget).template_name == (
            forms.ClearableFileInput.template_name
        ):
            renderer = _file
        elif type(widget) is forms.Select:
            renderer = _select
    if renderer is None or bf.field.localize:
        return str(bf)
    attrs = bf.build_widget_attrs({}, widget)
    if bf.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bf.auto_id)
    html = renderer(widget, bf.html_name, bf.value(), attrs)
    return str(bf) if html is None else html


def _select(widget, name, value, attrs) -> str:
    quick = QuickSelect(attrs=widget.attrs)
    quick.choices = widget.choices
    quick.is_required = widget.is_required
    return quick.render(name, value, attrs)


def _label(bf: BoundField, tag: str) -> str:
    """BoundField.label_tag / legend_tag (django/forms/label.html)."""
    contents = bf.label
    field, form = bf.field, bf.form
    suffix = field.label_suffix if field.label_suffix is not None else form.label_suffix
    if suffix and contents and contents[-1] not in _(":?.!"):
        contents = f"{_e(contents)}{_e(suffix)}"
    else:
        contents = _e(contents)
    widget = field.widget
    ident = widget.attrs.get("id") or bf.auto_id
    if not ident:
        return contents
    attrs: dict = {}
    for_id = widget.id_for_label(ident)
    if for_id and tag != "legend":
        attrs["for"] = for_id
    if field.required and hasattr(form, "required_css_class"):
        attrs["class"] = form.required_css_class
    return f"<{tag}{_attrs(attrs)}>{contents}</{tag}>"


def label_html(bf: BoundField) -> SafeString:
    """``{{ field.label_tag }}``."""
    return mark_safe(_label(bf, "label"))  # label escaped in _label


def field_html(bf: BoundField) -> SafeString:
    """``{{ field.label_tag }}{{ field }}{% if field.errors %}{{ field.errors }}{% endif %}``
    (the queue's filters)."""
    errors = bf.errors if bf.form.is_bound else None
    html = _label(bf, "label") + _widget_html(bf) + (str(errors) if errors else "")
    return mark_safe(html)  # every part escaped or drawn by Django


def _field_group(bf: BoundField, bound: bool) -> str:
    """``{{ field.as_field_group }}``: django/forms/field.html, stripped as Django does."""
    errors = str(bf.errors) if bound else ""
    help_text = ""
    if bf.help_text:
        ident = f' id="{_e(bf.auto_id)}_helptext"' if bf.auto_id else ""
        help_text = f'<div class="helptext"{ident}>{bf.help_text}</div>'
    if bf.use_fieldset:
        described = bf.aria_describedby
        described = f' aria-describedby="{_e(described)}"' if described else ""
        legend = _label(bf, "legend") if bf.label else ""
        html = (
            f"\n  <fieldset{described}>\n  {legend}\n\n{help_text}\n{errors}\n"
            f"{_widget_html(bf)}</fieldset>\n"
        )
    else:
        label = _label(bf, "label") if bf.label else ""
        html = f"\n  {label}\n\n{help_text}\n{errors}\n{_widget_html(bf)}\n"
    return html.strip()


def field_group_html(bf: BoundField) -> SafeString:
    """``{{ field.as_field_group }}``."""
    return mark_safe(_field_group(bf, bf.form.is_bound))  # escaped in _field_group


def form_html(form: forms.Form) -> SafeString:
    """What ``{% include "core/_form.html" %}`` draws for ``form``."""
    bound = form.is_bound
    head = ""
    if bound:
        non_field = form.non_field_errors()
        if non_field:
            head = f'<div class="form-errors" role="alert">{non_field}</div>'
    hidden = "".join(str(bf) for bf in form.hidden_fields())
    parts = [head, "\n", hidden, "\n"]
    for bf in form.visible_fields():
        css = "field"
        if bound and bf.errors:
            css += " has-error"
        if getattr(bf.field.widget, "input_type", None) == "checkbox":
            css += " checkbox"
        parts.append(f'\n  <div class="{css}">{_field_group(bf, bound)}</div>\n')
    parts.append("\n")
    # Every text above is escaped (or Django's own safe rendering).
    return mark_safe("".join(parts))
