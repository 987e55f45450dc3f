"""Strict msgpack and deflate for untrusted bytes.

One place decides how borderpass reads bytes it did not make: msgpack with hard limits,
no extension types, no trailing bytes, arrays as tuples; deflate with a cap on the
inflated size checked *while* inflating, so a decompression bomb costs at most the cap.
The ``expect_*`` helpers check the type of each positional field and raise the caller's
error type with reason ``malformed``, so nothing but that error leaves a decoder.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection
from typing import Any, NoReturn

import msgpack

from .errors import DecodeReason, ProtocolError

_DEFLATE_WBITS = -15  # raw deflate: no zlib header, the flag byte already says what it is


def pack(obj: object) -> bytes:
    """msgpack with bin for bytes and str for text (use_bin_type)."""
    return msgpack.packb(obj, use_bin_type=True)  # type: ignore[no-any-return]


def _refuse_ext(code: int, data: bytes) -> NoReturn:
    raise ValueError(f"msgpack extension type {code} is not allowed")


def unpack(
    data: bytes,
    *,
    max_bytes: int,
    error: type[ProtocolError] = ProtocolError,
    max_items: int = 100_000,
) -> Any:
    """Decode one msgpack object that spans all of ``data``; refuse anything else."""
    if len(data) > max_bytes:
        raise error(DecodeReason.TOO_LARGE, f"{len(data)} bytes, limit {max_bytes}")
    try:
        return msgpack.unpackb(
            data,
            raw=False,
            use_list=False,
            strict_map_key=True,
            ext_hook=_refuse_ext,
            max_str_len=max_bytes,
            max_bin_len=max_bytes,
            max_array_len=max_items,
            max_map_len=max_items,
            max_ext_len=0,
        )
    except Exception as exc:  # msgpack raises many types; all mean the same to us
        raise error(DecodeReason.MALFORMED, f"not msgpack: {type(exc).__name__}") from exc


def deflate(data: bytes, level: int = 9) -> bytes:
    """Raw deflate; level 9 for small payloads where every byte counts (a QR code),
    a low level for large frames where time does."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, _DEFLATE_WBITS)
    return compressor.compress(data) + compressor.flush()


def inflate(data: bytes, *, max_bytes: int, error: type[ProtocolError] = ProtocolError) -> bytes:
    """Inflate raw deflate data, refusing output beyond ``max_bytes`` as ``too_large``
    as soon as it is reached, and truncated or trailing data as ``malformed``."""
    if max_bytes < 1:  # zlib reads a max_length of 0 as "no limit"
        raise ValueError("max_bytes must be at least 1")
    inflater = zlib.decompressobj(_DEFLATE_WBITS)
    try:
        out = inflater.decompress(data, max_bytes)
        if inflater.unconsumed_tail:
            raise error(DecodeReason.TOO_LARGE, f"inflates past {max_bytes} bytes")
        out += inflater.flush(max_bytes + 1 - len(out))
    except zlib.error as exc:
        raise error(DecodeReason.MALFORMED, "bad deflate data") from exc
    if len(out) > max_bytes:
        raise error(DecodeReason.TOO_LARGE, f"inflates past {max_bytes} bytes")
    if not inflater.eof or inflater.unused_data:
        raise error(DecodeReason.MALFORMED, "truncated or trailing deflate data")
    return out


def fail(error: type[ProtocolError], what: str) -> NoReturn:
    raise error(DecodeReason.MALFORMED, what)


_TYPE_NAMES = {
    str: "text",
    bytes: "bytes",
    int: "integer",
    bool: "boolean",
    tuple: "array",
    type(None): "nil",
}


def expect_shape(
    obj: object, shapes: Collection[tuple[type, ...]], what: str, error: type[ProtocolError]
) -> tuple[Any, ...]:
    """An array whose items have, in order, exactly the types of one of ``shapes``.

    One pass over the item types, on the hot path of every scan; the types must match
    exactly (a boolean is not an integer). Limits on values are the caller's to check.
    """
    if type(obj) is not tuple or tuple(map(type, obj)) not in shapes:
        expected = " or ".join(
            "[" + ", ".join(_TYPE_NAMES.get(t, t.__name__) for t in shape) + "]" for shape in shapes
        )
        fail(error, f"{what}: expected {expected}")
    return obj


def expect_array_of(
    obj: object, item_type: type, what: str, error: type[ProtocolError], max_len: int
) -> tuple[Any, ...]:
    """An array of at most ``max_len`` items, each exactly of ``item_type``."""
    if type(obj) is not tuple or len(obj) > max_len or not set(map(type, obj)) <= {item_type}:
        fail(error, f"{what}: expected an array of at most {max_len} {_TYPE_NAMES[item_type]}")
    return obj


def expect_tuple(
    obj: object, length: int, what: str, error: type[ProtocolError]
) -> tuple[Any, ...]:
    if not isinstance(obj, tuple) or len(obj) != length:
        fail(error, f"{what}: expected an array of {length}")
    return obj


def expect_array(
    obj: object, what: str, error: type[ProtocolError], max_len: int
) -> tuple[Any, ...]:
    if not isinstance(obj, tuple) or len(obj) > max_len:
        fail(error, f"{what}: expected an array of at most {max_len}")
    return obj


def expect_int(obj: object, what: str, error: type[ProtocolError], lo: int, hi: int) -> int:
    if type(obj) is not int or not lo <= obj <= hi:
        fail(error, f"{what}: expected an integer in [{lo}, {hi}]")
    return obj


def expect_str(obj: object, what: str, error: type[ProtocolError], max_len: int) -> str:
    if not isinstance(obj, str) or len(obj) > max_len:
        fail(error, f"{what}: expected text of at most {max_len} characters")
    return obj


def expect_optional_str(
    obj: object, what: str, error: type[ProtocolError], max_len: int
) -> str | None:
    return None if obj is None else expect_str(obj, what, error, max_len)


def expect_bytes(obj: object, what: str, error: type[ProtocolError], length: int) -> bytes:
    if not isinstance(obj, bytes) or len(obj) != length:
        fail(error, f"{what}: expected {length} bytes")
    return obj


def expect_bool(obj: object, what: str, error: type[ProtocolError]) -> bool:
    if not isinstance(obj, bool):
        fail(error, f"{what}: expected true or false")
    return obj
