"""The JSON shapes of alerts, their history and a worker's scans, as the API (and the
webhook) send them. Instants are UTC milliseconds, as everywhere in the hub's API."""

from __future__ import annotations

from typing import Any

from hub.store.alerts import AlertChange, AlertRecord
from hub.store.evidence import Scan


def alert_json(a: AlertRecord) -> dict[str, Any]:
    return {
        "id": a.alert_id,
        "kind": a.kind.value,
        "severity": a.severity.value,
        "status": a.status.value,
        "provisional": a.provisional,
        "permit_id": a.permit_id,
        "worker_id": a.worker_id,
        "employer_id": a.employer_id,
        "site": a.site,
        "edge_id": a.edge_id,
        "at": a.at_ms,
        "evidence": [[edge, seq] for edge, seq in a.evidence],
        "facts": dict(a.facts),
        "raised_at": a.raised_at_ms,
        "updated_at": a.updated_at_ms,
        "acknowledged_at": a.acknowledged_at_ms,
        "acknowledged_by": a.acknowledged_by,
        "resolved_at": a.resolved_at_ms,
        "resolved_by": a.resolved_by,
        "note": a.resolution_note,
        "retracted": a.retracted,
        "retracted_by": [[edge, seq] for edge, seq in a.retracted_by],
    }


def change_json(c: AlertChange) -> dict[str, Any]:
    return {
        "at": c.at_ms,
        "actor": c.actor,
        "change": c.change.value,
        "detail": dict(c.detail),
        "note": c.note,
    }


def scan_json(s: Scan, evidence_for: list[str], retracts: list[str]) -> dict[str, Any]:
    return {
        "edge_id": s.edge_id,
        "seq": s.seq,
        "site": s.site,
        "direction": s.direction,
        "verdict": s.verdict,
        "reasons": list(s.reasons),
        "permit_id": s.permit_id,
        "employer_id": s.employer_id,
        "verified": s.verified,
        "at": s.at_ms,
        "clock_suspect": s.clock_suspect,
        "received_at": s.received_ms,
        "alerts": evidence_for,
        "retracts": retracts,
    }
