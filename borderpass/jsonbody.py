"""Parsing a JSON request body from an untrusted client, for both services.

Python's parser recurses once per nesting level, so ``[[[[...]]]]`` a few thousand
deep raises ``RecursionError`` (a 500) instead of a parse error; and a deep value that
does parse is a trap for any later recursive walk. No API here takes anything nested
more than a few levels, so a body nested deeper than :data:`MAX_DEPTH` is refused
before it is parsed, by a linear scan that skips strings.
"""

from __future__ import annotations

import json
import re

MAX_DEPTH = 32
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JsonBodyError(ValueError):
    """The body is not JSON, or is nested too deep; the message says which."""


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (strings skipped)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> object:
    """The value of a JSON body; :class:`JsonBodyError` for anything else."""
    if nesting_depth(raw) > max_depth:
        raise JsonBodyError(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise JsonBodyError(f"not JSON: {exc}") from exc
