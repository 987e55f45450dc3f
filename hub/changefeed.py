"""What the hub publishes to edges: registry changes turned into change-log entries.

Each function runs inside the transaction that made the change, so an edge can never
pull a revocation that was rolled back, nor miss one that was committed. Values are
encoded with :mod:`protocol.sync.datasets`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import replace

from borderpass.sqlite import Transaction
from hub.records import Employer, IssuedPermit, RevocationEntry
from hub.store import sync as store
from protocol.days import date_to_day
from protocol.refs import Revocation
from protocol.sync import datasets as ds
from protocol.sync.datasets import Dataset, EmployerEntry, RosterEntry


def revocation(tx: Transaction, entry: RevocationEntry, at_ms: int) -> None:
    r = entry.revocation
    key = ds.revocation_key(r.kind, r.subject)
    value = ds.encode_revocation(r) if entry.active else None
    store.append_change(tx, Dataset.REVOCATIONS, key, value, at_ms)


def revoked(tx: Transaction, r: Revocation, at_ms: int) -> None:
    key = ds.revocation_key(r.kind, r.subject)
    store.append_change(tx, Dataset.REVOCATIONS, key, ds.encode_revocation(r), at_ms)


def employer(tx: Transaction, e: Employer, at_ms: int) -> None:
    value = ds.encode_employer(EmployerEntry(e.employer_id, e.name_zh, e.name_vi))
    store.append_change(tx, Dataset.EMPLOYERS, e.employer_id, value, at_ms)


def roster_entry(issued: IssuedPermit, employer: Employer, in_china: bool) -> RosterEntry:
    p = issued.permit
    end = min(p.end_date, employer.hiring_permit_valid_until)
    return RosterEntry(
        worker_id=p.worker_id,
        name=p.worker.name,
        name_zh=p.worker.name_zh,
        employer_id=p.employer_id,
        permit_id=p.permit_id,
        end_day=date_to_day(end),
        in_china=in_china,
    )


def permit_issued(tx: Transaction, issued: IssuedPermit, employer: Employer, at_ms: int) -> None:
    """A new permit puts its worker on the roster of the employer's park."""
    entry = roster_entry(issued, employer, in_china=False)
    store.append_change(
        tx, Dataset.ROSTER, entry.worker_id, ds.encode_roster(entry), at_ms, employer.park_zone
    )


def used_up(tx: Transaction, permit_id: str, exit_ms: int, at_ms: int) -> None:
    store.append_change(
        tx, Dataset.USED_UP, permit_id, ds.encode_used_up(permit_id, exit_ms), at_ms
    )


def presence(
    tx: Transaction,
    in_china: Mapping[str, bool],
    roster: Mapping[str, tuple[bytes, str | None]],
    at_ms: int,
) -> None:
    """Publish the roster entries whose worker's presence in China changed. ``roster``
    holds each worker's current entry and its park (the change's scope)."""
    for worker_id, now_in in in_china.items():
        current = roster.get(worker_id)
        if current is None:
            continue
        value, park = current
        entry = ds.decode_roster(value)
        if entry.in_china != now_in:
            changed = replace(entry, in_china=now_in)
            store.append_change(
                tx, Dataset.ROSTER, worker_id, ds.encode_roster(changed), at_ms, park
            )


def publish_if_changed(
    tx: Transaction, dataset: Dataset, key: str, value: bytes, at_ms: int
) -> bool:
    """Append ``value`` unless it is already the key's current value."""
    if store.keys_in(tx.conn, dataset, [key]).get(key) == value:
        return False
    store.append_change(tx, dataset, key, value, at_ms)
    return True


def published(conn: sqlite3.Connection, dataset: Dataset, keys: Iterable[str]) -> dict[str, bytes]:
    return store.keys_in(conn, dataset, keys)
