"""``{{ number|phone }}``: a stored E.164 number as people write it (02 33 77 83 00)."""

from django import template

from syndesk.members.phones import display_phone

register = template.Library()


@register.filter
def phone(value) -> str:
    return display_phone(value) if value else ""
