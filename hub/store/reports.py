"""Reads for the reports and the pages: permits with every date that ends them, each
worker's latest border event, the alerts of a period, crossings per site and hour, and
an alert's scans. Queries only: the reports keep no tables of their own."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date

from hub.reconcile import EvidenceRef
from hub.reports import AlertFacts, BorderMark, EmployerName, PermitFacts
from hub.store.evidence import Scan

HOUR_MS = 3_600_000

_PERMIT_FACTS = (
    "SELECT p.permit_id, p.border_pass_no, w.name, w.name_zh, p.employer_id, e.name_zh, "
    "p.valid_from, p.valid_until, p.health_cert_until, p.insurance_until, "
    "e.hiring_permit_valid_until, p.issued_at_s "
    "FROM permits p JOIN workers w USING (border_pass_no) JOIN employers e USING (employer_id)"
)


def _permit_facts(row: Sequence[object]) -> PermitFacts:
    pid, bpn, name, name_zh, eid, employer, start, until, health, insurance, hiring, at = row
    return PermitFacts(
        permit_id=str(pid), worker_id=str(bpn), worker_name=str(name),
        worker_name_zh=None if name_zh is None else str(name_zh), employer_id=str(eid),
        employer_name=str(employer), valid_from=date.fromisoformat(str(start)),
        valid_until=date.fromisoformat(str(until)),
        health_cert_until=date.fromisoformat(str(health)),
        insurance_until=date.fromisoformat(str(insurance)),
        hiring_permit_until=date.fromisoformat(str(hiring)), issued_at_s=int(str(at)),
    )  # fmt: skip


def permit_facts(conn: sqlite3.Connection, employer_id: str | None = None) -> list[PermitFacts]:
    """Every permit (of one employer, or of all), by permit id."""
    if employer_id is None:
        rows = conn.execute(f"{_PERMIT_FACTS} ORDER BY p.permit_id")
    else:
        rows = conn.execute(
            f"{_PERMIT_FACTS} WHERE p.employer_id = ? ORDER BY p.permit_id", (employer_id,)
        )
    return [_permit_facts(r) for r in rows]


def permit_facts_of_workers(
    conn: sqlite3.Connection, worker_ids: Iterable[str]
) -> list[PermitFacts]:
    """Every permit of these workers, whichever employer issued it."""
    found: list[PermitFacts] = []
    for worker_id in sorted(set(worker_ids)):
        rows = conn.execute(f"{_PERMIT_FACTS} WHERE p.border_pass_no = ?", (worker_id,))
        found.extend(_permit_facts(r) for r in rows)
    return found


def employer_names(conn: sqlite3.Connection, employer_id: str | None = None) -> list[EmployerName]:
    if employer_id is None:
        rows = conn.execute("SELECT employer_id, name_zh FROM employers ORDER BY employer_id")
    else:
        rows = conn.execute(
            "SELECT employer_id, name_zh FROM employers WHERE employer_id = ?", (employer_id,)
        )
    return [EmployerName(str(eid), str(name)) for eid, name in rows]


def border_marks(
    conn: sqlite3.Connection, worker_ids: Iterable[str], border_sites: Sequence[str]
) -> list[BorderMark]:
    """Per worker, the latest allowed, genuine ``in`` or ``out`` at a border gate (by the
    hub's instant, then the edge's hybrid clock); workers never seen there are left out."""
    marks = ",".join("?" * len(border_sites))
    sql = (
        f"SELECT direction, at_ms, site FROM events WHERE worker_id = ? AND site IN ({marks}) "
        "AND verdict = 'allow' AND verified = 1 AND direction IN ('in', 'out') "
        "ORDER BY at_ms DESC, hlc DESC LIMIT 1"
    )
    found: list[BorderMark] = []
    for worker_id in sorted(set(worker_ids)):
        row = conn.execute(sql, (worker_id, *border_sites)).fetchone()
        if row is not None:
            found.append(BorderMark(worker_id, str(row[0]), int(row[1]), str(row[2])))
    return found


def crossings(
    conn: sqlite3.Connection,
    start_ms: int,
    hours: int,
    sites: Iterable[str],
    employer_id: str | None = None,
) -> dict[tuple[str, int], int]:
    """Allowed ``in`` and ``out`` scans per (site, hour since ``start_ms``) over ``hours``
    hours, at ``sites`` and at every edge's site; only one employer's workers' (genuine
    scans) when ``employer_id`` is given. Naming the sites lets SQLite read the
    (site, instant) index in ranges instead of the whole log."""
    edge_sites = {str(r[0]) for r in conn.execute("SELECT DISTINCT site_id FROM edges")}
    every = sorted(set(sites) | edge_sites)
    scope, args = ("AND employer_id = ? AND verified = 1", (employer_id,)) if employer_id else (
        "", ())  # fmt: skip
    rows = conn.execute(
        f"SELECT site, (at_ms - ?) / ?, COUNT(*) FROM events WHERE site IN "
        f"({','.join('?' * len(every))}) AND at_ms >= ? AND at_ms < ? "
        f"AND verdict = 'allow' AND direction IN ('in', 'out') {scope} GROUP BY 1, 2",
        (start_ms, HOUR_MS, *every, start_ms, start_ms + hours * HOUR_MS, *args),
    )
    return {(str(site), int(hour)): int(count) for site, hour, count in rows}


def alert_facts(
    conn: sqlite3.Connection, start_ms: int, end_ms: int, employer_id: str | None = None
) -> list[AlertFacts]:
    """The alerts about an employer's workers (one employer's, or every employer's)
    whose situation began in [start_ms, end_ms), retracted ones included."""
    scope, args = ("employer_id = ?", (employer_id,)) if employer_id else (
        "employer_id IS NOT NULL", ())  # fmt: skip
    rows = conn.execute(
        "SELECT kind, severity, employer_id, at_ms, provisional, retracted FROM alerts "
        f"WHERE {scope} AND at_ms >= ? AND at_ms < ?",
        (*args, start_ms, end_ms),
    )
    return [
        AlertFacts(str(kind), str(severity), str(eid), int(at), bool(provisional), bool(gone))
        for kind, severity, eid, at, provisional, gone in rows
    ]


def scans_at(conn: sqlite3.Connection, refs: Iterable[EvidenceRef]) -> list[Scan]:
    """The scans named by (edge id, sequence number), in timeline order; refs to scans
    the hub does not hold are left out."""
    found: list[tuple[int, int, str, int, Scan]] = []
    for edge_id, seq in set(refs):
        row = conn.execute(
            "SELECT site, direction, verdict, reasons, permit_id, employer_id, verified, "
            "at_ms, clock_suspect, received_ms, hlc FROM events WHERE edge_id = ? AND seq = ?",
            (edge_id, seq),
        ).fetchone()
        if row is None:
            continue
        site, direction, verdict, reasons, pid, eid, ok, at, suspect, received, hlc = row
        scan = Scan(edge_id, seq, site, direction, verdict,
                    tuple(reasons.split(",")) if reasons else (), pid, eid, bool(ok), at,
                    bool(suspect), received)  # fmt: skip
        found.append((at, hlc, edge_id, seq, scan))
    return [entry[-1] for entry in sorted(found, key=lambda e: e[:4])]


def worker_names(conn: sqlite3.Connection, worker_ids: Iterable[str]) -> dict[str, str]:
    """Each known worker's names (Vietnamese, then Chinese), by border pass number."""
    found: dict[str, str] = {}
    for worker_id in set(worker_ids):
        row = conn.execute(
            "SELECT name, name_zh FROM workers WHERE border_pass_no = ?", (worker_id,)
        ).fetchone()
        if row is not None:
            found[worker_id] = f"{row[0]} {row[1]}" if row[1] else str(row[0])
    return found
