"""Sync messages: one frozen dataclass per frame type (protocol/SPEC.md, "Sync").

Requests go edge -> hub, replies hub -> edge. Every signed request also carries, in
HTTP headers, the edge id, a timestamp, a nonce and the edge's signature (see
:mod:`protocol.sync.auth`); every reply to a signed request carries the hub's
signature over the request nonce and the reply body.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SyncReason(StrEnum):
    """Why the hub refused a request, or why the edge refused a reply."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_VERSION = "unsupported_version"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_EDGE = "unknown_edge"
    EDGE_REVOKED = "edge_revoked"
    MISSING_SIGNATURE = "missing_signature"
    STALE_REQUEST = "stale_request"
    REPLAYED = "replayed"
    BAD_TOKEN = "bad_token"
    TOKEN_EXPIRED = "token_expired"
    UNKNOWN_SITE = "unknown_site"
    CHAIN_BROKEN = "chain_broken"
    LOG_FORKED = "log_forked"
    WRONG_HUB = "wrong_hub"


@dataclass(frozen=True, slots=True)
class TimeRequest:
    """Unsigned: what time is it at the hub? ``nonce`` is echoed under the hub's
    signature, so an edge can tell its pinned hub from an impostor."""

    nonce: bytes


@dataclass(frozen=True, slots=True)
class TimeReply:
    nonce: bytes
    hub_ms: int
    epoch: str
    versions: tuple[int, ...]
    root_public_key: bytes
    signature: bytes
    """Root key over (nonce, hub_ms, epoch): see ``auth.time_reply_message``."""


@dataclass(frozen=True, slots=True)
class EnrolRequest:
    token: str
    public_key: bytes
    software: str


@dataclass(frozen=True, slots=True)
class EnrolReply:
    edge_id: str
    site_id: str
    root_public_key: bytes
    epoch: str
    hub_ms: int


@dataclass(frozen=True, slots=True)
class PushRequest:
    """A contiguous range of the edge's log, with the edge's signature over its head."""

    epoch_seen: str
    floor_seq: int
    """The oldest event the edge still holds (older ones were pruned after the hub
    acknowledged them and the retention period passed)."""
    events: tuple[bytes, ...]
    head_signature: bytes
    edge_hlc: int
    edge_offset_ms: int
    """The edge's last measured offset to the hub's clock (hub minus edge)."""
    pending: int
    """Events still waiting at the edge after this range."""
    trust_version: int


@dataclass(frozen=True, slots=True)
class PushReply:
    epoch: str
    acked_seq: int
    """The highest sequence number up to which the hub holds the edge's log with no gap."""
    hub_ms: int
    hub_hlc: int


@dataclass(frozen=True, slots=True)
class Cursor:
    dataset: str
    version: int


@dataclass(frozen=True, slots=True)
class PullRequest:
    epoch_seen: str
    cursors: tuple[Cursor, ...]
    edge_hlc: int


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    value: bytes | None
    """The entry's encoded value; None removes the key."""


@dataclass(frozen=True, slots=True)
class DatasetChanges:
    dataset: str
    reset: bool
    """True: a snapshot. Drop everything held for this dataset, then apply."""
    to_version: int
    entries: tuple[Entry, ...]
    digest: bytes
    """The dataset's digest once these changes are applied (``datasets.digest``)."""
    more: bool


@dataclass(frozen=True, slots=True)
class PullReply:
    epoch: str
    hub_ms: int
    hub_hlc: int
    datasets: tuple[DatasetChanges, ...]


@dataclass(frozen=True, slots=True)
class ErrorReply:
    reason: str
    detail: str
    hub_ms: int


Message = (
    TimeRequest
    | TimeReply
    | EnrolRequest
    | EnrolReply
    | PushRequest
    | PushReply
    | PullRequest
    | PullReply
    | ErrorReply
)
