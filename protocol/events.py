"""Scan events: what an edge logs for every scan, chained by hash.

Each event is one positional msgpack array. Its hash is SHA-256 of those exact bytes,
and the next event carries that hash as ``prev_hash``; the first event of an edge's log
carries :data:`GENESIS` (32 zero bytes). Sequence numbers start at 1 and have no gaps.
The hub recomputes the chain on every batch it receives, so an edge's log cannot be
silently edited, reordered or thinned after the fact.

Field order (SPEC.md, "Scan event")::

    [seq, hlc, wall_ms, prev_hash, site, direction, verdict, reasons, permit_id,
     worker_id, employer_id, verified, trust_age_s, operator, qr_digest]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from . import codec
from .errors import ProtocolError

GENESIS = bytes(32)
HASH_LEN = 32
QR_DIGEST_LEN = 16
MAX_EVENT_BYTES = 4096
_DIRECTIONS = {"in", "out", "check"}
_VERDICTS = {"allow", "deny", "alert"}
_MAX_INT = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ScanEvent:
    seq: int
    hlc: int
    """Packed hybrid-clock reading (see :mod:`protocol.hlc`)."""
    wall_ms: int
    """The edge's own clock at the scan, UTC milliseconds."""
    prev_hash: bytes
    site: str
    direction: str
    verdict: str
    reasons: tuple[str, ...]
    permit_id: str | None
    worker_id: str | None
    employer_id: str | None
    verified: bool
    """The permit's signature verified under a trusted key; if not, the ids above are
    only what the card claimed."""
    trust_age_s: int | None
    """Seconds since the edge last refreshed its trust data; None: never."""
    operator: str
    qr_digest: bytes
    """First 16 bytes of SHA-256 of the scanned text: the same card scanned twice has
    the same digest (evidence for a cloned QR)."""

    def encode(self) -> bytes:
        return codec.pack(
            [
                self.seq,
                self.hlc,
                self.wall_ms,
                self.prev_hash,
                self.site,
                self.direction,
                self.verdict,
                list(self.reasons),
                self.permit_id,
                self.worker_id,
                self.employer_id,
                self.verified,
                self.trust_age_s,
                self.operator,
                self.qr_digest,
            ]
        )


def event_hash(encoded: bytes) -> bytes:
    return hashlib.sha256(encoded).digest()


def qr_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:QR_DIGEST_LEN]


def _optional_id(value: object) -> bool:
    return value is None or (type(value) is str and len(value) <= 32)


def _well_formed(a: object) -> bool:
    """Every field of the right type and size: one pass, no allocation (the hub runs
    this on every event it ingests). A false answer is explained by ``_checked``."""
    return (
        type(a) is tuple
        and len(a) == 15
        and type(a[0]) is int
        and 1 <= a[0] <= _MAX_INT
        and type(a[1]) is int
        and 0 <= a[1] <= _MAX_INT
        and type(a[2]) is int
        and 0 <= a[2] <= _MAX_INT
        and type(a[3]) is bytes
        and len(a[3]) == HASH_LEN
        and type(a[4]) is str
        and len(a[4]) <= 64
        and type(a[5]) is str
        and a[5] in _DIRECTIONS
        and type(a[6]) is str
        and a[6] in _VERDICTS
        and type(a[7]) is tuple
        and len(a[7]) <= 32
        and all(type(r) is str and len(r) <= 32 for r in a[7])
        and _optional_id(a[8])
        and _optional_id(a[9])
        and _optional_id(a[10])
        and type(a[11]) is bool
        and (a[12] is None or (type(a[12]) is int and 0 <= a[12] <= _MAX_INT))
        and type(a[13]) is str
        and len(a[13]) <= 64
        and type(a[14]) is bytes
        and len(a[14]) == QR_DIGEST_LEN
    )


def decode_event(data: bytes, error: type[ProtocolError] = ProtocolError) -> ScanEvent:
    """Parse one encoded event strictly; raise ``error`` (reason ``malformed``)."""
    raw = codec.unpack(data, max_bytes=MAX_EVENT_BYTES, error=error, max_items=64)
    if _well_formed(raw):
        return ScanEvent(*raw)
    return _checked(raw, error)


def _checked(raw: object, e: type[ProtocolError]) -> ScanEvent:
    """Field by field, so that the error names the first field that is wrong."""
    a = codec.expect_tuple(raw, 15, "event", e)
    direction = codec.expect_str(a[5], "direction", e, 8)
    verdict = codec.expect_str(a[6], "verdict", e, 8)
    if direction not in _DIRECTIONS or verdict not in _VERDICTS:
        codec.fail(e, "event: unknown direction or verdict")
    reasons = codec.expect_array(a[7], "reasons", e, 32)
    return ScanEvent(
        seq=codec.expect_int(a[0], "seq", e, 1, _MAX_INT),
        hlc=codec.expect_int(a[1], "hlc", e, 0, _MAX_INT),
        wall_ms=codec.expect_int(a[2], "wall_ms", e, 0, _MAX_INT),
        prev_hash=codec.expect_bytes(a[3], "prev_hash", e, HASH_LEN),
        site=codec.expect_str(a[4], "site", e, 64),
        direction=direction,
        verdict=verdict,
        reasons=tuple(codec.expect_str(r, "reason", e, 32) for r in reasons),
        permit_id=codec.expect_optional_str(a[8], "permit_id", e, 32),
        worker_id=codec.expect_optional_str(a[9], "worker_id", e, 32),
        employer_id=codec.expect_optional_str(a[10], "employer_id", e, 32),
        verified=codec.expect_bool(a[11], "verified", e),
        trust_age_s=None if a[12] is None else codec.expect_int(a[12], "age", e, 0, _MAX_INT),
        operator=codec.expect_str(a[13], "operator", e, 64),
        qr_digest=codec.expect_bytes(a[14], "qr_digest", e, QR_DIGEST_LEN),
    )


def chain_breaks(prev_hash: bytes, prev_seq: int, encoded: list[bytes]) -> int | None:
    """Check that ``encoded`` events continue a chain ending at (prev_seq, prev_hash);
    return the index of the first event that does not, or None when all do."""
    expected_hash, expected_seq = prev_hash, prev_seq + 1
    for i, data in enumerate(encoded):
        event = decode_event(data)
        if event.seq != expected_seq or event.prev_hash != expected_hash:
            return i
        expected_hash, expected_seq = event_hash(data), expected_seq + 1
    return None
