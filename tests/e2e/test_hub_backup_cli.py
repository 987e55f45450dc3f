"""``borderpass hub backup`` and ``hub restore`` through the real command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from procs import borderpass, hub_init


def epoch_of(database: Path) -> str:
    conn = sqlite3.connect(database)
    try:
        return str(conn.execute("SELECT epoch FROM hub_identity").fetchone()[0])
    finally:
        conn.close()


def test_backup_then_restore_gives_the_copy_a_new_epoch(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    hub_init(data)
    before = epoch_of(data / "hub.db")
    out = borderpass("hub", "backup", "--data", str(data), "--out", str(tmp_path / "copy.db"))
    assert "copied" in out
    assert epoch_of(tmp_path / "copy.db") == before
    out = borderpass("hub", "restore", "--data", str(data), "--from", str(tmp_path / "copy.db"))
    after = epoch_of(data / "hub.db")
    assert after != before
    assert after in out


def test_restore_from_nothing_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    hub_init(data)
    with pytest.raises(RuntimeError, match="no backup"):
        borderpass("hub", "restore", "--data", str(data), "--from", str(tmp_path / "missing.db"))
