"""Employers, labour agencies, workers, permits and revocations.

After every change that edges must learn about, the write calls a hook in this module
(:func:`on_permit_issued`, :func:`on_revocation`, :func:`on_reinstatement`) inside the
same transaction. For now the hooks write the audit record; the sync change log adds
its row there too, so a revocation and its change-log entry commit together or not at
all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date

import sqlite_utils

from borderpass.sqlite import Transaction
from hub.records import Employer, IssuedPermit, LabourAgency, RevocationEntry
from hub.store import access
from protocol.permit import Permit, Sex, Worker
from protocol.refs import Revocation, RevocationKind

MIGRATIONS = sqlite_utils.Migrations("hub.registry")


@MIGRATIONS()
def create_registry_tables(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE labour_agencies (
            agency_id TEXT PRIMARY KEY,
            name_zh TEXT NOT NULL,
            name_vi TEXT NOT NULL,
            licence_no TEXT NOT NULL,
            licence_valid_from TEXT NOT NULL,
            licence_valid_until TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL
        );
        CREATE TABLE employers (
            employer_id TEXT PRIMARY KEY,
            name_zh TEXT NOT NULL,
            name_vi TEXT NOT NULL,
            hiring_permit_no TEXT NOT NULL,
            hiring_permit_valid_from TEXT NOT NULL,
            hiring_permit_valid_until TEXT NOT NULL,
            park_zone TEXT NOT NULL,
            agency_id TEXT REFERENCES labour_agencies(agency_id),
            created_at_ms INTEGER NOT NULL
        );
        CREATE TABLE workers (
            border_pass_no TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_zh TEXT,
            birth_date TEXT NOT NULL,
            sex TEXT NOT NULL CHECK (sex IN ('F', 'M', 'X'))
        );
        CREATE TABLE permits (
            permit_id TEXT PRIMARY KEY,
            border_pass_no TEXT NOT NULL REFERENCES workers(border_pass_no),
            employer_id TEXT NOT NULL REFERENCES employers(employer_id),
            worker_name TEXT NOT NULL,
            worker_name_zh TEXT,
            zones TEXT NOT NULL,
            zone_reason TEXT,
            valid_from TEXT NOT NULL,
            valid_until TEXT NOT NULL,
            health_cert_until TEXT NOT NULL,
            insurance_until TEXT NOT NULL,
            single_exit INTEGER NOT NULL,
            issued_at_s INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            qr TEXT NOT NULL,
            issued_by TEXT NOT NULL
        );
        CREATE INDEX permits_by_worker ON permits(border_pass_no, issued_at_s);
        CREATE INDEX permits_by_employer ON permits(employer_id, issued_at_s);
        CREATE TABLE revocations (
            revocation_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('permit', 'worker', 'employer')),
            subject TEXT NOT NULL,
            revoked_at_s INTEGER NOT NULL,
            reason TEXT NOT NULL,
            revoked_by TEXT NOT NULL,
            reinstated_at_s INTEGER,
            reinstated_by TEXT,
            reinstate_reason TEXT
        );
        CREATE UNIQUE INDEX one_active_revocation
            ON revocations(kind, subject) WHERE reinstated_at_s IS NULL;
        """
    )


# -- agencies and employers ------------------------------------------------------------


def insert_agency(tx: Transaction, agency: LabourAgency, at_ms: int) -> None:
    tx.conn.execute(
        "INSERT INTO labour_agencies VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            agency.agency_id,
            agency.name_zh,
            agency.name_vi,
            agency.licence_no,
            agency.licence_valid_from.isoformat(),
            agency.licence_valid_until.isoformat(),
            at_ms,
        ),
    )


def _agency(row: sqlite3.Row | tuple[object, ...]) -> LabourAgency:
    aid, zh, vi, no, start, end = row[:6]
    return LabourAgency(
        str(aid), str(zh), str(vi), str(no), date.fromisoformat(str(start)),
        date.fromisoformat(str(end)),
    )  # fmt: skip


def get_agency(conn: sqlite3.Connection, agency_id: str) -> LabourAgency | None:
    row = conn.execute("SELECT * FROM labour_agencies WHERE agency_id = ?", (agency_id,))
    found = row.fetchone()
    return _agency(found) if found else None


