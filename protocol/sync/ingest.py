"""The hub's rules for a pushed log range, as pure functions.

The hub holds, per edge, a :class:`LogCursor`: the highest sequence number up to which
it has the edge's log with no gap, and the hash of that event. A push is judged
against it:

* the events must link among themselves (seq +1, prev_hash = hash of the previous) and
  the edge's signature over the last one must verify: else the range is refused and a
  ``chain`` or ``signature`` incident recorded;
* events at or below the cursor are duplicates (a retry, a replayed or duplicated
  request): skipped, but the event *at* the cursor must hash to what the hub holds,
  and the first new event must link to it, else the edge's log has ``forked`` (an edge
  restored from an old backup, a tampered database): refused, incident recorded;
* a range starting beyond cursor + 1 is out of order: nothing stored, the reply asks
  again from cursor + 1. Unless the edge says it no longer holds those events (its
  ``floor_seq``, after retention pruning): then the loss is recorded as a ``gap``
  incident and the range accepted from the floor.

Storing by (edge, seq) and acknowledging only the contiguous prefix makes ingest
idempotent: no event is lost or stored twice, whatever the network does to requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..events import GENESIS, ScanEvent, decode_event, event_hash
from ..keys import verify_signature
from .auth import HEAD_CONTEXT, head_message
from .frames import SyncError
from .messages import PushRequest, SyncReason


class IncidentKind(StrEnum):
    GAP = "gap"
    CHAIN = "chain"
    SIGNATURE = "signature"
    FORK = "fork"


@dataclass(frozen=True, slots=True)
class LogCursor:
    acked_seq: int = 0
    head_hash: bytes = GENESIS


@dataclass(frozen=True, slots=True)
class Incident:
    kind: IncidentKind
    detail: str
    first_seq: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    event: ScanEvent
    encoded: bytes
    hash: bytes


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: tuple[AcceptedEvent, ...]
    cursor: LogCursor
    duplicates: int = 0
    incident: Incident | None = None
    refused: SyncReason | None = None


def _decode_linked(
    events: tuple[bytes, ...],
) -> tuple[list[AcceptedEvent], Incident | None]:
    decoded: list[AcceptedEvent] = []
    for data in events:
        event = decode_event(data, SyncError)
        item = AcceptedEvent(event, data, event_hash(data))
        if decoded:
            prev = decoded[-1]
            if event.seq != prev.event.seq + 1 or event.prev_hash != prev.hash:
                detail = f"event {event.seq} does not follow event {prev.event.seq}"
                first = decoded[0].event.seq
                return decoded, Incident(IncidentKind.CHAIN, detail, first, event.seq)
        decoded.append(item)
    return decoded, None


def ingest_push(
    cursor: LogCursor, push: PushRequest, edge_id: str, edge_public_key: bytes
) -> IngestResult:
    """Judge one pushed range against what the hub holds. Raises :class:`SyncError`
    (``malformed``) for an event that does not parse; otherwise returns the events to
    store, the new cursor, and any incident."""
    if not push.events:
        return IngestResult((), cursor)
    decoded, incident = _decode_linked(push.events)
    if incident is not None:
        return IngestResult((), cursor, incident=incident, refused=SyncReason.CHAIN_BROKEN)
    first, last = decoded[0], decoded[-1]
    head = head_message(edge_id, last.event.seq, last.hash)
    if not verify_signature(edge_public_key, HEAD_CONTEXT, head, push.head_signature):
        found = Incident(
            IncidentKind.SIGNATURE,
            "log head signature does not verify",
            first.event.seq,
            last.event.seq,
        )
        return IngestResult((), cursor, incident=found, refused=SyncReason.BAD_SIGNATURE)
    if first.event.seq > cursor.acked_seq + 1:
        return _beyond_cursor(cursor, push, decoded)
    return _overlapping(cursor, decoded)


def _beyond_cursor(
    cursor: LogCursor, push: PushRequest, decoded: list[AcceptedEvent]
) -> IngestResult:
    first = decoded[0].event.seq
    if push.floor_seq <= cursor.acked_seq + 1 or first != push.floor_seq:
        return IngestResult((), cursor)  # out of order: ask again from cursor + 1
    lost = Incident(
        IncidentKind.GAP,
        f"events {cursor.acked_seq + 1}..{first - 1} were pruned at the edge before the "
        "hub held them",
        cursor.acked_seq + 1,
        first - 1,
    )
    new_cursor = LogCursor(decoded[-1].event.seq, decoded[-1].hash)
    return IngestResult(tuple(decoded), new_cursor, incident=lost)


def _overlapping(cursor: LogCursor, decoded: list[AcceptedEvent]) -> IngestResult:
    duplicates = 0
    fresh: list[AcceptedEvent] = []
    for item in decoded:
        seq = item.event.seq
        if seq < cursor.acked_seq:
            duplicates += 1
        elif seq == cursor.acked_seq:
            duplicates += 1
            if item.hash != cursor.head_hash:
                return _forked(cursor, seq)
        else:
            fresh.append(item)
    if not fresh:
        return IngestResult((), cursor, duplicates=duplicates)
    if fresh[0].event.prev_hash != cursor.head_hash:
        return _forked(cursor, fresh[0].event.seq)
    new_cursor = LogCursor(fresh[-1].event.seq, fresh[-1].hash)
    return IngestResult(tuple(fresh), new_cursor, duplicates=duplicates)


def _forked(cursor: LogCursor, seq: int) -> IngestResult:
    found = Incident(
        IncidentKind.FORK,
        f"event {seq} differs from the log the hub holds up to {cursor.acked_seq}",
        seq,
        seq,
    )
    return IngestResult((), cursor, incident=found, refused=SyncReason.LOG_FORKED)


def event_instant(
    wall_ms: int, edge_offset_ms: int, hub_now_ms: int, max_future_ms: int
) -> tuple[int, bool]:
    """The instant the hub assigns to an edge's event: the edge's wall clock corrected
    by its measured offset. A result further in the future than ``max_future_ms`` is
    not trusted: it is replaced by the hub's receive time and flagged."""
    at = wall_ms + edge_offset_ms
    if at > hub_now_ms + max_future_ms:
        return hub_now_ms, True
    return at, False
