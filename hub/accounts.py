"""Users, API tokens and web sessions: each change one write transaction, audited.

An admin can disable a user (their sessions end and logins are refused), enable them
again, reset a password, or end a user's sessions; each is audited with who did it."""

from __future__ import annotations

from dataclasses import dataclass

from borderpass.sqlite import Transaction
from hub import auth, logins
from hub.auth import Role
from hub.errors import Refusal
from hub.store import access, registry

USERNAME_MAX = 64
_DUMMY_HASH = auth.hash_password("not a password", salt=bytes(16))


@dataclass(frozen=True, slots=True)
class NewSession:
    session_id: str
    """The cookie value; only its digest is stored."""
    csrf_token: str
    expires_at_ms: int


def _check_binding(tx: Transaction, role: Role, employer_id: str | None) -> None:
    problem = auth.check_binding(role, employer_id)
    if problem is not None:
        raise Refusal("bad_binding", problem)
    if employer_id is not None and registry.get_employer(tx.conn, employer_id) is None:
        raise Refusal("unknown_employer", employer_id)


def add_user(
    tx: Transaction,
    username: str,
    password_hash: str,
    role: Role,
    employer_id: str | None,
    now_ms: int,
    actor: str,
) -> access.User:
    if not username or len(username) > USERNAME_MAX or not username.isprintable():
        raise Refusal("invalid_field", f"username: 1-{USERNAME_MAX} printable characters")
    _check_binding(tx, role, employer_id)
    if access.get_user(tx.conn, username) is not None:
        raise Refusal("already_exists", f"user {username}", status=409)
    user = access.User(username, password_hash, role, employer_id, False)
    access.insert_user(tx, user, now_ms)
    detail: dict[str, object] = {"role": role.value, "employer_id": employer_id}
    access.audit(tx, actor, "user.add", username, detail, now_ms)
    return user


def add_token(
    tx: Transaction,
    role: Role,
    employer_id: str | None,
    label: str,
    now_ms: int,
    actor: str,
    expires_at_ms: int | None = None,
) -> tuple[int, str]:
    """Make an API token (lasting until revoked, or until ``expires_at_ms``); return its
    id and the token, which is shown once only."""
    _check_binding(tx, role, employer_id)
    if expires_at_ms is not None and expires_at_ms <= now_ms:
        raise Refusal("invalid_field", "expires: must be in the future")
    token = auth.new_token()
    token_id = access.insert_token(
        tx, auth.digest(token), role, employer_id, label, actor, now_ms, expires_at_ms
    )
    detail: dict[str, object] = {"role": role.value, "employer_id": employer_id, "label": label,
                                 "expires_at_ms": expires_at_ms}  # fmt: skip
    access.audit(tx, actor, "token.add", f"token:{token_id}", detail, now_ms)
    return token_id, token


def revoke_token(tx: Transaction, token_id: int, now_ms: int, actor: str) -> None:
    if not access.revoke_token(tx, token_id, now_ms):
        raise Refusal("not_found", f"no live token {token_id}", status=404)
    access.audit(tx, actor, "token.revoke", f"token:{token_id}", {}, now_ms)


def _existing_user(tx: Transaction, username: str) -> access.User:
    user = access.get_user(tx.conn, username)
    if user is None:
        raise Refusal("not_found", f"no user {username}", status=404)
    return user


def end_sessions(tx: Transaction, username: str, now_ms: int, actor: str) -> int:
    """Log a user out everywhere; return how many sessions ended."""
    _existing_user(tx, username)
    ended = access.delete_user_sessions(tx, username)
    access.audit(tx, actor, "user.end_sessions", username, {"sessions": ended}, now_ms)
    return ended


def disable_user(tx: Transaction, username: str, now_ms: int, actor: str) -> int:
    """Refuse the user's logins and end their sessions; return how many ended."""
    _existing_user(tx, username)
    access.set_disabled(tx, username, True)
    ended = access.delete_user_sessions(tx, username)
    access.audit(tx, actor, "user.disable", username, {"sessions": ended}, now_ms)
    return ended


def enable_user(tx: Transaction, username: str, now_ms: int, actor: str) -> None:
    """Let a disabled user log in again; also lifts a login lockout."""
    _existing_user(tx, username)
    access.set_disabled(tx, username, False)
    logins.lift(tx, username)
    access.audit(tx, actor, "user.enable", username, {}, now_ms)


def reset_password(
    tx: Transaction, username: str, password_hash: str, now_ms: int, actor: str
) -> int:
    """Give a user a new password (hash it with :func:`check_password` first), end
    their sessions and lift a lockout; return how many sessions ended."""
    _existing_user(tx, username)
    access.set_password_hash(tx, username, password_hash)
    ended = access.delete_user_sessions(tx, username)
    logins.lift(tx, username)
    access.audit(tx, actor, "user.reset_password", username, {"sessions": ended}, now_ms)
    return ended


def check_password(password: str) -> str:
    """Refuse a weak new password; return its scrypt hash (slow: run it off the
    event loop and outside the writer)."""
    if len(password) < auth.MIN_PASSWORD_LEN:
        raise Refusal("weak_password", f"at least {auth.MIN_PASSWORD_LEN} characters")
    return auth.hash_password(password)


def login_failure(user: access.User | None, password: str) -> str | None:
    """Why this login fails (``unknown_user``, ``disabled``, ``bad_password``), or None
    if the password is the user's. It takes as long either way, and the caller answers
    every failure alike, so a guesser cannot tell a wrong user from a wrong password.
    Slow (scrypt): run it off the event loop."""
    if user is None:
        auth.verify_password(password, _DUMMY_HASH)
        return "unknown_user"
    if not auth.verify_password(password, user.password_hash):
        return "bad_password"
    return "disabled" if user.disabled else None


def open_session(tx: Transaction, username: str, now_ms: int, lifetime_ms: int) -> NewSession:
    session = NewSession(auth.new_session_id(), auth.new_csrf_token(), now_ms + lifetime_ms)
    access.insert_session(
        tx, auth.digest(session.session_id), username, session.csrf_token, now_ms,
        session.expires_at_ms,
    )  # fmt: skip
    access.audit(tx, f"user:{username}", "user.login", username, {}, now_ms)
    return session


def log_out(tx: Transaction, session_id: str) -> None:
    access.delete_session(tx, auth.digest(session_id))