def list_agencies(conn: sqlite3.Connection) -> list[LabourAgency]:
    rows = conn.execute("SELECT * FROM labour_agencies ORDER BY agency_id")
    return [_agency(r) for r in rows]


def insert_employer(tx: Transaction, employer: Employer, at_ms: int) -> None:
    e = employer
    tx.conn.execute(
        "INSERT INTO employers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            e.employer_id,
            e.name_zh,
            e.name_vi,
            e.hiring_permit_no,
            e.hiring_permit_valid_from.isoformat(),
            e.hiring_permit_valid_until.isoformat(),
            e.park_zone,
            e.agency_id,
            at_ms,
        ),
    )


def _employer(row: sqlite3.Row | tuple[object, ...]) -> Employer:
    eid, zh, vi, no, start, end, park, agency = row[:8]
    return Employer(
        employer_id=str(eid),
        name_zh=str(zh),
        name_vi=str(vi),
        hiring_permit_no=str(no),
        hiring_permit_valid_from=date.fromisoformat(str(start)),
        hiring_permit_valid_until=date.fromisoformat(str(end)),
        park_zone=str(park),
        agency_id=None if agency is None else str(agency),
    )


def get_employer(conn: sqlite3.Connection, employer_id: str) -> Employer | None:
    found = conn.execute("SELECT * FROM employers WHERE employer_id = ?", (employer_id,))
    row = found.fetchone()
    return _employer(row) if row else None


def list_employers(conn: sqlite3.Connection, only: str | None = None) -> list[Employer]:
    """Every employer, or only the one with id ``only`` (an employer's own view)."""
    if only is not None:
        rows = conn.execute("SELECT * FROM employers WHERE employer_id = ?", (only,))
    else:
        rows = conn.execute("SELECT * FROM employers ORDER BY employer_id")
    return [_employer(r) for r in rows]


# -- workers and permits ---------------------------------------------------------------


def get_worker(conn: sqlite3.Connection, border_pass_no: str) -> Worker | None:
    row = conn.execute(
        "SELECT name, border_pass_no, birth_date, sex, name_zh FROM workers "
        "WHERE border_pass_no = ?",
        (border_pass_no,),
    ).fetchone()
    if row is None:
        return None
    name, bpn, birth, sex, name_zh = row
    return Worker(name, bpn, date.fromisoformat(birth), Sex(sex), name_zh)


def save_worker(tx: Transaction, worker: Worker) -> None:
    """Insert the worker, or update the names of the one with this border pass."""
    tx.conn.execute(
        "INSERT INTO workers VALUES (?, ?, ?, ?, ?) ON CONFLICT (border_pass_no) "
        "DO UPDATE SET name = excluded.name, name_zh = excluded.name_zh",
        (
            worker.border_pass_no,
            worker.name,
            worker.name_zh,
            worker.birth_date.isoformat(),
            worker.sex.value,
        ),
    )


def insert_permit(tx: Transaction, issued: IssuedPermit) -> None:
    p = issued.permit
    save_worker(tx, p.worker)
    tx.conn.execute(
        "INSERT INTO permits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            p.permit_id,
            p.worker.border_pass_no,
            p.employer_id,
            p.worker.name,
            p.worker.name_zh,
            json.dumps(list(p.zones)),
            issued.zone_reason,
            p.valid_from.isoformat(),
            p.valid_until.isoformat(),
            p.health_cert_until.isoformat(),
            p.insurance_until.isoformat(),
            1 if p.single_exit else 0,
            p.issued_at,
            p.key_id.hex(),
            issued.qr,
            issued.issued_by,
        ),
    )


_PERMIT_COLUMNS = (
    "p.permit_id, p.worker_name, p.worker_name_zh, p.border_pass_no, w.birth_date, w.sex, "
    "p.employer_id, p.zones, p.valid_from, p.valid_until, p.health_cert_until, "
    "p.insurance_until, p.single_exit, p.issued_at_s, p.key_id, p.qr, p.issued_by, "
    "p.zone_reason"
)
_PERMIT_FROM = "FROM permits p JOIN workers w USING (border_pass_no)"


