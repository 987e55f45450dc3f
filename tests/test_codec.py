"""The strict codec: capped raw-deflate inflation, msgpack with limits and no
extension types, and the typed field checkers."""

from __future__ import annotations

import time
import zlib

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import codec
from protocol.errors import CredentialError, DecodeReason, ProtocolError


def reason_of(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ProtocolError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value.reason


# -- inflate ------------------------------------------------------------------------------


@given(st.binary(max_size=3000))
def test_deflate_inflate_round_trip(data: bytes) -> None:
    assert codec.inflate(codec.deflate(data), max_bytes=max(1, len(data))) == data


def test_deflate_is_raw_deflate() -> None:
    data = b"borderpass " * 20
    packed = codec.deflate(data)
    assert zlib.decompress(packed, -15) == data
    # a zlib-wrapped stream is not what the spec says
    assert reason_of(codec.inflate, zlib.compress(data), max_bytes=1000) == "malformed"


def test_inflate_cap_is_exact() -> None:
    packed = codec.deflate(bytes(1000))
    assert codec.inflate(packed, max_bytes=1000) == bytes(1000)
    assert reason_of(codec.inflate, packed, max_bytes=999) == DecodeReason.TOO_LARGE


def test_inflate_bomb_stops_at_the_cap() -> None:
    bomb = codec.deflate(bytes(50_000_000))  # ~50 kB that inflate to 50 MB
    assert len(bomb) < 100_000
    started = time.perf_counter()
    assert reason_of(codec.inflate, bomb, max_bytes=2048) == DecodeReason.TOO_LARGE
    assert time.perf_counter() - started < 1.0  # a sanity bound: it stops at the cap


def test_truncated_deflate_is_malformed() -> None:
    data = bytes(range(256)) * 4
    packed = codec.deflate(data)
    for end in range(len(packed)):
        assert reason_of(codec.inflate, packed[:end], max_bytes=4096) == DecodeReason.MALFORMED


def test_trailing_data_after_the_stream_is_malformed() -> None:
    packed = codec.deflate(b"claims")
    assert reason_of(codec.inflate, packed + b"\x00", max_bytes=100) == DecodeReason.MALFORMED
    assert reason_of(codec.inflate, packed + packed, max_bytes=100) == DecodeReason.MALFORMED


def test_garbage_is_malformed() -> None:
    assert reason_of(codec.inflate, b"\xff\xff\xff\xff", max_bytes=100) == "malformed"
    assert reason_of(codec.inflate, b"", max_bytes=100) == "malformed"


@settings(max_examples=300)
@given(st.binary(max_size=500), st.integers(1, 5000))
def test_inflate_any_bytes_raises_only_protocol_error(data: bytes, cap: int) -> None:
    try:
        out = codec.inflate(data, max_bytes=cap)
    except ProtocolError as exc:
        assert exc.reason in {DecodeReason.MALFORMED, DecodeReason.TOO_LARGE}
    else:
        assert len(out) <= cap


def test_inflate_refuses_a_cap_of_zero() -> None:
    """zlib reads a max_length of 0 as "no limit": a cap of 0 is a bug, not a cap."""
    for cap in (0, -1):
        with pytest.raises(ValueError, match="max_bytes"):
            codec.inflate(codec.deflate(bytes(10)), max_bytes=cap)


def test_inflate_raises_the_callers_error_type() -> None:
    with pytest.raises(CredentialError):
        codec.inflate(b"\xff", max_bytes=10, error=CredentialError)


# -- msgpack ------------------------------------------------------------------------------


def test_pack_unpack_types() -> None:
    value = [1, -2, "text", b"bytes", None, True, [1, [2]], {"k": 1}]
    out = codec.unpack(codec.pack(value), max_bytes=1000)
    assert out == (1, -2, "text", b"bytes", None, True, (1, (2,)), {"k": 1})
    assert type(out[3]) is bytes
    assert type(out[6]) is tuple


def test_trailing_bytes_are_malformed() -> None:
    data = codec.pack([1, 2]) + b"\x01"
    assert reason_of(codec.unpack, data, max_bytes=100) == DecodeReason.MALFORMED


def test_truncated_msgpack_is_malformed() -> None:
    data = codec.pack(["abc", b"def", [1, 2, 3]])
    for end in range(len(data)):
        assert reason_of(codec.unpack, data[:end], max_bytes=100) == DecodeReason.MALFORMED


def test_input_size_limit() -> None:
    data = codec.pack("x" * 100)
    assert codec.unpack(data, max_bytes=len(data)) == "x" * 100
    assert reason_of(codec.unpack, data, max_bytes=len(data) - 1) == DecodeReason.TOO_LARGE


def test_item_count_limit() -> None:
    assert codec.unpack(codec.pack(list(range(10))), max_bytes=100, max_items=10) == tuple(
        range(10)
    )
    assert reason_of(codec.unpack, codec.pack(list(range(11))), max_bytes=100, max_items=10) == (
        DecodeReason.MALFORMED
    )
    big_map = codec.pack({str(i): i for i in range(11)})
    assert reason_of(codec.unpack, big_map, max_bytes=1000, max_items=10) == "malformed"


def test_declared_lengths_beyond_the_data_are_refused_cheaply() -> None:
    # an array header claiming 2**32-1 items, a str header claiming 4 GB: no allocation
    for data in (b"\xdd\xff\xff\xff\xff", b"\xdb\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff"):
        assert reason_of(codec.unpack, data, max_bytes=100) == DecodeReason.MALFORMED


@pytest.mark.parametrize(
    "ext",
    [
        msgpack.ExtType(1, b"abc"),
        msgpack.ExtType(127, b""),
        msgpack.Timestamp(1_795_000_000, 0),
    ],
)
def test_extension_types_are_refused(ext: object) -> None:
    for value in (ext, [1, ext], {"k": ext}):
        data = msgpack.packb(value, use_bin_type=True)
        assert reason_of(codec.unpack, data, max_bytes=100) == DecodeReason.MALFORMED


def test_non_string_map_keys_are_refused() -> None:
    data = msgpack.packb({1: "one"})
    assert reason_of(codec.unpack, data, max_bytes=100) == DecodeReason.MALFORMED


def test_invalid_utf8_text_is_malformed() -> None:
    data = b"\xa2\xff\xfe"  # fixstr of two bytes that are not UTF-8
    assert reason_of(codec.unpack, data, max_bytes=100) == DecodeReason.MALFORMED


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_unpack_any_bytes_raises_only_protocol_error(data: bytes) -> None:
    try:
        codec.unpack(data, max_bytes=200, max_items=50)
    except ProtocolError as exc:
        assert exc.reason in {DecodeReason.MALFORMED, DecodeReason.TOO_LARGE}


# -- field checkers ---------------------------------------------------------------------

E = ProtocolError


def test_expect_int_refuses_booleans_and_out_of_range() -> None:
    assert codec.expect_int(5, "n", E, 0, 10) == 5
    for bad in (True, False, 5.0, "5", None, -1, 11):
        assert reason_of(codec.expect_int, bad, "n", E, 0, 10) == DecodeReason.MALFORMED


def test_expect_str_bytes_bool() -> None:
    assert codec.expect_str("abc", "s", E, 3) == "abc"
    assert reason_of(codec.expect_str, "abcd", "s", E, 3) == "malformed"
    assert reason_of(codec.expect_str, b"abc", "s", E, 3) == "malformed"
    assert codec.expect_optional_str(None, "s", E, 3) is None
    assert codec.expect_optional_str("a", "s", E, 3) == "a"
    assert reason_of(codec.expect_optional_str, 1, "s", E, 3) == "malformed"
    assert codec.expect_bytes(b"\x00" * 8, "b", E, 8) == bytes(8)
    for bad in (bytes(7), bytes(9), "x" * 8, bytearray(8)):
        assert reason_of(codec.expect_bytes, bad, "b", E, 8) == "malformed"
    assert codec.expect_bool(True, "f", E) is True
    for bad in (1, 0, None, "true"):
        assert reason_of(codec.expect_bool, bad, "f", E) == "malformed"


def test_expect_tuple_and_array() -> None:
    assert codec.expect_tuple((1, 2), 2, "t", E) == (1, 2)
    for bad in ((1,), (1, 2, 3), [1, 2], "ab", None):
        assert reason_of(codec.expect_tuple, bad, 2, "t", E) == "malformed"
    assert codec.expect_array((), "a", E, 2) == ()
    assert codec.expect_array((1, 2), "a", E, 2) == (1, 2)
    for bad in ((1, 2, 3), [1], {"a": 1}):
        assert reason_of(codec.expect_array, bad, "a", E, 2) == "malformed"


def test_error_message_names_the_field() -> None:
    with pytest.raises(ProtocolError, match="valid_from"):
        codec.expect_int("x", "valid_from", E, 0, 1)
