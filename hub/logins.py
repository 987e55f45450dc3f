"""The login rate limit and lockout, counted per account and per client address.

Every password check is first *admitted*: in one write transaction the attempt is
refused if its account or its address is locked out or already has ``max_failures``
attempts within ``window``, and otherwise recorded for both, before the (slow) password
check. A good password then takes its attempts back and clears the account's count;
a bad one leaves them standing, is audited (``user.login_failed``), and the failure
that reaches ``max_failures`` locks the account or the address out for ``lockout``
(audited as ``login.locked``). Recording before checking is what keeps a burst of
parallel guesses to the limit. An admin lifts an account's lockout by enabling the
user or resetting the password.
"""

from __future__ import annotations

from dataclasses import dataclass

from borderpass.sqlite import Transaction
from hub.store import access
from hub.store import logins as store

TARGET_MAX = 100
"""A guessed username is audited up to this many characters."""


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    max_failures: int = 30
    window_ms: int = 60_000
    lockout_ms: int = 15 * 60_000


@dataclass(frozen=True, slots=True)
class Admission:
    attempt_ids: tuple[int, ...]
    """The recorded attempts (empty when refused)."""
    refused_until_ms: int | None = None
    """When refused: the instant the account or address may try again."""

    @property
    def admitted(self) -> bool:
        return self.refused_until_ms is None


def subjects(username: str, address: str) -> tuple[str, str]:
    return f"user:{username[:TARGET_MAX]}", f"address:{address}"


def refusal_until(
    locked_until_ms: int | None, recent_attempts: int, now_ms: int, policy: LoginPolicy
) -> int | None:
    """Until when a subject is refused a password check, or None: it may try now."""
    if locked_until_ms is not None:
        return locked_until_ms
    if recent_attempts >= policy.max_failures:
        return now_ms + policy.window_ms
    return None


def admit(
    tx: Transaction, username: str, address: str, now_ms: int, policy: LoginPolicy
) -> Admission:
    store.prune(tx, now_ms - policy.window_ms, now_ms)
    for subject in subjects(username, address):
        locked = store.locked_until(tx.conn, subject, now_ms)
        recent = store.count_attempts(tx.conn, subject, now_ms - policy.window_ms)
        until = refusal_until(locked, recent, now_ms, policy)
        if until is not None:
            return Admission((), until)
    return Admission(
        tuple(store.record_attempt(tx, s, now_ms) for s in subjects(username, address))
    )


def failed(
    tx: Transaction, username: str, address: str, reason: str, now_ms: int, policy: LoginPolicy
) -> None:
    """Audit a failed login; lock out the account or address that reached the limit."""
    detail: dict[str, object] = {"address": address, "reason": reason}
    target = username[:TARGET_MAX]
    access.audit(tx, f"address:{address}", "user.login_failed", target, detail, now_ms)
    for subject in subjects(username, address):
        recent = store.count_attempts(tx.conn, subject, now_ms - policy.window_ms)
        if recent >= policy.max_failures and store.locked_until(tx.conn, subject, now_ms) is None:
            until = now_ms + policy.lockout_ms
            store.lock(tx, subject, until)
            locked: dict[str, object] = {"failures": recent, "until_ms": until}
            access.audit(tx, "hub", "login.locked", subject, locked, now_ms)


def succeeded(tx: Transaction, username: str, admission: Admission) -> None:
    for attempt_id in admission.attempt_ids:
        store.forget_attempt(tx, attempt_id)
    lift(tx, username)


def lift(tx: Transaction, username: str) -> None:
    """Clear an account's failed attempts and lockout."""
    store.forget_subject(tx, subjects(username, "")[0])
