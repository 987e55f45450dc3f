"""Reference data an edge decides with: revocations and used-up permits.

The hub is the source of both and sends them to edges by sync; an edge also marks a
permit used the moment it logs the permit's exit, without waiting for the hub.
:class:`ReferenceData` is the in-memory index the verdict reads; it is mutable and
owned by whoever applies changes (the edge's single writer).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .permit import Permit
from .reasons import Reason


class RevocationKind(StrEnum):
    PERMIT = "permit"
    WORKER = "worker"
    EMPLOYER = "employer"


_REASON = {
    RevocationKind.PERMIT: Reason.REVOKED_PERMIT,
    RevocationKind.WORKER: Reason.REVOKED_WORKER,
    RevocationKind.EMPLOYER: Reason.REVOKED_EMPLOYER,
}


@dataclass(frozen=True, slots=True)
class Revocation:
    """A permit, a worker (by border pass number) or an employer, revoked at
    ``revoked_at`` (seconds, UTC). A worker's or employer's revocation covers the
    permits issued up to that instant, so a later permit after reinstatement works."""

    kind: RevocationKind
    subject: str
    revoked_at: int
    reason: str = ""

    def covers(self, permit: Permit) -> bool:
        if self.kind is RevocationKind.PERMIT:
            return permit.permit_id == self.subject
        if self.kind is RevocationKind.WORKER:
            return permit.worker_id == self.subject and permit.issued_at <= self.revoked_at
        return permit.employer_id == self.subject and permit.issued_at <= self.revoked_at


class ReferenceData:
    """Revocations and used-up permits, indexed for the verdict."""

    def __init__(self) -> None:
        self._revoked: dict[tuple[RevocationKind, str], Revocation] = {}
        self._used_up: dict[str, int] = {}

    def revoke(self, revocation: Revocation) -> None:
        self._revoked[(revocation.kind, revocation.subject)] = revocation

    def reinstate(self, kind: RevocationKind, subject: str) -> None:
        self._revoked.pop((kind, subject), None)

    def mark_used(self, permit_id: str, exit_ms: int) -> None:
        """Record a single-exit permit's exit; the earliest exit counts."""
        known = self._used_up.get(permit_id)
        if known is None or exit_ms < known:
            self._used_up[permit_id] = exit_ms

    def used_at(self, permit_id: str) -> int | None:
        return self._used_up.get(permit_id)

    def clear_used(self, permit_id: str) -> None:
        """Forget a permit's exit (to undo a change that did not commit)."""
        self._used_up.pop(permit_id, None)

    def revocation(self, kind: RevocationKind, subject: str) -> Revocation | None:
        """The revocation in force for ``subject``, if any."""
        return self._revoked.get((kind, subject))

    def revocation_reasons(self, permit: Permit) -> list[Reason]:
        reasons = []
        for kind, subject in (
            (RevocationKind.PERMIT, permit.permit_id),
            (RevocationKind.WORKER, permit.worker_id),
            (RevocationKind.EMPLOYER, permit.employer_id),
        ):
            revocation = self._revoked.get((kind, subject))
            if revocation is not None and revocation.covers(permit):
                reasons.append(_REASON[kind])
        return reasons

    @property
    def revocation_count(self) -> int:
        return len(self._revoked)

    @property
    def used_up_count(self) -> int:
        return len(self._used_up)
