"""The tables of alerts as work (the migration set ``hub.alerts``, applied after the
sync tables): ``alerts`` and ``alert_history`` (queried in :mod:`hub.store.alerts`),
and the reconciler's and the webhook's work tables with the triggers that fill the
dirty log (queried in :mod:`hub.store.alert_queues`)."""

from __future__ import annotations

import sqlite_utils

MIGRATIONS = sqlite_utils.Migrations("hub.alerts")


@MIGRATIONS()
def create_alert_tables(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE alerts (
            alert_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            severity TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
            provisional INTEGER NOT NULL CHECK (provisional IN (0, 1)),
            permit_id TEXT,
            worker_id TEXT,
            employer_id TEXT,
            site TEXT,
            edge_id TEXT,
            at_ms INTEGER NOT NULL,
            evidence TEXT NOT NULL,
            facts TEXT NOT NULL,
            raised_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            acknowledged_at_ms INTEGER,
            acknowledged_by TEXT,
            resolved_at_ms INTEGER,
            resolved_by TEXT,
            resolution_note TEXT,
            retracted INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
            retracted_by TEXT
        );
        CREATE INDEX alerts_by_time ON alerts(at_ms);
        CREATE INDEX alerts_by_worker ON alerts(worker_id, retracted);
        CREATE INDEX alerts_by_employer ON alerts(employer_id, status);
        CREATE INDEX alerts_by_status ON alerts(status, severity);
        CREATE INDEX alerts_by_kind ON alerts(kind, retracted);
        CREATE TABLE alert_history (
            change_id INTEGER PRIMARY KEY,
            alert_id TEXT NOT NULL REFERENCES alerts(alert_id),
            at_ms INTEGER NOT NULL,
            actor TEXT NOT NULL,
            change TEXT NOT NULL,
            detail TEXT NOT NULL,
            note TEXT
        );
        CREATE INDEX alert_history_by_alert ON alert_history(alert_id, change_id);
        CREATE TABLE dirty_workers (
            worker_id TEXT PRIMARY KEY,
            mark INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TRIGGER events_mark_dirty AFTER INSERT ON events
        WHEN NEW.worker_id IS NOT NULL
        BEGIN
            INSERT INTO dirty_workers (worker_id, mark) VALUES (NEW.worker_id, 1)
            ON CONFLICT (worker_id) DO UPDATE SET mark = mark + 1;
        END;
        INSERT INTO dirty_workers (worker_id, mark)
            SELECT DISTINCT worker_id, 1 FROM events WHERE worker_id IS NOT NULL;
        CREATE TABLE worker_watch (
            worker_id TEXT PRIMARY KEY,
            in_china INTEGER NOT NULL,
            since_ms INTEGER,
            due_ms INTEGER,
            reconciled_at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX worker_watch_due ON worker_watch(due_ms) WHERE due_ms IS NOT NULL;
        CREATE TABLE alert_outbox (
            delivery_id INTEGER PRIMARY KEY,
            alert_id TEXT NOT NULL REFERENCES alerts(alert_id),
            payload TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_attempt_ms INTEGER,
            last_error TEXT,
            delivered_at_ms INTEGER
        );
        CREATE INDEX alert_outbox_pending ON alert_outbox(delivery_id)
            WHERE delivered_at_ms IS NULL;
        """
    )


_MARK_WORKERS_OF_REVOCATION = """
    INSERT INTO dirty_log (worker_id, at_ms)
    SELECT DISTINCT border_pass_no, -1 FROM permits
    WHERE (NEW.kind = 'permit' AND permit_id = NEW.subject)
       OR (NEW.kind = 'worker' AND border_pass_no = NEW.subject)
       OR (NEW.kind = 'employer' AND employer_id = NEW.subject);
"""


@MIGRATIONS()
def log_dirty_workers_and_keep_settled_cuts(db: sqlite_utils.Database) -> None:
    """A dirty worker is a row appended per scan (cheaper to write than a counter
    updated per scan), with the scan's instant: one before the worker's settled cut
    (``worker_watch.cut_ms``) asks for a recomputation from the first scan, as do a
    new permit (``at_ms`` -1) and a revocation or its lifting."""
    db.executescript(
        f"""
        DROP TRIGGER events_mark_dirty;
        CREATE TABLE dirty_log (
            seq INTEGER PRIMARY KEY,
            worker_id TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        );
        INSERT INTO dirty_log (worker_id, at_ms) SELECT worker_id, -1 FROM dirty_workers;
        DROP TABLE dirty_workers;
        CREATE TRIGGER events_mark_dirty AFTER INSERT ON events
        WHEN NEW.worker_id IS NOT NULL
        BEGIN
            INSERT INTO dirty_log (worker_id, at_ms) VALUES (NEW.worker_id, NEW.at_ms);
        END;
        CREATE TRIGGER permits_mark_dirty AFTER INSERT ON permits
        BEGIN
            INSERT INTO dirty_log (worker_id, at_ms) VALUES (NEW.border_pass_no, -1);
        END;
        CREATE TRIGGER revocations_mark_dirty AFTER INSERT ON revocations
        BEGIN {_MARK_WORKERS_OF_REVOCATION} END;
        CREATE TRIGGER reinstatements_mark_dirty AFTER UPDATE OF reinstated_at_s ON revocations
        BEGIN {_MARK_WORKERS_OF_REVOCATION} END;
        ALTER TABLE worker_watch ADD COLUMN cut_ms INTEGER;
        ALTER TABLE worker_watch ADD COLUMN settled TEXT;
        """
    )


@MIGRATIONS()
def follow_edge_logs_instead_of_a_trigger(db: sqlite_utils.Database) -> None:
    """New scans are found by each edge's log position instead of a row per scan: an
    edge's events are stored in sequence order together with its ``acked_seq``, so the
    events after ``reconciled_logs.seq`` are exactly the ones not reconciled yet. The
    dirty log keeps the registry's changes."""
    db.executescript(
        """
        DROP TRIGGER events_mark_dirty;
        CREATE TABLE reconciled_logs (
            edge_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL
        ) WITHOUT ROWID;
        """
    )
