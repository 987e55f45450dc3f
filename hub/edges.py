"""Edges as the hub manages them: an edge record with a one-time enrolment token,
revocation, and the health figures the dashboard and ``GET /api/edges`` show.

Each action runs inside one writer transaction and is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from borderpass.sqlite import Transaction
from hub import auth
from hub.errors import Refusal, not_found
from hub.store import access
from hub.store import sync as store
from protocol.sites import SiteMap

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class NewEdge:
    edge_id: str
    site_id: str
    token: str
    """The one-time enrolment token; shown once, stored only as a digest."""
    expires_ms: int


def enrolment_token() -> str:
    """A fresh one-time token that never starts with ``-``: ``edge enrol --token T``
    would read such a token as an option and refuse it."""
    while True:
        token = secrets.token_urlsafe(24)
        if not token.startswith("-"):
            return token


def create_edge(
    tx: Transaction,
    sites: SiteMap,
    site_id: str,
    label: str,
    now_ms: int,
    token_hours: float,
    actor: str,
) -> NewEdge:
    if site_id not in sites.sites:
        raise Refusal("unknown_site", f"no site {site_id!r} in the site map")
    edge_id = f"{site_id}-{store.count_edges_at(tx.conn, site_id) + 1}"
    token = enrolment_token()
    expires = now_ms + int(token_hours * HOUR_MS)
    store.insert_edge(tx, edge_id, site_id, label, auth.digest(token), expires, now_ms, actor)
    access.audit(tx, actor, "edge.create", edge_id, {"site": site_id, "label": label}, now_ms)
    return NewEdge(edge_id, site_id, token, expires)


def revoke_edge(tx: Transaction, edge_id: str, now_ms: int, actor: str, reason: str) -> None:
    if store.get_edge(tx.conn, edge_id) is None:
        raise not_found("edge")
    if not store.revoke_edge(tx, edge_id, now_ms):
        raise Refusal("already_revoked", "this edge is already revoked", 409)
    access.audit(tx, actor, "edge.revoke", edge_id, {"reason": reason}, now_ms)


def health(edge: store.EdgeRecord, now_ms: int, trust_version: int | None) -> dict[str, Any]:
    """What an operator needs to know about an edge."""
    return {
        "edge_id": edge.edge_id,
        "site": edge.site_id,
        "label": edge.label,
        "status": _status(edge),
        "enrolled_at": edge.enrolled_at_ms,
        "last_seen": edge.last_seen_ms,
        "last_push": edge.last_push_ms,
        "last_pull": edge.last_pull_ms,
        "silent_for_s": None if edge.last_seen_ms is None else (now_ms - edge.last_seen_ms) // 1000,
        "events_received": edge.acked_seq,
        "events_waiting": edge.pending,
        "clock_offset_ms": edge.clock_offset_ms,
        "trust_version": edge.trust_version,
        "trust_current": trust_version is not None and edge.trust_version == trust_version,
        "synced_through": edge.synced_through_ms,
    }


def _status(edge: store.EdgeRecord) -> str:
    if edge.revoked_at_ms is not None:
        return "revoked"
    return "enrolled" if edge.enrolled else "awaiting_enrolment"
