"""Base45 (RFC 9285): bytes as text in the QR alphanumeric alphabet.

The permit travels as base45 because a QR code's alphanumeric mode packs 45 symbols at
5.5 bits each, so base45 text fills a smaller code than base64 in byte mode. Decoding
uses a lookup table of every valid three-character group: the decoder is on the hot
path of every scan, and a table turns 90 arithmetic steps into 90 dictionary lookups.
"""

from __future__ import annotations

from .errors import CredentialError, DecodeReason

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

_PAIR = {
    ALPHABET[i] + ALPHABET[j]: bytes([i + 45 * j])
    for j in range(45)
    for i in range(45)
    if i + 45 * j < 256
}
_TRIPLE = {
    ALPHABET[i] + ALPHABET[j] + ALPHABET[k]: (i + 45 * j + 2025 * k).to_bytes(2, "big")
    for k in range(45)
    for j in range(45)
    for i in range(45)
    if i + 45 * j + 2025 * k < 65536
}
_ENCODE = [ALPHABET[v % 45] + ALPHABET[(v // 45) % 45] + ALPHABET[v // 2025] for v in range(65536)]


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
    whole = len(text) - len(text) % 3
    try:
        out = b"".join([_TRIPLE[text[i : i + 3]] for i in range(0, whole, 3)])
        rest = len(text) - whole
        if rest == 2:
            out += _PAIR[text[whole:]]
        elif rest == 1:
            raise CredentialError(DecodeReason.MALFORMED, "base45 text of length 3n+1")
    except KeyError as exc:
        raise CredentialError(DecodeReason.MALFORMED, "not base45 text") from exc
    return out
