"""Cursor (keyset) pagination: constant cost on deep pages and stable under concurrent inserts."""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .errors import DomainError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": pk}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
        if not isinstance(value, int):
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise DomainError(_("The page cursor is not valid."), code="invalid_cursor") from None


def paginate(queryset, *, cursor: str | None = None, limit: int | None = None, descending: bool = False) -> Page:
    """Rows in primary-key order (newest first when ``descending``) after ``cursor``; ``next_cursor`` is None on
    the last page. The rows may be model instances or ``values()`` dicts that include ``id``."""
    limit = max(1, min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    qs = queryset.order_by("-pk" if descending else "pk")
    if cursor:
        after = decode_cursor(cursor)
        qs = qs.filter(pk__lt=after) if descending else qs.filter(pk__gt=after)
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if not (more and rows):
        return Page(items=rows, next_cursor=None)
    last = rows[-1]
    return Page(items=rows, next_cursor=encode_cursor(last["id"] if isinstance(last, dict) else last.pk))