def permit_of(row: Sequence[object]) -> Permit:
    """The permit in the first 15 columns of a permit row (``_PERMIT_COLUMNS`` order)."""
    (pid, name, name_zh, bpn, birth, sex, eid, zones, vfrom, vuntil, health, insurance,
     single, issued_at, key_id) = row[:15]  # fmt: skip
    worker = Worker(str(name), str(bpn), date.fromisoformat(str(birth)), Sex(str(sex)),
                    None if name_zh is None else str(name_zh))  # fmt: skip
    return Permit(
        permit_id=str(pid),
        worker=worker,
        employer_id=str(eid),
        zones=tuple(json.loads(str(zones))),
        valid_from=date.fromisoformat(str(vfrom)),
        valid_until=date.fromisoformat(str(vuntil)),
        health_cert_until=date.fromisoformat(str(health)),
        insurance_until=date.fromisoformat(str(insurance)),
        single_exit=bool(single),
        issued_at=int(str(issued_at)),
        key_id=bytes.fromhex(str(key_id)),
    )


def _issued(row: tuple[object, ...]) -> IssuedPermit:
    qr, issued_by, zone_reason = row[15:]
    reason = None if zone_reason is None else str(zone_reason)
    return IssuedPermit(permit_of(row), str(qr), str(issued_by), reason)


def get_permit(conn: sqlite3.Connection, permit_id: str) -> IssuedPermit | None:
    row = conn.execute(
        f"SELECT {_PERMIT_COLUMNS} {_PERMIT_FROM} WHERE p.permit_id = ?", (permit_id,)
    ).fetchone()
    return _issued(row) if row else None


def single_exit_permits(conn: sqlite3.Connection, permit_ids: Iterable[str]) -> set[str]:
    """Which of ``permit_ids`` are single-exit permits this hub issued."""
    ids, found = list(permit_ids), set[str]()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT permit_id FROM permits WHERE single_exit = 1 AND permit_id IN ({marks})",
            chunk,
        )
        found.update(r[0] for r in rows)
    return found


def list_permits(
    conn: sqlite3.Connection,
    *,
    employer_id: str | None = None,
    border_pass_no: str | None = None,
    limit: int = 200,
) -> list[IssuedPermit]:
    """Permits, newest first, optionally of one employer and/or one worker."""
    where, params = ["1 = 1"], []
    if employer_id is not None:
        where.append("p.employer_id = ?")
        params.append(employer_id)
    if border_pass_no is not None:
        where.append("p.border_pass_no = ?")
        params.append(border_pass_no)
    sql = (
        f"SELECT {_PERMIT_COLUMNS} {_PERMIT_FROM} WHERE {' AND '.join(where)} "
        "ORDER BY p.issued_at_s DESC, p.permit_id LIMIT ?"
    )
    return [_issued(r) for r in conn.execute(sql, (*params, limit))]


# -- revocations -----------------------------------------------------------------------


def insert_revocation(tx: Transaction, revocation: Revocation, revoked_by: str) -> RevocationEntry:
    r = revocation
    cursor = tx.conn.execute(
        "INSERT INTO revocations (kind, subject, revoked_at_s, reason, revoked_by) "
        "VALUES (?, ?, ?, ?, ?)",
        (r.kind.value, r.subject, r.revoked_at, r.reason, revoked_by),
    )
    return RevocationEntry(int(cursor.lastrowid or 0), revocation, revoked_by)


_REVOCATION_COLUMNS = (
    "revocation_id, kind, subject, revoked_at_s, reason, revoked_by, "
    "reinstated_at_s, reinstated_by, reinstate_reason"
)


def _entry(row: tuple[object, ...]) -> RevocationEntry:
    rid, kind, subject, at, reason, by, back_at, back_by, back_reason = row
    revocation = Revocation(RevocationKind(str(kind)), str(subject), int(str(at)), str(reason))
    return RevocationEntry(
        revocation_id=int(str(rid)),
        revocation=revocation,
        revoked_by=str(by),
        reinstated_at=None if back_at is None else int(str(back_at)),
        reinstated_by=None if back_by is None else str(back_by),
        reinstate_reason=None if back_reason is None else str(back_reason),
    )


