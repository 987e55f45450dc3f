"""What the edge's store holds, as frozen records (no SQL here: see :mod:`edge.store`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class EdgeIdentity:
    """Fixed at init: where the edge stands and whom it trusts."""

    site_id: str
    root_public_key: bytes
    """The hub's root key, pinned at init or enrolment; it signs trust lists."""
    token_digest: str
    """SHA-256 (hex) of the API token printed once at init."""
    created_ms: int


@dataclass(frozen=True, slots=True)
class TrustRecord:
    """The signed trust list in force, and when trust data was last refreshed."""

    signed: bytes
    version: int
    issued_at: int
    refreshed_ms: int


class UsedUpSource(StrEnum):
    LOCAL = "local"
    """This edge logged the exit."""
    HUB = "hub"
    """The hub reported an exit logged elsewhere."""


@dataclass(frozen=True, slots=True)
class UsedUp:
    permit_id: str
    exit_ms: int
    source: UsedUpSource


@dataclass(frozen=True, slots=True)
class Employer:
    employer_id: str
    name: str


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A worker of this park as the hub last knew them."""

    worker_id: str
    name: str
    name_zh: str | None
    employer_id: str
    permit_id: str
    end_date: date | None
    in_china: bool


@dataclass(frozen=True, slots=True)
class LoggedScan:
    """One row of the scan log, with the names shown on screen."""

    seq: int
    wall_ms: int
    direction: str
    verdict: str
    reasons: tuple[str, ...]
    permit_id: str | None
    worker_id: str | None
    employer_id: str | None
    verified: bool
    operator: str
    worker_name: str | None
    worker_name_zh: str | None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event exactly as logged: its encoded bytes (what the hub receives) and hash."""

    seq: int
    body: bytes
    hash: bytes


@dataclass(frozen=True, slots=True)
class Presence:
    """A worker whose last allowed scan at this site is ``in`` or ``check``."""

    worker_id: str
    permit_id: str | None
    employer_id: str | None
    name: str | None
    name_zh: str | None
    since_ms: int
    """The first allowed scan after the worker's last ``out``: when this stay began."""
    last_ms: int
    last_direction: str


class SyncKey(StrEnum):
    """Keys of the ``sync_state`` table; the sync client writes them."""

    HUB_URL = "hub_url"
    EDGE_ID = "edge_id"
    HUB_EPOCH = "hub_epoch"
    ACKNOWLEDGED_SEQ = "acknowledged_seq"
    LAST_PUSH_MS = "last_push_ms"
    LAST_PULL_MS = "last_pull_ms"
    LAST_CONTACT_MS = "last_contact_ms"
    HUB_REACHABLE = "hub_reachable"
    CLOCK_OFFSET_MS = "clock_offset_ms"
    LAST_ERROR = "last_error"


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """The ``sync_state`` table read back; the defaults describe a standalone edge."""

    hub_url: str | None = None
    edge_id: str | None = None
    hub_epoch: str | None = None
    acknowledged_seq: int = 0
    last_push_ms: int | None = None
    last_pull_ms: int | None = None
    last_contact_ms: int | None = None
    hub_reachable: bool = False
    clock_offset_ms: int | None = None
    """Hub clock minus edge clock, as last measured."""
    last_error: str | None = None

    @property
    def hub_configured(self) -> bool:
        return self.hub_url is not None
