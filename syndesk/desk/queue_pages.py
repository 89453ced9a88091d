"""Pages of the agent queue that never OFFSET through a million rows.

The first pages can be asked for by number (``?page=3``: a small OFFSET, at most
``MAX_OFFSET_PAGE`` pages deep). The links the queue draws carry a *cursor* instead: the
sort key of the last row shown ("after") or of the first one ("before"), so that the next
page is read from the index where the previous one stopped, whatever its depth (keyset
pagination). The page number travels beside the cursor, for display only.

A cursor is the JSON list of the row's ordering values (dates as ISO text), in URL-safe
base64. It is not secret and needs no signature: a forged one only moves the reader inside
the queryset they were allowed to see; an unreadable one is ignored (first page).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q

PAGE_SIZE = 50
#: Deepest page reachable by number alone (OFFSET 950): deeper pages are reached through
#: the cursors of the "next" links.
MAX_OFFSET_PAGE = 20


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: its rows, its number, and the cursors of its neighbours."""

    rows: list
    number: int
    start: int
    has_next: bool
    has_previous: bool
    next_cursor: str = ""
    previous_cursor: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1


@dataclass(frozen=True)
class _Key:
    name: str  # model field name ("id" for the primary key)
    descending: bool
    nullable: bool  # sorted NULLS LAST in both directions (services._queue_order)


def ordering_keys(model, ordering: tuple[str, ...]) -> list[_Key]:
    keys = []
    for spec in ordering:
        name = spec.removeprefix("-")
        field = model._meta.pk if name in ("id", "pk") else model._meta.get_field(name)
        keys.append(_Key(field.attname, spec.startswith("-"), field.null))
    return keys


def encode_cursor(row, keys: list[_Key]) -> str:
    """``row``: a model instance or a ``values()`` dict."""
    values = []
    for key in keys:
        value = row[key.name] if isinstance(row, dict) else getattr(row, key.name)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, model, keys: list[_Key]) -> list | None:
    """The ordering values of a cursor, or None when it is not one of ours."""
    if not text or len(text) > 400:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    parsed = []
    for key, value in zip(keys, values, strict=True):
        if value is None:
            if not key.nullable:
                return None
            parsed.append(None)
            continue
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None
        try:
            field = model._meta.pk if key.name == "id" else model._meta.get_field(key.name)
            converted = field.to_python(value)
        except (ValidationError, FieldDoesNotExist, TypeError, ValueError, OverflowError):
            return None
        if converted is None:
            return None
        parsed.append(converted)
    return parsed


def keyset_condition(keys: list[_Key], values: list, *, forward: bool) -> Q:
    """Rows strictly after (``forward``) or strictly before the row whose ordering values
    are ``values``, in the queryset's ordering (nullable keys sort last both ways).

    (k1, k2, …) after (v1, v2, …) is: k1 beyond v1, or k1 = v1 and k2 beyond v2, and so
    on. When the first key cannot be NULL on the side read, the same bound is repeated as
    a plain range (k1 >= v1) so that the database reads the index from there instead of
    filtering from its start."""
    condition = None
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        greater = (not key.descending) == forward
        if value is None:
            # NULLs come last: nothing is beyond a NULL going forward; going back, every
            # non-null value is.
            beyond = None if forward else Q(**{f"{key.name}__isnull": False})
            same = Q(**{f"{key.name}__isnull": True})
        else:
            beyond = Q(**{f"{key.name}__{'gt' if greater else 'lt'}": value})
            if key.nullable and forward:
                beyond |= Q(**{f"{key.name}__isnull": True})
            same = Q(**{key.name: value})
        if beyond is not None:
            branch = equal & beyond
            condition = branch if condition is None else condition | branch
        equal &= same
    if condition is None:
        return Q(pk__in=[])
    first, first_value = keys[0], values[0]
    if first_value is not None and not (first.nullable and forward):
        greater = (not first.descending) == forward
        condition &= Q(**{f"{first.name}__{'gte' if greater else 'lte'}": first_value})
    return condition


def paginate(
    queryset,
    ordering: tuple[str, ...],
    *,
    number: int = 1,
    after: str = "",
    before: str = "",
    size: int = PAGE_SIZE,
) -> QueuePage:
    """The page of ``queryset`` (already ordered by ``ordering``, a tuple such as
    ``("resolution_due", "id")``) that the request asks for: after or before a cursor, else
    by number (capped at ``MAX_OFFSET_PAGE``). One query, of ``size + 1`` rows."""
    model = queryset.model
    keys = ordering_keys(model, ordering)
    number = max(1, number)
    cursor, forward = None, True
    if after:
        cursor = decode_cursor(after, model, keys)
    elif before:
        cursor, forward = decode_cursor(before, model, keys), False
    if cursor is None:
        number = min(number, MAX_OFFSET_PAGE)
        offset = (number - 1) * size
        rows = list(queryset[offset : offset + size + 1])
        has_next, has_previous = len(rows) > size, number > 1
        rows = rows[:size]
    elif forward:
        number = max(2, number)
        rows = list(queryset.filter(keyset_condition(keys, cursor, forward=True))[: size + 1])
        has_next, has_previous = len(rows) > size, True
        rows = rows[:size]
    else:
        rows = list(
            queryset.filter(keyset_condition(keys, cursor, forward=False)).reverse()[: size + 1]
        )
        has_next, has_previous = True, len(rows) > size
        rows = rows[:size][::-1]
        number = max(2, number) if has_previous else 1
    return QueuePage(
        rows=rows,
        number=number,
        start=(number - 1) * size + 1,
        has_next=has_next and bool(rows),
        has_previous=has_previous,
        next_cursor=encode_cursor(rows[-1], keys) if has_next and rows else "",
        previous_cursor=encode_cursor(rows[0], keys) if has_previous and rows else "",
    )
