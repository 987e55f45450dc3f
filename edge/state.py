"""The in-memory state a verdict reads: the edge's site, trust list, reference data,
employer names, the park roster and the head of the scan log.

Loaded from the store when the service starts and changed afterwards only inside
writer jobs (:mod:`edge.scanner`, :mod:`edge.reference`), which register an undo for
every change, so memory never claims what the disk does not hold. Handlers on the
event loop only read it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from protocol.errors import CredentialError
from protocol.hlc import HlcTimestamp, HybridClock
from protocol.refs import ReferenceData
from protocol.sites import Site, SiteMap, default_site_map_text, parse_site_map
from protocol.trust import TrustList, decode_trust_list

from . import store
from .records import EdgeIdentity, RosterEntry, TrustRecord


class StateError(Exception):
    """The data directory cannot serve: not initialised, or its data is inconsistent."""


@dataclass(frozen=True, slots=True)
class LogHead:
    """Where the next event goes: after ``seq``, chained to ``hash``, clock after ``clock``."""

    seq: int
    hash: bytes
    clock: HybridClock

    @classmethod
    def stored(cls, seq: int, digest: bytes, packed_hlc: int) -> LogHead:
        return cls(seq, digest, HybridClock(HlcTimestamp.unpack(packed_hlc)))


@dataclass(frozen=True, slots=True)
class TrustState:
    trust_list: TrustList
    record: TrustRecord

    @property
    def refreshed_ms(self) -> int:
        return self.record.refreshed_ms


class EdgeState:
    """Everything the scan pipeline decides with. Mutated only by writer jobs."""

    def __init__(
        self,
        identity: EdgeIdentity,
        site_map: SiteMap,
        trust: TrustState | None,
        refs: ReferenceData,
        employers: dict[str, str],
        roster: dict[str, RosterEntry],
        head: LogHead,
    ) -> None:
        if identity.site_id not in site_map.sites:
            raise StateError(f"site {identity.site_id!r} is not in the site map")
        self.identity = identity
        self.site_map = site_map
        self.trust = trust
        self.refs = refs
        self.employers = employers
        self.roster = roster
        self.head = head

    @property
    def site(self) -> Site:
        return self.site_map.site(self.identity.site_id)

    def trust_age_s(self, now_ms: int) -> int | None:
        """Seconds since trust data was refreshed (never negative); None: never."""
        if self.trust is None:
            return None
        return max(0, now_ms - self.trust.refreshed_ms) // 1000


def trust_state(record: TrustRecord, root_public_key: bytes) -> TrustState:
    """Verify a stored trust list against the pinned root before using it."""
    try:
        trust_list = decode_trust_list(record.signed, root_public_key)
    except CredentialError as exc:
        raise StateError(f"the stored trust list does not verify: {exc}") from exc
    return TrustState(trust_list, record)


def load_state(conn: sqlite3.Connection) -> EdgeState:
    """Read the whole state; run it in the writer so it sees every commit."""
    identity = store.read_identity(conn)
    if identity is None:
        raise StateError("the edge is not initialised: run 'borderpass edge init'")
    record = store.read_trust(conn)
    refs = ReferenceData()
    for revocation in store.read_revocations(conn):
        refs.revoke(revocation)
    for used in store.read_used_up(conn):
        refs.mark_used(used.permit_id, used.exit_ms)
    return EdgeState(
        identity=identity,
        site_map=parse_site_map(store.read_site_map(conn) or default_site_map_text()),
        trust=None if record is None else trust_state(record, identity.root_public_key),
        refs=refs,
        employers={e.employer_id: e.name for e in store.read_employers(conn)},
        roster={entry.worker_id: entry for entry in store.read_roster(conn)},
        head=LogHead.stored(*store.read_head(conn)),
    )
