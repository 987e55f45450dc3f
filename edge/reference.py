"""Changes to the edge's reference data, each on disk and in memory at once.

Every function here runs inside a writer job (``await db.write(lambda tx: ...)``): it
writes through :mod:`edge.store` in the job's transaction, changes :class:`EdgeState`,
and registers an undo with ``tx.on_rollback`` so a change that does not commit leaves
memory as it was. The sync client applies what it pulls from the hub with these; the
scan pipeline uses :func:`mark_used` for a local exit.

A change of a dataset may carry the hub's ``version`` of it, recorded in the same
transaction (``store.read_dataset_versions`` gives the pull cursors back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from borderpass.sqlite import Transaction
from protocol.errors import CredentialError
from protocol.refs import Revocation, RevocationKind
from protocol.sites import parse_site_map
from protocol.trust import decode_trust_list

from . import store
from .records import Employer, RosterEntry, TrustRecord, UsedUp
from .state import EdgeState, TrustState

TRUST_LIST = "trust_list"
REVOCATIONS = "revocations"
USED_UP = "used_up"
SITE_MAP = "site_map"
EMPLOYERS = "employers"
ROSTER = "roster"


class ChangeRefused(Exception):
    """A change was refused; ``reason`` is a stable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _record_version(tx: Transaction, dataset: str, version: int | None, now_ms: int) -> None:
    if version is not None:
        store.set_dataset_version(tx.conn, dataset, version, now_ms)


def replace_trust_list(tx: Transaction, state: EdgeState, signed: bytes, now_ms: int) -> bool:
    """Adopt a root-signed trust list if it is newer than ours; the same version only
    refreshes the trust data's age. Return True when the list changed. Raise
    :class:`ChangeRefused` for a list the pinned root did not sign or an older one."""
    try:
        trust_list = decode_trust_list(signed, state.identity.root_public_key)
    except CredentialError as exc:
        raise ChangeRefused(exc.reason, exc.detail) from exc
    current = state.trust
    if current is not None and trust_list.version < current.record.version:
        raise ChangeRefused(
            "older_version", f"version {trust_list.version} < {current.record.version}"
        )
    if current is not None and trust_list.version == current.record.version:
        refresh_trust(tx, state, now_ms)
        return False
    record = TrustRecord(signed, trust_list.version, trust_list.issued_at, now_ms)
    store.write_trust(tx.conn, record)
    _record_version(tx, TRUST_LIST, trust_list.version, now_ms)
    state.trust = TrustState(trust_list, record)
    tx.on_rollback(lambda: setattr(state, "trust", current))
    return True


def refresh_trust(tx: Transaction, state: EdgeState, now_ms: int) -> None:
    """Trust data is current as of ``now_ms`` (a pull from the hub succeeded)."""
    current = state.trust
    if current is None:
        return
    store.touch_trust(tx.conn, now_ms)
    record = TrustRecord(
        current.record.signed, current.record.version, current.record.issued_at, now_ms
    )
    state.trust = TrustState(current.trust_list, record)
    tx.on_rollback(lambda: setattr(state, "trust", current))


def apply_revocations(
    tx: Transaction,
    state: EdgeState,
    revoked: Iterable[Revocation],
    reinstated: Iterable[tuple[RevocationKind, str]] = (),
    *,
    version: int | None = None,
    now_ms: int = 0,
) -> None:
    """Add revocations and lift others, atomically."""
    refs = state.refs
    for revocation in revoked:
        store.put_revocation(tx.conn, revocation)
        before = refs.revocation(revocation.kind, revocation.subject)
        refs.revoke(revocation)
        tx.on_rollback(_restore_revocation(state, revocation.kind, revocation.subject, before))
    for kind, subject in reinstated:
        store.delete_revocation(tx.conn, kind, subject)
        before = refs.revocation(kind, subject)
        refs.reinstate(kind, subject)
        tx.on_rollback(_restore_revocation(state, kind, subject, before))
    _record_version(tx, REVOCATIONS, version, now_ms)


