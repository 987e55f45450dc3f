"""Reference data the hub sends to edges: dataset names, entry encodings, digests.

Each dataset is a map from key to value bytes, kept by the hub as a change log with one
version sequence. An edge pulls the changes after its cursor; if its cursor is older
than what the hub retains (or from another hub epoch) it gets a snapshot (``reset``).
Each reply carries the dataset's digest after the changes, an order-independent hash
(XOR of SHA-256 over key and value of every entry), which the edge recomputes before
it commits; a mismatch rolls the pull back and asks for a snapshot.

Revocations come first in every reply: they are what an edge most needs to hear.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .. import codec
from ..refs import Revocation, RevocationKind
from .frames import SyncError
from .messages import DatasetChanges


class Dataset(StrEnum):
    REVOCATIONS = "revocations"
    USED_UP = "used_up"
    TRUST = "trust"
    SITES = "sites"
    EMPLOYERS = "employers"
    ROSTER = "roster"


PRIORITY: tuple[Dataset, ...] = (
    Dataset.REVOCATIONS,
    Dataset.USED_UP,
    Dataset.TRUST,
    Dataset.SITES,
    Dataset.EMPLOYERS,
    Dataset.ROSTER,
)
EMPTY_DIGEST = bytes(32)
E = SyncError


def entry_hash(key: str, value: bytes) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8") + b"\x00" + value).digest(), "big")


def digest(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """Order-independent digest of a dataset's live entries."""
    acc = 0
    for key, value in entries:
        acc ^= entry_hash(key, value)
    return acc.to_bytes(32, "big")


def fold(current: bytes, key: str, old: bytes | None, new: bytes | None) -> bytes:
    """Update a digest for one key changing from ``old`` to ``new`` (None: absent)."""
    acc = int.from_bytes(current, "big")
    if old is not None:
        acc ^= entry_hash(key, old)
    if new is not None:
        acc ^= entry_hash(key, new)
    return acc.to_bytes(32, "big")


# -- entry encodings ---------------------------------------------------------------------


def revocation_key(kind: RevocationKind, subject: str) -> str:
    return f"{kind.value}:{subject}"


def encode_revocation(r: Revocation) -> bytes:
    return codec.pack([r.kind.value, r.subject, r.revoked_at, r.reason])


def decode_revocation(value: bytes) -> Revocation:
    raw = codec.unpack(value, max_bytes=4096, error=E, max_items=8)
    kind, subject, revoked_at, reason = codec.expect_tuple(raw, 4, "revocation", E)
    try:
        parsed_kind = RevocationKind(codec.expect_str(kind, "kind", E, 16))
    except ValueError as exc:
        raise SyncError("malformed", f"unknown revocation kind {kind!r}") from exc
    return Revocation(
        kind=parsed_kind,
        subject=codec.expect_str(subject, "subject", E, 32),
        revoked_at=codec.expect_int(revoked_at, "revoked_at", E, 0, 2**53),
        reason=codec.expect_str(reason, "reason", E, 512),
    )


def encode_used_up(permit_id: str, exit_ms: int) -> bytes:
    return codec.pack([permit_id, exit_ms])


def decode_used_up(value: bytes) -> tuple[str, int]:
    raw = codec.unpack(value, max_bytes=256, error=E, max_items=4)
    permit_id, exit_ms = codec.expect_tuple(raw, 2, "used_up", E)
    return (
        codec.expect_str(permit_id, "permit_id", E, 32),
        codec.expect_int(exit_ms, "exit_ms", E, 0, 2**63 - 1),
    )


def encode_sites(version: int, toml_text: str) -> bytes:
    return codec.pack([version, toml_text])


def decode_sites(value: bytes) -> tuple[int, str]:
    raw = codec.unpack(value, max_bytes=1 << 20, error=E, max_items=4)
    version, text = codec.expect_tuple(raw, 2, "sites", E)
    return codec.expect_int(version, "version", E, 0, 2**53), codec.expect_str(
        text, "sites", E, 1 << 20
    )


@dataclass(frozen=True, slots=True)
class EmployerEntry:
    employer_id: str
    name_zh: str
    name_vi: str


def encode_employer(e: EmployerEntry) -> bytes:
    return codec.pack([e.employer_id, e.name_zh, e.name_vi])


def decode_employer(value: bytes) -> EmployerEntry:
    raw = codec.unpack(value, max_bytes=2048, error=E, max_items=4)
    employer_id, name_zh, name_vi = codec.expect_tuple(raw, 3, "employer", E)
    return EmployerEntry(
        codec.expect_str(employer_id, "employer_id", E, 32),
        codec.expect_str(name_zh, "name_zh", E, 200),
        codec.expect_str(name_vi, "name_vi", E, 200),
    )


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A worker of a park's employers, as the park's edge needs to know them."""

    worker_id: str
    name: str
    name_zh: str | None
    employer_id: str
    permit_id: str
    end_day: int
    """The permit's effective end date, days since 1970-01-01."""
    in_china: bool
    """As the hub last knew it: the worker's last border event is an entry."""


def encode_roster(r: RosterEntry) -> bytes:
    return codec.pack(
        [r.worker_id, r.name, r.name_zh, r.employer_id, r.permit_id, r.end_day, r.in_china]
    )


def decode_roster(value: bytes) -> RosterEntry:
    raw = codec.unpack(value, max_bytes=2048, error=E, max_items=8)
    worker_id, name, name_zh, employer_id, permit_id, end_day, in_china = codec.expect_tuple(
        raw, 7, "roster", E
    )
    return RosterEntry(
        worker_id=codec.expect_str(worker_id, "worker_id", E, 32),
        name=codec.expect_str(name, "name", E, 80),
        name_zh=codec.expect_optional_str(name_zh, "name_zh", E, 80),
        employer_id=codec.expect_str(employer_id, "employer_id", E, 32),
        permit_id=codec.expect_str(permit_id, "permit_id", E, 32),
        end_day=codec.expect_int(end_day, "end_day", E, 0, 2_932_896),
        in_china=codec.expect_bool(in_china, "in_china", E),
    )


def apply_changes(held: dict[str, bytes], changes: DatasetChanges) -> dict[str, bytes]:
    """The dataset after ``changes``, checked against the hub's digest. Raises
    :class:`SyncError` (``malformed``) on a mismatch: the caller keeps what it held and
    asks for a snapshot. ``held`` is not modified."""
    result = {} if changes.reset else dict(held)
    for entry in changes.entries:
        if entry.value is None:
            result.pop(entry.key, None)
        else:
            result[entry.key] = entry.value
    if digest(result.items()) != changes.digest:
        raise SyncError("malformed", f"{changes.dataset}: digest mismatch after applying")
    return result
