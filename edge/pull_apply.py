"""Apply what the edge pulled from the hub: one dataset at a time, atomically, checked.

For each dataset in a reply (revocations first), one writer job: read the entries held
(the exact bytes the hub sent, in ``pulled``), compute the dataset after the changes and
check it against the hub's digest (:func:`protocol.sync.datasets.apply_changes`),
then write the difference both to ``pulled`` and, decoded, to the typed tables and the
in-memory state through :mod:`edge.reference`, and move the dataset's cursor. A
dataset that fails any check leaves everything of that dataset as it was; the others
still apply, so a bad roster never holds back a revocation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from borderpass.sqlite import Transaction
from protocol.days import day_to_date
from protocol.refs import RevocationKind
from protocol.sync import datasets as ds
from protocol.sync.datasets import Dataset
from protocol.sync.frames import SyncError
from protocol.sync.messages import DatasetChanges

from . import reference, store
from .records import Employer, RosterEntry, UsedUp, UsedUpSource
from .state import EdgeState


@dataclass(frozen=True, slots=True)
class Diff:
    upserts: Mapping[str, bytes]
    removals: tuple[str, ...]


def diff(held: Mapping[str, bytes], after: Mapping[str, bytes]) -> Diff:
    upserts = {k: v for k, v in after.items() if held.get(k) != v}
    return Diff(upserts, tuple(sorted(set(held) - set(after))))


def apply_dataset(tx: Transaction, state: EdgeState, changes: DatasetChanges, now_ms: int) -> int:
    """The writer job for one dataset; returns how many entries changed. Raises
    :class:`SyncError` or :class:`edge.reference.ChangeRefused` to roll it back."""
    try:
        dataset = Dataset(changes.dataset)
    except ValueError as exc:
        raise SyncError("malformed", f"unknown dataset {changes.dataset!r}") from exc
    held = store.read_pulled(tx.conn, dataset)
    after = ds.apply_changes(held, changes)
    change = diff(held, after)
    store.write_pulled(tx.conn, dataset, change.upserts, change.removals)
    APPLY[dataset](tx, state, change, now_ms)
    store.set_dataset_version(tx.conn, dataset, changes.to_version, now_ms)
    return len(change.upserts) + len(change.removals)


def _revocations(tx: Transaction, state: EdgeState, change: Diff, now_ms: int) -> None:
    revoked = [ds.decode_revocation(v) for v in change.upserts.values()]
    reinstated = []
    for key in change.removals:
        kind, _, subject = key.partition(":")
        reinstated.append((RevocationKind(kind), subject))
    reference.apply_revocations(tx, state, revoked, reinstated, now_ms=now_ms)


def _used_up(tx: Transaction, state: EdgeState, change: Diff, now_ms: int) -> None:
    entries = []
    for value in change.upserts.values():
        permit_id, exit_ms = ds.decode_used_up(value)
        entries.append(UsedUp(permit_id, exit_ms, UsedUpSource.HUB))
    reference.apply_used_up(tx, state, entries, now_ms=now_ms)


def _trust(tx: Transaction, state: EdgeState, change: Diff, now_ms: int) -> None:
    signed = change.upserts.get("trust")
    if signed is None:
        return
    current = state.trust
    if current is not None and current.record.signed == signed:
        return
    try:
        reference.replace_trust_list(tx, state, signed, now_ms)
    except reference.ChangeRefused as refused:
        if refused.reason != "older_version":
            raise
        # A hub restored from an older copy may offer an older list: keep ours.


def _sites(tx: Transaction, state: EdgeState, change: Diff, now_ms: int) -> None:
    value = change.upserts.get("sites")
    if value is not None:
        version, text = ds.decode_sites(value)
        reference.replace_site_map(tx, state, text, version=version, now_ms=now_ms)


def _employers(tx: Transaction, state: EdgeState, change: Diff, now_ms: int) -> None:
    upserts = []
    for value in change.upserts.values():
        entry = ds.decode_employer(value)
        upserts.append(Employer(entry.employer_id, entry.name_zh))
    reference.apply_employers(tx, state, upserts, change.removals, now_ms=now_ms)


def _roster(tx: Transaction, state: EdgeState, change: Diff, now_ms: int) -> None:
    upserts = []
    for value in change.upserts.values():
        r = ds.decode_roster(value)
        upserts.append(
            RosterEntry(r.worker_id, r.name, r.name_zh, r.employer_id, r.permit_id,
                        day_to_date(r.end_day), r.in_china)
        )  # fmt: skip
    reference.apply_roster(tx, state, upserts, change.removals, now_ms=now_ms)


APPLY: dict[Dataset, Callable[[Transaction, EdgeState, Diff, int], None]] = {
    Dataset.REVOCATIONS: _revocations,
    Dataset.USED_UP: _used_up,
    Dataset.TRUST: _trust,
    Dataset.SITES: _sites,
    Dataset.EMPLOYERS: _employers,
    Dataset.ROSTER: _roster,
}
