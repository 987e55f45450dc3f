"""Base45 (RFC 9285): bytes as text in the QR alphanumeric alphabet.

The permit travels as base45 because a QR code's alphanumeric mode packs 45 symbols at
5.5 bits each, so base45 text fills a smaller code than base64 in byte mode.

Decoding is on the hot path of every scan, so it does its arithmetic on whole strings
at once instead of one three-character group at a time: ``bytes.translate`` turns the
text into digit values, one big integer holds every group as a 24-bit lane
(``c1 << 16 | c2 << 8 | c3``), masks and shifts take the three digits of every lane
apart, and ``c1 + 45 * c2 + 2025 * c3`` is computed for all lanes in three big-integer
operations. A lane's value is at most 91,124, so lanes never carry into each other, and
a lane above 65,535 (an invalid group) shows as a non-zero top byte.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import CredentialError, DecodeReason

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

_ENCODE = [ALPHABET[v % 45] + ALPHABET[(v // 45) % 45] + ALPHABET[v // 2025] for v in range(65536)]
_NOT_BASE45 = 0xFF
_DIGIT_VALUE = bytes(
    ALPHABET.find(chr(c)) if chr(c) in ALPHABET else _NOT_BASE45 for c in range(256)
)
"""Byte translation table: an alphabet character to its value, anything else to 0xFF."""


def b45encode(data: bytes) -> str:
    """Encode bytes as base45 text."""
    whole = len(data) - len(data) % 2
    parts = [_ENCODE[(data[i] << 8) | data[i + 1]] for i in range(0, whole, 2)]
    if whole < len(data):
        last = data[-1]
        parts.append(ALPHABET[last % 45] + ALPHABET[last // 45])
    return "".join(parts)


def b45decode(text: str) -> bytes:
    """Decode base45 text; any character outside the alphabet, a dangling single
    character or a group above its maximum is refused as ``malformed``."""
    try:
        digits = text.encode("ascii").translate(_DIGIT_VALUE)
    except UnicodeEncodeError as exc:
        raise _malformed("not base45 text") from exc
    if _NOT_BASE45 in digits:
        raise _malformed("not base45 text")
    groups, rest = divmod(len(digits), 3)
    if rest == 1:
        raise _malformed("base45 text of length 3n+1")
    out = _decode_groups(digits[: 3 * groups], groups)
    if rest == 2:
        last = digits[-2] + 45 * digits[-1]
        if last > 0xFF:
            raise _malformed("not base45 text")
        out += bytes((last,))
    return out


def _decode_groups(digits: bytes, groups: int) -> bytes:
    """Decode ``groups`` three-digit groups into two bytes each (see the module doc)."""
    lanes = int.from_bytes(digits, "big")
    low = _low_digit_mask(groups)
    values = (lanes >> 16 & low) + 45 * (lanes >> 8 & low) + 2025 * (lanes & low)
    words = values.to_bytes(3 * groups, "big")
    if words[0::3].count(0) != groups:
        raise _malformed("not base45 text")
    out = bytearray(2 * groups)
    out[0::2] = words[1::3]
    out[1::2] = words[2::3]
    return bytes(out)


@lru_cache(maxsize=64)
def _low_digit_mask(groups: int) -> int:
    """0x0000ff repeated ``groups`` times: selects the low byte of every lane."""
    return int.from_bytes(b"\x00\x00\xff" * groups, "big")


def _malformed(detail: str) -> CredentialError:
    return CredentialError(DecodeReason.MALFORMED, detail)
