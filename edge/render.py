"""Server-rendered HTML with ``string.Template`` and escaping by default.

Every value substituted into a template is passed through :func:`html.escape` unless it
is :class:`Markup`, which only this module's helpers make, from parts they escaped
themselves. JSON for a page's script goes into a ``<script type="application/json">``
block through :func:`script_json`, which escapes the characters that could end it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"


class Markup(str):
    """Text that is already safe HTML."""

    __slots__ = ()


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def element(tag: str, content: object = "", **attributes: object) -> Markup:
    """``<tag attr="...">content</tag>`` with every attribute and the content escaped
    (content that is Markup is kept). ``class_`` stands for ``class``."""
    attrs = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for name, value in attributes.items()
        if value is not None
    )
    return Markup(f"<{tag}{attrs}>{escape(content)}</{tag}>")


def join(parts: Iterable[object], separator: str = "") -> Markup:
    return Markup(escape(separator).join(escape(part) for part in parts))


def script_json(value: Any) -> Markup:
    """JSON safe inside a ``<script>`` element (no ``</script>`` can appear)."""
    text = json.dumps(value, ensure_ascii=False)
    for raw, safe in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(raw, safe)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


@cache
def _template(name: str) -> Template:
    text = (TEMPLATES / name).read_text("utf-8")
    return Template(text)


def render(name: str, **values: object) -> Markup:
    """Fill the template ``edge/templates/<name>``; every value is escaped."""
    return Markup(_template(name).substitute({k: escape(v) for k, v in values.items()}))
