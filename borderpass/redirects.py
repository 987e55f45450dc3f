"""Where a service may send a browser after a login or a language switch: a path on
this server, never another site (no open redirect).

A ``next`` value comes from the request, so an attacker writes it. Browsers are
lenient with what a ``Location`` header holds: they drop tabs and newlines anywhere,
read a backslash as a slash and ``//host`` as another host, so ``/\\t/evil.example``
lands on ``//evil.example``. A target is kept only when it is an absolute path (one
leading slash, no scheme, no host), holds no control character, no backslash and no
whitespace but plain spaces, and still is all of that once percent-decoded (so a proxy
or a second decoding cannot turn it into another host). Anything else becomes the
fallback.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def local_target(target: str | None, fallback: str = "/") -> str:
    """``target`` if it is a path on this server, else ``fallback``."""
    if not target or not (_is_local_path(target) and _is_local_path(unquote(target))):
        return fallback
    return target


def _is_local_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(_unsafe(ch) for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _unsafe(ch: str) -> bool:
    """Control and format characters and every whitespace but a plain space."""
    return ch != " " and (not ch.isprintable() or ch.isspace())
