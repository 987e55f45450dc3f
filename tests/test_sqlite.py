"""The group-committing SQLite writer: shared commits, per-job savepoints and undo,
durability across reopening and a killed process, and readers."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from borderpass.sqlite import Database, Transaction


def migrate(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS scans (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS child (id INTEGER PRIMARY KEY, parent_id INTEGER "
        "REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
    )


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path / "data" / "test.db", migrate).open()
    yield db
    db.close()


Job = Callable[[Transaction], Any]


def insert(note: str) -> Job:
    def job(tx: Transaction) -> int:
        cursor = tx.conn.execute("INSERT INTO scans (note) VALUES (?)", (note,))
        return int(cursor.lastrowid or 0)

    return job


def notes(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT note FROM scans ORDER BY id")]


class Gate:
    """A job that holds the writer until the test opens it, so that the jobs
    submitted meanwhile queue up and go into one transaction together."""

    def __init__(self, db: Database) -> None:
        self._started = threading.Event()
        self._open = threading.Event()
        self.future = db.submit(self._job)
        assert self._started.wait(30), "the writer never took the gate job"

    def _job(self, tx: Transaction) -> str:
        self._started.set()
        assert self._open.wait(30), "the test never opened the gate"
        tx.conn.execute("INSERT INTO scans (note) VALUES ('gate')")
        return "gate"

    def open(self) -> None:
        self._open.set()


def submit_gated(db: Database, jobs: list[Job]) -> list[Future[Any]]:
    """The gate's future, then one per job: all the jobs commit in one transaction."""
    gate = Gate(db)
    futures = [db.submit(job) for job in jobs]
    gate.open()
    return [gate.future, *futures]


# -- group commit -------------------------------------------------------------------------


async def test_concurrent_writers_share_commits(database: Database) -> None:
    jobs = [insert(f"scan {i}") for i in range(200)]
    futures = submit_gated(database, jobs)
    results = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
    assert results[0] == "gate"
    assert sorted(results[1:]) == list(range(2, 202))  # every job got its own row id
    # the gate job commits alone, the 200 others share one commit
    assert database.commits == 2
    assert len(await database.read(notes)) == 201


async def test_many_awaiting_writers_all_commit(database: Database) -> None:
    results = await asyncio.gather(*(database.write(insert(f"n{i}")) for i in range(100)))
    assert len(set(results)) == 100
    assert 1 <= database.commits <= 100
    assert sorted(await database.read(notes)) == sorted(f"n{i}" for i in range(100))


# -- a failing job ----------------------------------------------------------------------------


async def test_a_failing_job_rolls_back_only_its_own_savepoint(database: Database) -> None:
    undone: list[str] = []

    def with_undo(name: str, fail: bool) -> Job:
        def job(tx: Transaction) -> str:
            tx.conn.execute("INSERT INTO scans (note) VALUES (?)", (name,))
            tx.on_rollback(lambda: undone.append(f"{name}:first"))
            tx.on_rollback(lambda: undone.append(f"{name}:second"))
            if fail:
                raise RuntimeError(f"{name} failed")
            return name

        return job

    futures = submit_gated(
        database, [with_undo("a", False), with_undo("b", True), with_undo("c", False)]
    )
    gate, a, b, c = futures
    assert (await asyncio.wrap_future(a), await asyncio.wrap_future(c)) == ("a", "c")
    with pytest.raises(RuntimeError, match="b failed"):
        await asyncio.wrap_future(b)
    await asyncio.wrap_future(gate)
    assert await database.read(notes) == ["gate", "a", "c"]
    assert undone == ["b:second", "b:first"]  # only b's undo, newest first


