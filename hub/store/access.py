"""Users, API tokens, web sessions and the audit log.

Secrets are never stored: a token or session id is kept as its SHA-256 digest, a
password as its scrypt hash (:mod:`hub.auth` makes both).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

import sqlite_utils

from borderpass.sqlite import Transaction
from hub.auth import Role

MIGRATIONS = sqlite_utils.Migrations("hub.access")


@MIGRATIONS()
def create_access_tables(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            employer_id TEXT,
            created_at_ms INTEGER NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE api_tokens (
            token_id INTEGER PRIMARY KEY,
            token_digest TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,
            employer_id TEXT,
            label TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            revoked_at_ms INTEGER
        );
        CREATE TABLE sessions (
            session_digest TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES users(username),
            csrf_token TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            expires_at_ms INTEGER NOT NULL
        );
        CREATE TABLE audit_log (
            audit_id INTEGER PRIMARY KEY,
            at_ms INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX audit_by_target ON audit_log(target, at_ms);
        """
    )


@MIGRATIONS()
def add_token_expiry(db: sqlite_utils.Database) -> None:
    """An API token may end at a given instant (NULL: it lasts until revoked)."""
    db.execute("ALTER TABLE api_tokens ADD COLUMN expires_at_ms INTEGER")


@dataclass(frozen=True, slots=True)
class User:
    username: str
    password_hash: str
    role: Role
    employer_id: str | None
    disabled: bool


@dataclass(frozen=True, slots=True)
class ApiToken:
    token_id: int
    role: Role
    employer_id: str | None
    label: str
    created_at_ms: int
    created_by: str
    revoked_at_ms: int | None
    expires_at_ms: int | None = None

    def live(self, now_ms: int) -> bool:
        return self.revoked_at_ms is None and not self.expired(now_ms)

    def expired(self, now_ms: int) -> bool:
        return self.expires_at_ms is not None and now_ms >= self.expires_at_ms


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    role: Role
    employer_id: str | None
    csrf_token: str
    expires_at_ms: int


@dataclass(frozen=True, slots=True)
class AuditRecord:
    audit_id: int
    at_ms: int
    actor: str
    action: str
    target: str
    detail: dict[str, object]


# -- users -----------------------------------------------------------------------------


def insert_user(tx: Transaction, user: User, at_ms: int) -> None:
    tx.conn.execute(
        "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
        (user.username, user.password_hash, user.role.value, user.employer_id, at_ms,
         1 if user.disabled else 0),
    )  # fmt: skip


def get_user(conn: sqlite3.Connection, username: str) -> User | None:
    row = conn.execute(
        "SELECT username, password_hash, role, employer_id, disabled FROM users WHERE username = ?",
        (username,),
    ).fetchone()
    if row is None:
        return None
    name, digest, role, employer_id, disabled = row
    return User(name, digest, Role(role), employer_id, bool(disabled))


def set_disabled(tx: Transaction, username: str, disabled: bool) -> bool:
    """Disable or enable a user; False if there is no such user."""
    cursor = tx.conn.execute(
        "UPDATE users SET disabled = ? WHERE username = ?", (1 if disabled else 0, username)
    )
    return cursor.rowcount == 1


def set_password_hash(tx: Transaction, username: str, password_hash: str) -> bool:
    cursor = tx.conn.execute(
        "UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username)
    )
    return cursor.rowcount == 1


def list_users(conn: sqlite3.Connection) -> list[User]:
    rows = conn.execute(
        "SELECT username, password_hash, role, employer_id, disabled FROM users ORDER BY username"
    )
    return [User(n, d, Role(r), e, bool(x)) for n, d, r, e, x in rows]


# -- API tokens ------------------------------------------------------------------------


