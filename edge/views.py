"""What the API returns and the pages show, as plain dicts built by pure functions.

The JSON API and the server-rendered pages use the same views, so an officer's screen
and a scanner app read the same words. Instants are UTC milliseconds (``at``) plus the
Beijing wall time (``at_local``), which is what an officer at the border reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol.days import SHANGHAI_OFFSET_MS, to_datetime
from protocol.permit import Permit
from protocol.sites import Site, SiteMap

from . import i18n
from .onsite import RollCall
from .records import LoggedScan, Presence, RosterEntry, SyncStatus
from .scanner import ScanRecord
from .state import EdgeState

JSON = dict[str, Any]


def local_time(instant_ms: int | None) -> str | None:
    """Beijing wall time, ``YYYY-MM-DD HH:MM:SS``."""
    if instant_ms is None:
        return None
    return to_datetime(instant_ms + SHANGHAI_OFFSET_MS).strftime("%Y-%m-%d %H:%M:%S")


def zone_names(site_map: SiteMap, zones: tuple[str, ...], lang: str) -> list[str]:
    return [site_map.zones[z].names.get(lang) if z in site_map.zones else z for z in zones]


def permit_view(permit: Permit, state: EdgeState, lang: str) -> JSON:
    return {
        "permit_id": permit.permit_id,
        "worker_id": permit.worker_id,
        "name": permit.worker.name,
        "name_zh": permit.worker.name_zh,
        "employer_id": permit.employer_id,
        "employer_name": state.employers.get(permit.employer_id),
        "zones": list(permit.zones),
        "zone_names": zone_names(state.site_map, permit.zones, lang),
        "valid_until": permit.valid_until.isoformat(),
        "end_date": permit.end_date.isoformat(),
        "single_exit": permit.single_exit,
    }


def scan_view(record: ScanRecord, state: EdgeState, lang: str) -> JSON:
    """The answer to ``POST /api/scan``."""
    event, verdict = record.event, record.verdict
    return {
        "verdict": event.verdict,
        "verdict_text": i18n.verdict_text(event.verdict, lang),
        "reasons": list(event.reasons),
        "reason_text": [i18n.reason_text(r, lang) for r in event.reasons],
        "permit": None if verdict.permit is None else permit_view(verdict.permit, state, lang),
        "verified": verdict.verified,
        "seq": event.seq,
        "at": event.wall_ms,
        "at_local": local_time(event.wall_ms),
        "direction": event.direction,
        "direction_text": i18n.direction_text(state.site.kind, event.direction, lang),
    }


def logged_scan_view(scan: LoggedScan, state: EdgeState, lang: str) -> JSON:
    """One row of ``GET /api/scans``."""
    return {
        "seq": scan.seq,
        "at": scan.wall_ms,
        "at_local": local_time(scan.wall_ms),
        "direction": scan.direction,
        "direction_text": i18n.direction_text(state.site.kind, scan.direction, lang),
        "verdict": scan.verdict,
        "verdict_text": i18n.verdict_text(scan.verdict, lang),
        "reasons": list(scan.reasons),
        "reason_text": [i18n.reason_text(r, lang) for r in scan.reasons],
        "permit_id": scan.permit_id,
        "worker_id": scan.worker_id,
        "name": scan.worker_name,
        "name_zh": scan.worker_name_zh,
        "employer_id": scan.employer_id,
        "employer_name": state.employers.get(scan.employer_id or ""),
        "verified": scan.verified,
        "operator": scan.operator,
    }


def site_view(site: Site, lang: str) -> JSON:
    return {"site_id": site.site_id, "kind": site.kind.value, "name": site.names.get(lang)}


@dataclass(frozen=True, slots=True)
class LogCounts:
    head_seq: int
    stored: int


def _hub_view(sync: SyncStatus) -> JSON:
    return {
        "configured": sync.hub_configured,
        "url": sync.hub_url,
        "reachable": sync.hub_reachable,
        "last_push": sync.last_push_ms,
        "last_pull": sync.last_pull_ms,
        "last_contact": sync.last_contact_ms,
        "last_error": sync.last_error,
        "synced": sync.last_push_ms is not None or sync.last_pull_ms is not None,
    }


def _trust_view(state: EdgeState, now_ms: int, warn_after_s: int) -> JSON:
    trust = state.trust
    age_s = state.trust_age_s(now_ms)
    return {
        "version": None if trust is None else trust.record.version,
        "refreshed_at": None if trust is None else trust.refreshed_ms,
        "age_s": age_s,
        "stale": age_s is None or age_s > warn_after_s,
        "revocations": state.refs.revocation_count,
        "used_up": state.refs.used_up_count,
    }


def status_view(
    state: EdgeState,
    sync: SyncStatus,
    counts: LogCounts,
    now_ms: int,
    *,
    trust_warn_after_s: int,
    clock_warn_after_s: int,
    edge_key_fingerprint: str,
    lang: str,
) -> JSON:
    """The answer to ``GET /api/status``."""
    offset = sync.clock_offset_ms
    return {
        "site": site_view(state.site, lang),
        "edge_id": sync.edge_id,
        "edge_key_fingerprint": edge_key_fingerprint,
        "hub": _hub_view(sync),
        "events": {
            "logged": counts.head_seq,
            "stored": counts.stored,
            "head_seq": counts.head_seq,
            "acknowledged_seq": sync.acknowledged_seq,
            "unacknowledged": max(0, counts.head_seq - sync.acknowledged_seq),
        },
        "trust": _trust_view(state, now_ms, trust_warn_after_s),
        "clock": {
            "now": now_ms,
            "now_local": local_time(now_ms),
            "offset_ms": offset,
            "warning": offset is not None and abs(offset) > clock_warn_after_s * 1000,
        },
    }


def presence_view(presence: Presence, state: EdgeState, lang: str) -> JSON:
    return {
        "worker_id": presence.worker_id,
        "permit_id": presence.permit_id,
        "name": presence.name,
        "name_zh": presence.name_zh,
        "employer_id": presence.employer_id,
        "employer_name": state.employers.get(presence.employer_id or ""),
        "since": presence.since_ms,
        "since_local": local_time(presence.since_ms),
        "last_scan": presence.last_ms,
        "last_scan_local": local_time(presence.last_ms),
        "last_direction": presence.last_direction,
        "last_direction_text": i18n.direction_text(state.site.kind, presence.last_direction, lang),
    }


def roster_view(entry: RosterEntry, state: EdgeState) -> JSON:
    return {
        "worker_id": entry.worker_id,
        "permit_id": entry.permit_id,
        "name": entry.name,
        "name_zh": entry.name_zh,
        "employer_id": entry.employer_id,
        "employer_name": state.employers.get(entry.employer_id),
        "end_date": None if entry.end_date is None else entry.end_date.isoformat(),
    }


def onsite_view(roll_call: RollCall, state: EdgeState, lang: str) -> JSON:
    """The answer to ``GET /api/onsite``."""
    return {
        "site": site_view(state.site, lang),
        "on_site": [presence_view(p, state, lang) for p in roll_call.present],
        "missing": [roster_view(e, state) for e in roll_call.missing],
    }
