"""The one error type untrusted input may raise, and its reason codes.

Every decoder in ``protocol`` turns whatever is wrong with bytes or text it was given
into a :class:`ProtocolError` (or a subclass) carrying a stable, machine-readable
``reason``. Nothing else escapes a decoder: no ``KeyError``, ``ValueError``,
``zlib.error`` or msgpack exception. Misuse of the API by our own code (passing a
non-``Permit`` to ``encode_permit``, say) is a plain ``TypeError``/``ValueError``: that
is a bug to fix, not input to refuse.
"""

from __future__ import annotations

from enum import StrEnum


class DecodeReason(StrEnum):
    """Why untrusted input was refused. Documented in protocol/SPEC.md."""

    MALFORMED = "malformed"
    """Not the shape the spec describes: bad alphabet, bad msgpack, wrong types."""
    TOO_LARGE = "too_large"
    """Longer than the input cap, or inflates past the decompressed-size cap."""
    UNSUPPORTED_VERSION = "unsupported_version"
    """A well-formed prefix or frame of a version this code does not speak."""
    UNKNOWN_KEY = "unknown_key"
    """Signed with a key id that no trusted key carries."""
    BAD_SIGNATURE = "bad_signature"
    """The signature does not verify under any candidate key."""


class ProtocolError(Exception):
    """Untrusted input was refused; ``reason`` says why, ``detail`` is for humans."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class CredentialError(ProtocolError):
    """A permit QR text or a trust list could not be decoded or verified."""