def insert_token(
    tx: Transaction,
    digest: str,
    role: Role,
    employer_id: str | None,
    label: str,
    created_by: str,
    at_ms: int,
    expires_at_ms: int | None = None,
) -> int:
    row = tx.conn.execute(
        "INSERT INTO api_tokens (token_digest, role, employer_id, label, created_at_ms, "
        "created_by, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING token_id",
        (digest, role.value, employer_id, label, at_ms, created_by, expires_at_ms),
    ).fetchone()
    return int(row[0])


_TOKEN_COLUMNS = (
    "token_id, role, employer_id, label, created_at_ms, created_by, revoked_at_ms, expires_at_ms"
)


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _token(row: tuple[object, ...]) -> ApiToken:
    tid, role, employer_id, label, created, by, revoked, expires = row
    return ApiToken(
        int(str(tid)),
        Role(str(role)),
        None if employer_id is None else str(employer_id),
        str(label),
        int(str(created)),
        str(by),
        _optional_int(revoked),
        _optional_int(expires),
    )


def token_by_digest(conn: sqlite3.Connection, digest: str) -> ApiToken | None:
    row = conn.execute(
        f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_digest = ?", (digest,)
    ).fetchone()
    return _token(row) if row else None


def list_tokens(conn: sqlite3.Connection) -> list[ApiToken]:
    rows = conn.execute(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens ORDER BY token_id")
    return [_token(r) for r in rows]


def revoke_token(tx: Transaction, token_id: int, at_ms: int) -> bool:
    cursor = tx.conn.execute(
        "UPDATE api_tokens SET revoked_at_ms = ? WHERE token_id = ? AND revoked_at_ms IS NULL",
        (at_ms, token_id),
    )
    return cursor.rowcount == 1


# -- sessions --------------------------------------------------------------------------


def insert_session(
    tx: Transaction, digest: str, username: str, csrf_token: str, at_ms: int, expires_ms: int
) -> None:
    tx.conn.execute("DELETE FROM sessions WHERE expires_at_ms < ?", (at_ms,))
    tx.conn.execute(
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
        (digest, username, csrf_token, at_ms, expires_ms),
    )


def session_by_digest(conn: sqlite3.Connection, digest: str, now_ms: int) -> Session | None:
    """The live session with this digest, of a user who is not disabled."""
    row = conn.execute(
        "SELECT s.username, u.role, u.employer_id, s.csrf_token, s.expires_at_ms "
        "FROM sessions s JOIN users u USING (username) "
        "WHERE s.session_digest = ? AND s.expires_at_ms > ? AND u.disabled = 0",
        (digest, now_ms),
    ).fetchone()
    if row is None:
        return None
    username, role, employer_id, csrf, expires = row
    return Session(username, Role(role), employer_id, csrf, expires)


def delete_session(tx: Transaction, digest: str) -> None:
    tx.conn.execute("DELETE FROM sessions WHERE session_digest = ?", (digest,))


def delete_user_sessions(tx: Transaction, username: str) -> int:
    """End every session of a user; return how many there were."""
    cursor = tx.conn.execute("DELETE FROM sessions WHERE username = ?", (username,))
    return cursor.rowcount


# -- audit log -------------------------------------------------------------------------


def audit(
    tx: Transaction,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, object],
    at_ms: int,
) -> None:
    """Record who did what to which target, when. Append-only."""
    tx.conn.execute(
        "INSERT INTO audit_log (at_ms, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (at_ms, actor, action, target, json.dumps(detail, ensure_ascii=False, sort_keys=True)),
    )


def list_audit(
    conn: sqlite3.Connection, *, target: str | None = None, limit: int = 200
) -> list[AuditRecord]:
    """Audit records, newest first, optionally about one target."""
    where, params = ("WHERE target = ?", (target,)) if target is not None else ("", ())
    rows = conn.execute(
        f"SELECT audit_id, at_ms, actor, action, target, detail FROM audit_log {where} "
        "ORDER BY audit_id DESC LIMIT ?",
        (*params, limit),
    )
    return [AuditRecord(a, t, who, what, on, json.loads(d)) for a, t, who, what, on, d in rows]
