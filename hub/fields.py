"""Reading fields out of a decoded JSON object (or a submitted form), pure.

Each reader raises :class:`~hub.errors.Refusal` with reason ``invalid_field`` and a
detail naming the field, so a client learns exactly what to fix.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from hub.errors import Refusal
from protocol.permit import valid_identifier

MAX_TEXT = 200


def invalid(name: str, why: str) -> Refusal:
    return Refusal("invalid_field", f"{name}: {why}")


def as_object(body: object, name: str = "body") -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise invalid(name, "expected a JSON object")
    return body


def optional_text(body: Mapping[str, Any], name: str, max_len: int = MAX_TEXT) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(name, "expected text")
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        return None
    if len(value) > max_len:
        raise invalid(name, f"longer than {max_len} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise invalid(name, "has control characters")
    return value


def text(body: Mapping[str, Any], name: str, max_len: int = MAX_TEXT) -> str:
    value = optional_text(body, name, max_len)
    if value is None:
        raise invalid(name, "required")
    return value


def identifier(body: Mapping[str, Any], name: str) -> str:
    value = text(body, name, 32)
    if not valid_identifier(value):
        raise invalid(name, "1-32 letters, digits, '.', '_' or '-'")
    return value


def optional_identifier(body: Mapping[str, Any], name: str) -> str | None:
    return identifier(body, name) if optional_text(body, name) is not None else None


def iso_date(body: Mapping[str, Any], name: str) -> date:
    value = text(body, name, 10)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise invalid(name, "expected a date YYYY-MM-DD") from exc


def text_list(body: Mapping[str, Any], name: str, max_items: int) -> tuple[str, ...]:
    """A list of short strings; a form may send it as one comma-separated string."""
    value = body.get(name)
    if isinstance(value, str):
        value = [part for part in value.replace("\n", ",").split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise invalid(name, "expected a list of strings")
    items = tuple(v.strip() for v in value)
    if len(items) > max_items:
        raise invalid(name, f"at most {max_items} items")
    if len(set(items)) != len(items):
        raise invalid(name, "items repeat")
    return items
