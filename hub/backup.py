"""Back up and restore the hub's database.

``backup`` uses SQLite's online backup API, so it is consistent while the hub runs.
``restore`` puts a copy back (the hub must be stopped) and gives the hub a **new
epoch**: every edge then takes the restored hub's acknowledgements as they are and
resends what the copy lacks from its own log (edges keep acknowledged events for their
retention period), and pulls every dataset afresh. Keys are not in the database; they
stay in ``DIR/keys``.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path

from borderpass.private import DIR_MODE, private_file
from hub.store import schema
from hub.store import trust as trust_store


def backup(database: Path, destination: Path) -> None:
    """Copy ``database`` to ``destination``, a file only its owner may read (it holds
    password hashes, token digests and every worker's crossings)."""
    destination.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    private_file(destination)
    source = sqlite3.connect(database)
    target = sqlite3.connect(destination)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def restore(database: Path, copy: Path, now_ms: int) -> str:
    """Replace ``database`` by ``copy`` and return the new epoch."""
    if not copy.exists():
        raise FileNotFoundError(copy)
    staged = database.with_name(database.name + ".restoring")
    staged.unlink(missing_ok=True)
    backup(copy, staged)
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    os.replace(staged, database)
    epoch = secrets.token_hex(8)
    db = schema.open_database(database)
    try:
        db.write_blocking(lambda tx: trust_store.set_epoch(tx, epoch, now_ms))
    finally:
        db.close()
    return epoch