async def test_a_failed_commit_rolls_back_the_batch_and_runs_every_undo(
    database: Database,
) -> None:
    """A deferred foreign key fails at COMMIT: nothing of the batch is on disk, every
    job's future fails and every undo runs; the writer goes on working."""
    undone: list[str] = []

    def job(name: str, orphan: bool) -> Job:
        def run(tx: Transaction) -> str:
            tx.conn.execute("INSERT INTO scans (note) VALUES (?)", (name,))
            if orphan:
                tx.conn.execute("INSERT INTO child (parent_id) VALUES (999)")
            tx.on_rollback(lambda: undone.append(name))
            return name

        return run

    futures = submit_gated(database, [job("x", False), job("orphan", True), job("y", False)])
    for future in futures[1:]:
        with pytest.raises(sqlite3.IntegrityError):
            await asyncio.wrap_future(future)
    assert sorted(undone) == ["orphan", "x", "y"]
    assert "x" not in await database.read(notes)
    assert await database.write(insert("after")) > 0
    assert (await database.read(notes))[-1] == "after"


# -- durability and readers -------------------------------------------------------------


async def test_data_is_there_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "reopen.db"
    first = Database(path, migrate).open()
    await first.write(insert("kept"))
    first.close()
    second = Database(path, migrate).open()  # migrate runs again, idempotently
    try:
        assert await second.read(notes) == ["kept"]
    finally:
        second.close()


def test_a_commit_survives_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_sqlite import insert, migrate
        from borderpass.sqlite import Database
        db = Database({str(path)!r}, migrate).open()
        db.write_blocking(insert("durable"))
        print("committed", flush=True)
        os._exit(9)  # no close, no flush, no atexit: like kill -9 after the commit
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "committed", result.stderr
    assert result.returncode == 9
    conn = sqlite3.connect(path)
    try:
        assert notes(conn) == ["durable"]
    finally:
        conn.close()


async def test_readers_see_committed_data_at_once(database: Database) -> None:
    for i in range(20):
        await database.write(insert(f"r{i}"))
        assert (await database.read(notes))[-1] == f"r{i}"
    assert database.read_blocking(notes)[-1] == "r19"


async def test_readers_cannot_write(database: Database) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await database.read(lambda conn: conn.execute("INSERT INTO scans (note) VALUES ('x')"))
    assert await database.read(notes) == []


async def test_durability_settings(database: Database) -> None:
    def pragmas(tx: Transaction) -> tuple[str, int, int]:
        mode = tx.conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = tx.conn.execute("PRAGMA synchronous").fetchone()[0]
        fks = tx.conn.execute("PRAGMA foreign_keys").fetchone()[0]
        return mode, sync, fks

    assert await database.write(pragmas) == ("wal", 2, 1)  # WAL, synchronous=FULL


async def test_transaction_offers_sqlite_utils(database: Database) -> None:
    def job(tx: Transaction) -> int:
        tx.db["scans"].insert({"note": "via sqlite-utils"})
        return tx.db["scans"].count

    assert await database.write(job) == 1


def test_writing_before_open_is_an_error(tmp_path: Path) -> None:
    db = Database(tmp_path / "closed.db", migrate)
    with pytest.raises(RuntimeError, match="not open"):
        db.submit(insert("x"))
    db.close()


def test_write_blocking_and_close_drains_the_queue(tmp_path: Path) -> None:
    db = Database(tmp_path / "drain.db", migrate).open()
    assert db.write_blocking(insert("one")) == 1
    futures = [db.submit(insert(f"q{i}")) for i in range(10)]
    db.close()
    assert all(f.done() and f.exception() is None for f in futures)


async def test_a_cancelled_caller_does_not_stop_the_writer(database: Database) -> None:
    """A caller that stops waiting (a client gone, a timeout) cancels its future; the
    writer must go on serving everyone else."""
    gate = Gate(database)
    waiting = asyncio.ensure_future(database.write(insert("abandoned")))
    others = [database.submit(insert(f"other {i}")) for i in range(3)]
    await asyncio.sleep(0)  # let the task submit its job
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    gate.open()
    assert await asyncio.wait_for(asyncio.wrap_future(gate.future), 10) == "gate"
    for future in others:
        assert await asyncio.wait_for(asyncio.wrap_future(future), 10) > 0
    assert await asyncio.wait_for(database.write(insert("later")), 10) > 0
    assert "abandoned" not in await database.read(notes)
