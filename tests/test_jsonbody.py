"""The JSON body parser both services use: depth counted without being fooled by
strings, deep bodies refused before parsing, every failure one error type."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderpass.jsonbody import JsonBodyError, nesting_depth, parse_json

TEXT = st.text(alphabet=st.sampled_from('ab"\\[]{}: ,\n'), max_size=8)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=20,
)


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@given(VALUES)
def test_the_depth_of_any_json_value_is_counted_exactly(value: object) -> None:
    raw = json.dumps(value).encode()
    assert nesting_depth(raw) == depth_of(value)
    assert parse_json(raw, max_depth=depth_of(value)) == value


@pytest.mark.parametrize(
    "raw",
    [b"[" * 33 + b"]" * 33, b"[" * 100_000, b'{"a":' * 40 + b"1" + b"}" * 40],
)
def test_too_deep_is_refused(raw: bytes) -> None:
    with pytest.raises(JsonBodyError, match="nested deeper"):
        parse_json(raw)


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[1,]", b"NaN-ish"])
def test_not_json_is_one_error(raw: bytes) -> None:
    with pytest.raises(JsonBodyError):
        parse_json(raw)


def test_brackets_inside_strings_do_not_count() -> None:
    assert nesting_depth(b'{"qr": "[[[[[[[[[[\\"]]]]"}') == 1
    assert parse_json(b'["' + b"[" * 1000 + b'"]') == ["[" * 1000]
