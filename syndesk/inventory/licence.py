"""Licence numbers and keys: stored in clear (the agent reads them to the editor's support),
but never written anywhere by accident.

A ``LicenceKey`` masks itself in ``str()``, ``repr()`` and formatting, so that a template, a
log line, an exception message, an audit entry or Django's technical 500 page (which prints
local variables with ``repr``) shows only the last four characters. The clear value comes
out only through ``reveal()``, which the reveal service calls after logging who asked.
"""

from django.db import models
from django.views.debug import SafeExceptionReporterFilter

VISIBLE = 4
MASK = "•"


def mask(value: str) -> str:
    """'ABCD-1234-WXYZ' -> '••••••••••WXYZ' (short keys are masked entirely)."""
    if not value:
        return ""
    if len(value) <= VISIBLE * 2:
        return MASK * len(value)
    return MASK * (len(value) - VISIBLE) + value[-VISIBLE:]


class LicenceKey:
    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = str(value.reveal() if isinstance(value, LicenceKey) else value)

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask(self._value)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"LicenceKey({self.masked!r})"

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other) -> bool:
        if isinstance(other, LicenceKey):
            return self._value == other._value
        if isinstance(other, str):
            return self._value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):
        # Pickled (cache, sessions) only as its masked form: a key never leaves the database.
        return (LicenceKey, (self.masked,))


class LicenceKeyField(models.CharField):
    """A CharField whose Python value is a LicenceKey (masked when printed)."""

    def from_db_value(self, value, expression, connection):
        return LicenceKey(value) if value else ""

    def to_python(self, value):
        if value is None or value == "":
            return ""
        if isinstance(value, LicenceKey):
            return value
        return LicenceKey(str(value).strip())

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.reveal() if isinstance(value, LicenceKey) else value

    def value_to_string(self, obj):
        # Serialisation (dumpdata, model_to_dict users) gets the masked form.
        value = self.value_from_object(obj)
        return str(value) if value else ""


class LicenceReporterFilter(SafeExceptionReporterFilter):
    """Django hides sensitive POST parameters and variables only when DEBUG is off; the
    views that receive a licence key hide them in every mode (a developer's or a
    misconfigured server's technical 500 page included)."""

    def is_active(self, request) -> bool:
        return True


class HideLicenceMixin:
    """For views whose POST may carry a licence key (fields ``licence_key`` and
    ``new_licence_key``): error reports never show them."""

    licence_fields = ("licence_key", "new_licence_key")

    def dispatch(self, request, *args, **kwargs):
        request.exception_reporter_filter = LicenceReporterFilter()
        request.sensitive_post_parameters = self.licence_fields
        return super().dispatch(request, *args, **kwargs)
