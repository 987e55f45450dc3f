"""Server-rendered HTML with escaping by default.

Templates are files in ``hub/templates/`` using ``string.Template`` placeholders
(``$name``). :func:`render` escapes every value it substitutes unless the value is
:class:`Markup` (HTML this module or another template already made safe). Building
HTML in Python goes through :func:`escape` and :func:`tag`, so there is no path by
which a worker's name reaches a page unescaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from string import Template

TEMPLATES_DIR = Path(__file__).parent / "templates"
_VOID = frozenset({"input", "br", "hr", "img", "meta", "link"})


class Markup(str):
    """A string that is already safe HTML."""

    __slots__ = ()


def escape(value: object) -> Markup:
    """HTML-escape ``value`` (quotes too); ``None`` is empty; Markup passes through."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(html.escape(str(value), quote=True))


def join(parts: Iterable[object], separator: str = "") -> Markup:
    return Markup(escape(separator).join(escape(p) for p in parts))


def tag(element: str, content: object = "", /, **attributes: object) -> Markup:
    """``<element attr="...">content</element>``; attribute values are escaped, ``class_``
    is written ``class``, ``None`` and ``False`` attributes are left out, ``True``
    ones are written bare."""
    attrs = []
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        attr = key.rstrip("_").replace("_", "-")
        attrs.append(f" {attr}" if value is True else f' {attr}="{escape(value)}"')
    if element in _VOID:
        return Markup(f"<{element}{''.join(attrs)}>")
    return Markup(f"<{element}{''.join(attrs)}>{escape(content)}</{element}>")


@cache
def _template(name: str) -> Template:
    text = (TEMPLATES_DIR / name).read_text("utf-8")
    return Template(text)


def render(name: str, **values: object) -> Markup:
    """Fill the template ``name`` with escaped values; a missing value is an error."""
    return Markup(_template(name).substitute({k: escape(v) for k, v in values.items()}))


def table(headers: Iterable[object], rows: Iterable[Iterable[object]]) -> Markup:
    head = tag("tr", join(tag("th", h) for h in headers))
    body = join(tag("tr", join(tag("td", cell) for cell in row)) for row in rows)
    return tag("table", join([tag("thead", head), tag("tbody", body)]))
