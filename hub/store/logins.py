"""Login attempts and lockouts, per subject (``user:NAME`` or ``address:IP``), for the
login rate limit (:mod:`hub.logins` decides; this module only stores)."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from borderpass.sqlite import Transaction

MIGRATIONS = sqlite_utils.Migrations("hub.logins")


@MIGRATIONS()
def create_login_tables(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE login_attempts (
            attempt_id INTEGER PRIMARY KEY,
            subject TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        );
        CREATE INDEX login_attempts_by_subject ON login_attempts(subject, at_ms);
        CREATE TABLE login_lockouts (
            subject TEXT PRIMARY KEY,
            until_ms INTEGER NOT NULL
        );
        """
    )


def locked_until(conn: sqlite3.Connection, subject: str, now_ms: int) -> int | None:
    row = conn.execute(
        "SELECT until_ms FROM login_lockouts WHERE subject = ? AND until_ms > ?",
        (subject, now_ms),
    ).fetchone()
    return None if row is None else int(row[0])


def count_attempts(conn: sqlite3.Connection, subject: str, since_ms: int) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM login_attempts WHERE subject = ? AND at_ms > ?",
        (subject, since_ms),
    ).fetchone()
    return int(row[0])


def record_attempt(tx: Transaction, subject: str, at_ms: int) -> int:
    row = tx.conn.execute(
        "INSERT INTO login_attempts (subject, at_ms) VALUES (?, ?) RETURNING attempt_id",
        (subject, at_ms),
    ).fetchone()
    return int(row[0])


def forget_attempt(tx: Transaction, attempt_id: int) -> None:
    tx.conn.execute("DELETE FROM login_attempts WHERE attempt_id = ?", (attempt_id,))


def forget_subject(tx: Transaction, subject: str) -> None:
    """Clear a subject's attempts and lockout (a good login, an admin's reset)."""
    tx.conn.execute("DELETE FROM login_attempts WHERE subject = ?", (subject,))
    tx.conn.execute("DELETE FROM login_lockouts WHERE subject = ?", (subject,))


def lock(tx: Transaction, subject: str, until_ms: int) -> None:
    tx.conn.execute(
        "INSERT INTO login_lockouts (subject, until_ms) VALUES (?, ?) "
        "ON CONFLICT (subject) DO UPDATE SET until_ms = excluded.until_ms",
        (subject, until_ms),
    )


def prune(tx: Transaction, attempts_before_ms: int, now_ms: int) -> None:
    """Forget attempts too old to count and lockouts that are over."""
    tx.conn.execute("DELETE FROM login_attempts WHERE at_ms <= ?", (attempts_before_ms,))
    tx.conn.execute("DELETE FROM login_lockouts WHERE until_ms <= ?", (now_ms,))