def _restore_revocation(
    state: EdgeState, kind: RevocationKind, subject: str, before: Revocation | None
) -> Callable[[], None]:
    def undo() -> None:
        if before is None:
            state.refs.reinstate(kind, subject)
        else:
            state.refs.revoke(before)

    return undo


def mark_used(tx: Transaction, state: EdgeState, used: UsedUp) -> None:
    """Record a single-exit permit's exit (the earliest exit counts)."""
    before = state.refs.used_at(used.permit_id)
    if before is not None and before <= used.exit_ms:
        return
    store.put_used_up(tx.conn, used)
    state.refs.mark_used(used.permit_id, used.exit_ms)
    tx.on_rollback(_restore_used(state, used.permit_id, before))


def _restore_used(state: EdgeState, permit_id: str, before: int | None) -> Callable[[], None]:
    def undo() -> None:
        state.refs.clear_used(permit_id)
        if before is not None:
            state.refs.mark_used(permit_id, before)

    return undo


def apply_used_up(
    tx: Transaction,
    state: EdgeState,
    entries: Iterable[UsedUp],
    *,
    version: int | None = None,
    now_ms: int = 0,
) -> None:
    for used in entries:
        mark_used(tx, state, used)
    _record_version(tx, USED_UP, version, now_ms)


def replace_site_map(
    tx: Transaction, state: EdgeState, toml_text: str, *, version: int, now_ms: int = 0
) -> None:
    """Adopt a new sites TOML; refuse one that is invalid or drops this edge's site."""
    try:
        site_map = parse_site_map(toml_text)
    except (ValueError, KeyError, TypeError) as exc:
        raise ChangeRefused("bad_site_map", str(exc)) from exc
    if state.identity.site_id not in site_map.sites:
        raise ChangeRefused("bad_site_map", f"no site {state.identity.site_id!r}")
    store.write_site_map(tx.conn, toml_text, version)
    _record_version(tx, SITE_MAP, version, now_ms)
    before = state.site_map
    state.site_map = site_map
    tx.on_rollback(lambda: setattr(state, "site_map", before))


def apply_employers(
    tx: Transaction,
    state: EdgeState,
    upserts: Iterable[Employer],
    removals: Iterable[str] = (),
    *,
    replace_all: bool = False,
    version: int | None = None,
    now_ms: int = 0,
) -> None:
    """Add or rename employers and remove others; ``replace_all``: a full snapshot."""
    upserts = list(upserts)
    removals = list(removals)
    store.delete_employers(tx.conn, None if replace_all else removals)
    store.put_employers(tx.conn, upserts)
    _record_version(tx, EMPLOYERS, version, now_ms)
    added = {e.employer_id: e.name for e in upserts}
    _change_map(tx, state, "employers", added, removals, replace_all)


def apply_roster(
    tx: Transaction,
    state: EdgeState,
    upserts: Iterable[RosterEntry],
    removals: Iterable[str] = (),
    *,
    replace_all: bool = False,
    version: int | None = None,
    now_ms: int = 0,
) -> None:
    """Change the park roster; ``replace_all``: ``upserts`` is the whole roster."""
    upserts = list(upserts)
    removals = list(removals)
    store.delete_roster(tx.conn, None if replace_all else removals)
    store.put_roster(tx.conn, upserts)
    _record_version(tx, ROSTER, version, now_ms)
    added = {entry.worker_id: entry for entry in upserts}
    _change_map(tx, state, "roster", added, removals, replace_all)


def _change_map(
    tx: Transaction,
    state: EdgeState,
    attribute: str,
    added: dict[str, Any],
    removals: list[str],
    replace_all: bool,
) -> None:
    """Replace one of the state's maps by its changed copy, with an undo."""
    before = getattr(state, attribute)
    after = {} if replace_all else dict(before)
    for key in removals:
        after.pop(key, None)
    after.update(added)
    setattr(state, attribute, after)
    tx.on_rollback(lambda: setattr(state, attribute, before))