def get_revocation(conn: sqlite3.Connection, revocation_id: int) -> RevocationEntry | None:
    row = conn.execute(
        f"SELECT {_REVOCATION_COLUMNS} FROM revocations WHERE revocation_id = ?",
        (revocation_id,),
    ).fetchone()
    return _entry(row) if row else None


def active_revocation(
    conn: sqlite3.Connection, kind: RevocationKind, subject: str
) -> RevocationEntry | None:
    row = conn.execute(
        f"SELECT {_REVOCATION_COLUMNS} FROM revocations "
        "WHERE kind = ? AND subject = ? AND reinstated_at_s IS NULL",
        (kind.value, subject),
    ).fetchone()
    return _entry(row) if row else None


def list_revocations(
    conn: sqlite3.Connection,
    *,
    active_only: bool = False,
    kinds: tuple[RevocationKind, ...] = tuple(RevocationKind),
) -> list[RevocationEntry]:
    """Revocations, newest first."""
    marks = ", ".join("?" for _ in kinds)
    active = "AND reinstated_at_s IS NULL" if active_only else ""
    rows = conn.execute(
        f"SELECT {_REVOCATION_COLUMNS} FROM revocations WHERE kind IN ({marks}) {active} "
        "ORDER BY revoked_at_s DESC, revocation_id DESC",
        tuple(k.value for k in kinds),
    )
    return [_entry(r) for r in rows]


def mark_reinstated(
    tx: Transaction, entry: RevocationEntry, at_s: int, by: str, reason: str
) -> RevocationEntry:
    tx.conn.execute(
        "UPDATE revocations SET reinstated_at_s = ?, reinstated_by = ?, reinstate_reason = ? "
        "WHERE revocation_id = ? AND reinstated_at_s IS NULL",
        (at_s, by, reason, entry.revocation_id),
    )
    return RevocationEntry(
        entry.revocation_id, entry.revocation, entry.revoked_by, at_s, by, reason
    )


# -- hooks: called after each registry change, inside its transaction ------------------


def on_permit_issued(tx: Transaction, issued: IssuedPermit, at_ms: int) -> None:
    """A permit was issued. Writes the audit record (the sync change log adds its
    roster change here)."""
    p = issued.permit
    detail = {"worker": p.worker_id, "employer": p.employer_id, "key_id": p.key_id.hex()}
    access.audit(tx, issued.issued_by, "permit.issue", p.permit_id, detail, at_ms)


def on_revocation(tx: Transaction, entry: RevocationEntry, at_ms: int) -> None:
    """A permit, worker or employer was revoked. Writes the audit record (the sync
    change log adds the revocation change here, in the same transaction)."""
    r = entry.revocation
    detail = {"reason": r.reason, "revocation_id": entry.revocation_id}
    access.audit(tx, entry.revoked_by, f"{r.kind.value}.revoke", r.subject, detail, at_ms)


def on_reinstatement(tx: Transaction, entry: RevocationEntry, at_ms: int) -> None:
    """A revocation was lifted. Writes the audit record (the sync change log adds the
    reinstatement here, in the same transaction)."""
    r = entry.revocation
    detail = {"reason": entry.reinstate_reason, "revocation_id": entry.revocation_id}
    actor = entry.reinstated_by or "unknown"
    access.audit(tx, actor, f"{r.kind.value}.reinstate", r.subject, detail, at_ms)


def revocations_covering(conn: sqlite3.Connection, permit: Permit) -> list[RevocationEntry]:
    """The active revocations that cover ``permit`` (its own, its worker's, its
    employer's: a worker's or employer's covers permits issued up to it)."""
    found = []
    for kind, subject in (
        (RevocationKind.PERMIT, permit.permit_id),
        (RevocationKind.WORKER, permit.worker_id),
        (RevocationKind.EMPLOYER, permit.employer_id),
    ):
        entry = active_revocation(conn, kind, subject)
        if entry is not None and entry.revocation.covers(permit):
            found.append(entry)
    return found
