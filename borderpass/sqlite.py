"""SQLite for async services: one writer thread with group commit, pooled readers.

Why this shape (after datasette's ``database.py``):

* SQLite allows one writer at a time; a single thread that owns the only write
  connection serialises writes without lock contention or ``database is locked``.
* **Group commit.** The writer takes every job waiting in its queue, runs them in one
  ``BEGIN IMMEDIATE`` transaction (each inside its own savepoint, so one failing job
  does not sink the others) and commits once. Concurrent callers share one fsync, so
  durability does not cost throughput. A caller's future resolves only after
  ``COMMIT`` returned: the data is on disk.
* **Durability settings.** ``journal_mode=WAL`` with ``synchronous=FULL``: in WAL mode
  FULL fsyncs the write-ahead log at every commit, so a committed transaction survives
  a power cut as well as a ``kill -9``. (NORMAL would survive a process crash but could
  lose the last commits on power loss.)
* **Undo.** A job that changes in-memory state as well as rows registers an undo with
  :meth:`Transaction.on_rollback`; if its savepoint or the whole commit fails, the undo
  runs, so memory never claims what the disk does not hold.
* **Private.** The file is made 0600 before SQLite opens it (SQLite gives its ``-wal``
  and ``-shm`` files the database's mode), and a looser existing file is tightened.
* Readers run on a small thread pool, each thread with its own read-only connection,
  so reads never block the event loop or the writer.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from borderpass.private import DIR_MODE, private_file

T = TypeVar("T")
Migrate = Callable[[sqlite_utils.Database], None]


@dataclass
class Transaction:
    """What a write job gets: the connection, sqlite-utils over it, and undo hooks."""

    conn: sqlite3.Connection
    _undo: list[Callable[[], None]] = field(default_factory=list)

    @property
    def db(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self.conn)

    def on_rollback(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)


@dataclass
class _Job:
    run: Callable[[Transaction], Any]
    future: Future[Any]
    undo: list[Callable[[], None]] = field(default_factory=list)


_STOP = object()


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        conn.execute("PRAGMA query_only = 1")
    return conn


class Database:
    """A SQLite file with one group-committing writer and pooled readers."""

    def __init__(
        self,
        path: Path,
        migrate: Migrate,
        *,
        synchronous: str = "FULL",
        max_batch: int = 512,
        readers: int = 4,
        page_size: int | None = None,
        cache_mb: int | None = None,
        checkpoint_pages: int | None = None,
    ) -> None:
        """``page_size`` applies to a database this call creates (SQLite fixes it
        then); ``cache_mb`` sizes the writer's page cache (default: SQLite's 2 MB);
        ``checkpoint_pages`` is the WAL size that triggers a checkpoint (default
        1000 pages)."""
        self.path = Path(path)
        self._migrate = migrate
        self._synchronous = synchronous
        self._page_size = page_size
        self._cache_mb = cache_mb
        self._checkpoint_pages = checkpoint_pages
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix=f"read-{self.path.stem}")
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self.commits = 0
        """Transactions committed so far (for tests and benchmarks of group commit)."""

    def open(self) -> Database:
        self.path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        private_file(self.path)
        conn = connect(self.path)
        if self._page_size is not None:
            conn.execute(f"PRAGMA page_size = {int(self._page_size)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        if self._cache_mb is not None:
            conn.execute(f"PRAGMA cache_size = -{int(self._cache_mb) * 1024}")
        if self._checkpoint_pages is not None:
            conn.execute(f"PRAGMA wal_autocheckpoint = {int(self._checkpoint_pages)}")
        self._migrate(sqlite_utils.Database(conn))
        self._conn = conn
        self._thread = threading.Thread(target=self._run, name=f"write-{self.path.stem}")
        self._thread.daemon = True
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None
            self._conn.close()
        self._readers.shutdown(wait=True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()

    # -- writing ---------------------------------------------------------------------

    def submit(self, run: Callable[[Transaction], T]) -> Future[T]:
        if self._thread is None:
            raise RuntimeError("database is not open")
        future: Future[T] = Future()
        self._queue.put(_Job(run, future))
        return future

    async def write(self, run: Callable[[Transaction], T]) -> T:
        """Run ``run`` in the writer; return its result once it is committed. If the
        caller is cancelled before the writer takes the job, the job does not run."""
        return await asyncio.wrap_future(self.submit(run))

    def write_blocking(self, run: Callable[[Transaction], T]) -> T:
        return self.submit(run).result()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Job]) -> None:
        # A caller that stopped waiting (a timeout, a client gone) cancelled its future:
        # skip its job, as an executor would. The others are marked running, so a late
        # cancel cannot make setting their result fail and kill this thread.
        batch = [job for job in batch if job.future.set_running_or_notify_cancel()]
        if not batch:
            return
        conn = self._conn
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                outcomes.append(self._run_job(conn, job))
            conn.execute("COMMIT")
        except Exception as exc:  # the commit failed: nothing of this batch is on disk
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for job in reversed(batch):
                for undo in reversed(job.undo):
                    undo()
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        self.commits += 1
        for job, result, error in outcomes:
            if error is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(error)

    @staticmethod
    def _run_job(conn: sqlite3.Connection, job: _Job) -> tuple[_Job, Any, BaseException | None]:
        tx = Transaction(conn, job.undo)
        conn.execute("SAVEPOINT job")
        try:
            result = job.run(tx)
        except Exception as exc:
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            for undo in reversed(job.undo):
                undo()
            job.undo.clear()
            return job, None, exc
        conn.execute("RELEASE job")
        return job, result, None

    # -- reading ---------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
            self._local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        return conn

    def read_blocking(self, query: Callable[[sqlite3.Connection], T]) -> T:
        return self._readers.submit(lambda: query(self._reader())).result()

    async def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``query`` on a reader thread's own read-only connection."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: query(self._reader()))
