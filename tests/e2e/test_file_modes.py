"""The ``borderpass`` command leaves nothing readable by others, whatever the umask it
was started with: data directories 0700; databases, their WAL, keys, backups and trust
bundles 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from procs import Service, borderpass, call, free_port, hub_init


@pytest.fixture(autouse=True)
def lax_umask() -> Iterator[None]:
    """The umask of a careless shell: without our own care, files come out 0644."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def loose(root: Path) -> list[str]:
    """Every path under ``root`` (and itself) that group or others may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(root.parent)} {mode:o}")
    return found


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_hub_init_backup_and_export_trust_write_private_files(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    hub_init(hub)
    assert (hub / "hub.db").exists() and (hub / "keys" / "root.key").exists()
    assert loose(hub) == []
    assert mode_of(hub) == 0o700
    copy = tmp_path / "backups" / "hub-copy.db"
    borderpass("hub", "backup", "--data", str(hub), "--out", str(copy))
    assert mode_of(copy) == 0o600
    assert mode_of(copy.parent) == 0o700
    bundle = tmp_path / "trust.bundle"
    borderpass("hub", "export-trust", "--data", str(hub), "--out", str(bundle))
    assert mode_of(bundle) == 0o600
    edge = tmp_path / "edge"
    borderpass("edge", "init", "--data", str(edge), "--site", "dongxing-port",
               "--trust", str(bundle))  # fmt: skip
    assert {p.name for p in edge.iterdir()} >= {"edge.db", "edge.key"}
    assert loose(edge) == []
    assert mode_of(edge) == 0o700
    borderpass("hub", "restore", "--data", str(hub), "--from", str(copy))
    assert loose(hub) == []


def test_a_database_left_readable_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    hub_init(hub)
    os.chmod(hub / "hub.db", 0o644)
    borderpass("hub", "add-token", "--data", str(hub), "--role", "police")
    assert mode_of(hub / "hub.db") == 0o600


@pytest.mark.slow
def test_edge_enrol_writes_private_files(tmp_path: Path) -> None:
    hub_dir, edge_dir = tmp_path / "hub", tmp_path / "edge"
    token = hub_init(hub_dir)
    hub = Service(["hub", "serve", "--data", str(hub_dir)], free_port(), tmp_path / "hub.log")
    hub.start()
    try:
        code, made = call("POST", hub.url + "/api/edges", {"site_id": "dongxing-port"}, token)
        assert code == 201, made
        borderpass("edge", "enrol", "--data", str(edge_dir), "--hub", hub.url,
                   "--token", made["token"])  # fmt: skip
    finally:
        hub.stop()
    assert (edge_dir / "edge.db").exists() and (edge_dir / "edge.key").exists()
    assert loose(edge_dir) == []
    assert mode_of(edge_dir) == 0o700
    assert loose(hub_dir) == []
