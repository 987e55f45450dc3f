"""``kill -9`` of the edge and of the hub in the middle of a sync, as real processes
started with the user's command lines, then restart: the hub ends with exactly the
edge's log, nothing lost, nothing twice, the chain intact."""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path

import pytest
from procs import Service, borderpass, call, free_port, hub_init

from protocol.events import GENESIS, chain_breaks

EMPLOYER = {
    "employer_id": "E-JP-01", "name_zh": "江平制衣", "name_vi": "May Giang Bình",
    "hiring_permit_no": "DX-PY-1", "hiring_permit_valid_from": "2026-01-01",
    "hiring_permit_valid_until": "2030-12-31", "park_zone": "dongxing/jiangping",
}  # fmt: skip


def permit_body(valid_from: str) -> dict[str, object]:
    return {
        "worker": {"name": "Lê Thị Hoa", "border_pass_no": "VN-BP-7", "birth_date": "1992-02-02",
                   "sex": "F"},
        "employer_id": "E-JP-01", "zones": ["dongxing/jiangping"], "valid_from": valid_from,
        "valid_until": valid_from, "health_cert_until": "2030-01-01",
        "insurance_until": "2030-01-01",
    }  # fmt: skip


def rows(database: Path, query: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(database)
    try:
        return list(conn.execute(query))
    finally:
        conn.close()


def wait_until_synced(edge: Service, timeout: float = 90) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    status: dict[str, object] = {}
    while time.monotonic() < deadline:
        code, status = call("GET", edge.url + "/api/status")
        if code == 200 and status["events"]["unacknowledged"] == 0:  # type: ignore[index]
            return status
        time.sleep(0.2)
    raise AssertionError(f"the edge never caught up: {status}")


@pytest.mark.slow
def test_kill_9_in_the_middle_of_sync_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    hub_dir, edge_dir = tmp_path / "hub", tmp_path / "edge"
    token = hub_init(hub_dir)
    hub = Service(["hub", "serve", "--data", str(hub_dir)], free_port(), tmp_path / "hub.log")
    env = dict(os.environ)
    env.update({
        "BORDERPASS_EDGE_PUSH_INTERVAL_S": "0.1", "BORDERPASS_EDGE_PULL_INTERVAL_S": "0.5",
        "BORDERPASS_EDGE_SYNC_BATCH_EVENTS": "15", "BORDERPASS_EDGE_BACKOFF_BASE_S": "0.05",
        "BORDERPASS_EDGE_BACKOFF_CAP_S": "0.5",
    })  # fmt: skip
    edge = Service(["edge", "serve", "--data", str(edge_dir)], free_port(),
                   tmp_path / "edge.log", env)  # fmt: skip
    hub.start()
    try:
        assert call("POST", hub.url + "/api/employers", EMPLOYER, token)[0] == 201
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
        code, issued = call("POST", hub.url + "/api/permits", permit_body(today), token)
        assert code == 201, issued
        code, made = call("POST", hub.url + "/api/edges", {"site_id": "dongxing-port"}, token)
        assert code == 201, made
        borderpass("edge", "enrol", "--data", str(edge_dir), "--hub", hub.url,
                   "--token", made["token"])  # fmt: skip
        edge.start()
        rng = random.Random(20261128)
        answered = 0
        for round_ in range(6):
            for i in range(40):
                scan = {"qr": issued["qr"], "direction": ("in", "check")[i % 2]}
                code, verdict = call("POST", edge.url + "/api/scan", scan)
                assert code == 200, verdict
                answered += 1
            time.sleep(rng.uniform(0.05, 0.4))  # a push is under way
            victim = hub if round_ % 2 == 0 else edge
            victim.kill()
            time.sleep(rng.uniform(0.0, 0.3))
            victim.start()
        wait_until_synced(edge)
        logged = rows(edge_dir / "edge.db", "SELECT seq, body FROM events ORDER BY seq")
        held = rows(hub_dir / "hub.db", "SELECT seq, body FROM events ORDER BY seq")
        assert len(logged) == answered
        assert held == logged
        assert chain_breaks(GENESIS, 0, [bytes(b) for _, b in held]) is None  # type: ignore[misc]
    finally:
        edge.stop()
        hub.stop()
