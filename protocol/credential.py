"""The permit credential: claims -> signed bytes -> ``BP1:`` base45 text, and back.

Layout (protocol/SPEC.md has the full table and test vectors)::

    text    = "BP1:" base45(body)
    body    = header-byte payload
    header  = bit 0 set: payload is raw deflate of (claims || signature); other bits 0
    claims  = msgpack array, positional (see ``_claims_array``)
    sig     = Ed25519 over PERMIT_CONTEXT || claims, 64 bytes, by the key named in claims

The payload is deflated only when that makes it smaller. Decoding is in two steps so
that a verifier can look the key up: :func:`decode_permit` parses (and refuses anything
malformed), :func:`verify_permit` finds the issuer key and checks the signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import codec
from .base45 import b45decode, b45encode
from .days import date_to_day, day_to_date
from .errors import CredentialError, DecodeReason
from .keys import SIGNATURE_LEN, SigningKey, verify_signature
from .permit import MAX_ZONES, Permit, Sex, Worker
from .trust import IssuerKey, TrustList

PREFIX = "BP1:"
PERMIT_CONTEXT = b"borderpass/permit/v1\x00"
MAX_TEXT_LEN = 1000
"""Longest QR text accepted: a version-25 code at error correction M holds ~1,000."""
MAX_INFLATED_LEN = 2048
"""Largest payload after inflating; a real permit is about 200 bytes."""
FLAG_DEFLATED = 0x01
_VERSION_PREFIX = re.compile(r"^BP[0-9]{1,3}:")
_MAX_DAY = 2_932_896  # 9999-12-31
_MIN_BIRTH_DAY = -40_000  # 1860-06-26
_MAX_SECONDS = 253_402_300_799
_CLAIMS_SHAPES: frozenset[tuple[type, ...]] = frozenset(
    {(str, tuple, str, tuple, int, int, int, int, int, int, bytes)}
)
"""[permit_id, worker, employer_id, zones, valid_from, valid_until, health_cert_until,
insurance_until, flags, issued_at, key_id]"""
_WORKER_SHAPES: frozenset[tuple[type, ...]] = frozenset(
    {(str, str, str, int, str), (str, type(None), str, int, str)}
)
"""[name, name_zh or nil, border_pass_no, birth_date, sex]"""
_INTEGER_LIMITS = (
    ("birth_date", _MIN_BIRTH_DAY, _MAX_DAY),
    ("valid_from", 0, _MAX_DAY),
    ("valid_until", 0, _MAX_DAY),
    ("health_cert_until", 0, _MAX_DAY),
    ("insurance_until", 0, _MAX_DAY),
    ("flags", 0, 1),
    ("issued_at", 0, _MAX_SECONDS),
)
_SEXES = {sex.value: sex for sex in Sex}


@dataclass(frozen=True, slots=True)
class SignedPermit:
    """A parsed credential whose signature has not been checked yet."""

    permit: Permit
    claims: bytes
    signature: bytes


def _claims_array(p: Permit) -> list[object]:
    w = p.worker
    return [
        p.permit_id,
        [w.name, w.name_zh, w.border_pass_no, date_to_day(w.birth_date), w.sex.value],
        p.employer_id,
        list(p.zones),
        date_to_day(p.valid_from),
        date_to_day(p.valid_until),
        date_to_day(p.health_cert_until),
        date_to_day(p.insurance_until),
        1 if p.single_exit else 0,
        p.issued_at,
        p.key_id,
    ]


def encode_claims(permit: Permit) -> bytes:
    return codec.pack(_claims_array(permit))


def encode_permit(permit: Permit, key: SigningKey) -> str:
    """Sign ``permit`` with ``key`` (which must be the key its ``key_id`` names).

    Raise ``ValueError`` for claims that :func:`decode_permit` would refuse: a field
    outside the wire format's limits (a date before 1970, ``issued_at`` after 9999) or
    a text longer than :data:`MAX_TEXT_LEN` (long names in rare scripts, long zones).
    """
    if permit.key_id != key.key_id:
        raise ValueError("permit.key_id does not name the signing key")
    claims = encode_claims(permit)
    try:
        parse_claims(claims)
    except CredentialError as exc:
        raise ValueError(f"permit outside the wire format's limits: {exc.detail}") from exc
    payload = claims + key.sign(PERMIT_CONTEXT, claims)
    deflated = codec.deflate(payload)
    if len(deflated) < len(payload):
        body = bytes([FLAG_DEFLATED]) + deflated
    else:
        body = b"\x00" + payload
    text = PREFIX + b45encode(body)
    if len(text) > MAX_TEXT_LEN:
        raise ValueError(f"permit too large for its QR text: {len(text)} > {MAX_TEXT_LEN}")
    return text


def decode_permit(text: object) -> SignedPermit:
    """Parse QR text into claims and signature; raise :class:`CredentialError` with
    reason ``malformed``, ``too_large`` or ``unsupported_version`` on anything else."""
    if not isinstance(text, str):
        raise CredentialError(DecodeReason.MALFORMED, "QR text must be a string")
    if len(text) > MAX_TEXT_LEN:
        raise CredentialError(DecodeReason.TOO_LARGE, f"longer than {MAX_TEXT_LEN} characters")
    text = text.strip("\r\n\t")
    if not text.startswith(PREFIX):
        if _VERSION_PREFIX.match(text):
            raise CredentialError(DecodeReason.UNSUPPORTED_VERSION, text.split(":", 1)[0])
        raise CredentialError(DecodeReason.MALFORMED, "not a borderpass permit (no BP1: prefix)")
    body = b45decode(text[len(PREFIX) :])
    if not body:
        raise CredentialError(DecodeReason.MALFORMED, "empty payload")
    header, payload = body[0], body[1:]
    if header & ~FLAG_DEFLATED:
        raise CredentialError(DecodeReason.MALFORMED, f"unknown header bits {header:#04x}")
    if header & FLAG_DEFLATED:
        payload = codec.inflate(payload, max_bytes=MAX_INFLATED_LEN, error=CredentialError)
    if len(payload) <= SIGNATURE_LEN:
        raise CredentialError(DecodeReason.MALFORMED, "too short to hold a signature")
    claims, signature = payload[:-SIGNATURE_LEN], payload[-SIGNATURE_LEN:]
    return SignedPermit(parse_claims(claims), claims, signature)


def parse_claims(claims: bytes) -> Permit:
    """Parse the claims array (SPEC.md, "Claims"); anything else is ``malformed``.

    Types are checked first, a whole array at a time; then the integer limits; then
    :class:`Permit` and :class:`Worker` check the rules on values (identifiers, names,
    zones, the 180-day term, the key id's length), and any rule they refuse is
    ``malformed`` too.
    """
    e = CredentialError
    raw = codec.unpack(claims, max_bytes=MAX_INFLATED_LEN, error=e, max_items=16)
    fields = codec.expect_shape(raw, _CLAIMS_SHAPES, "claims", e)
    permit_id, worker, employer_id, zones, *days, flags, issued_at, key_id = fields
    name, name_zh, border_pass_no, birth_day, sex = codec.expect_shape(
        worker, _WORKER_SHAPES, "worker", e
    )
    codec.expect_array_of(zones, str, "zones", e, MAX_ZONES)
    _check_integers(birth_day, days, flags, issued_at)
    if sex not in _SEXES:
        codec.fail(e, "sex: expected one of " + ", ".join(_SEXES))
    valid_from, valid_until, health_cert_until, insurance_until = map(day_to_date, days)
    try:
        return Permit(
            permit_id=permit_id,
            worker=Worker(
                name=name,
                name_zh=name_zh,
                border_pass_no=border_pass_no,
                birth_date=day_to_date(birth_day),
                sex=_SEXES[sex],
            ),
            employer_id=employer_id,
            zones=zones,
            valid_from=valid_from,
            valid_until=valid_until,
            health_cert_until=health_cert_until,
            insurance_until=insurance_until,
            single_exit=flags == 1,
            issued_at=issued_at,
            key_id=key_id,
        )
    except ValueError as exc:  # a well-typed field that breaks a permit rule
        raise CredentialError(DecodeReason.MALFORMED, str(exc)) from exc


def _check_integers(birth_day: int, days: list[int], flags: int, issued_at: int) -> None:
    """Check every integer claim against its limits at once; on failure, find and
    name the first field out of range."""
    if not (
        _MIN_BIRTH_DAY <= birth_day <= _MAX_DAY
        and min(days) >= 0
        and max(days) <= _MAX_DAY
        and 0 <= flags <= 1
        and 0 <= issued_at <= _MAX_SECONDS
    ):
        numbers = (birth_day, *days, flags, issued_at)
        for value, (what, lo, hi) in zip(numbers, _INTEGER_LIMITS, strict=True):
            codec.expect_int(value, what, CredentialError, lo, hi)


def verify_permit(signed: SignedPermit, trust: TrustList) -> IssuerKey:
    """Return the trusted key whose signature this is; try every key sharing the id.

    Raise ``unknown_key`` when no trusted key has the id, ``bad_signature`` when none
    of them verifies. Whether the key was valid when the permit was issued is a verdict
    reason, not a decoding error: see :mod:`protocol.verdict`.
    """
    candidates = trust.keys_with_id(signed.permit.key_id)
    if not candidates:
        raise CredentialError(DecodeReason.UNKNOWN_KEY, signed.permit.key_id.hex())
    for key in candidates:
        if verify_signature(key.public_key, PERMIT_CONTEXT, signed.claims, signed.signature):
            return key
    raise CredentialError(DecodeReason.BAD_SIGNATURE, "no trusted key verifies it")
