"""``borderpass hub`` through the real command line, in subprocesses, on a temp dir:
init, export-trust, rotate-key, add-user, add-token, serve. A permit issued after the
rotation's lead time is signed by the new key and verifies at an edge's decide() with
the exported bundle."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import NOW_MS, SITES, TODAY
from hubkit import EMPLOYER, permit_body

from borderpass.clock import ManualClock, accelerated_spec
from hub.app import create_app
from hub.config import load_config
from protocol.days import DAY_MS, start_of_day_ms
from protocol.refs import ReferenceData
from protocol.trust import decode_trust_bundle
from protocol.verdict import Direction, Outcome, decide


def hub_command(
    data: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``borderpass hub ...`` (the hub's command tree, as ``borderpass.cli`` wires it)."""
    env = {
        **os.environ,
        "BORDERPASS_HUB_CLOCK": accelerated_spec(NOW_MS, 1.0, time.time_ns() // 10**6),
    }
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", "hub", args[0], "--data", str(data), *args[1:]],
        input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_keys_private_and_prints_the_token_once(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    done = hub_command(data, "init")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("bpt_") and "admin API token" in done.stdout
    keys = data / "keys"
    assert mode(keys) == 0o700
    key_files = sorted(p.name for p in keys.iterdir())
    assert key_files[-1] == "root.key" and key_files[0].startswith("issuer-")
    assert all(mode(p) == 0o600 for p in keys.iterdir())
    assert token.encode() not in (data / "hub.db").read_bytes()
    again = hub_command(data, "init")
    assert again.returncode == 2 and "already initialised" in again.stderr
    assert "bpt_" not in again.stdout
    assert sorted(p.name for p in keys.iterdir()) == key_files


async def test_rotation_export_and_a_permit_that_verifies_at_an_edge(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    data = tmp_path / "hub"
    token = hub_command(data, "init").stdout.strip().splitlines()[-1]
    out1 = tmp_path / "trust-1.bundle"
    assert hub_command(data, "export-trust", "--out", str(out1)).returncode == 0
    root, trust1, _ = decode_trust_bundle(out1.read_bytes())
    assert trust1.version == 1 and len(trust1.keys) == 1
    rotated = hub_command(data, "rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    assert "trust list version 2" in rotated.stdout
    out2 = tmp_path / "trust-2.bundle"
    assert hub_command(data, "export-trust", "--out", str(out2)).returncode == 0
    root2, trust2, _ = decode_trust_bundle(out2.read_bytes())
    assert root2 == root and trust2.version == 2
    old, new = trust2.keys
    assert old == trust1.keys[0]
    assert 7 * 86_400 - 120 <= new.not_before - NOW_MS // 1000 <= 7 * 86_400 + 120
    assert len(list((data / "keys").glob("issuer-*.key"))) == 2

    clock = ManualClock(NOW_MS + DAY_MS)
    client: TestClient = await aiohttp_client(create_app(load_config(data, env={}), clock))
    admin = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/api/employers", json=EMPLOYER, headers=admin)).status == 201
    before = await client.post("/api/permits", json=permit_body(), headers=admin)
    assert (await before.json())["permit_id"]
    before_key = (await (await client.get(f"/api/permits/{(await before.json())['permit_id']}",
                                          headers=admin)).json())["key_id"]  # fmt: skip
    assert before_key == old.key_id.hex()

    clock.set(start_of_day_ms(TODAY) + 8 * DAY_MS + 12 * 3600_000)
    later = permit_body(worker={"border_pass_no": "VN-BP-0099"})
    later["valid_from"] = (TODAY + timedelta(days=8)).isoformat()
    after = await client.post("/api/permits", json=later, headers=admin)
    assert after.status == 201, await after.text()
    issued = await after.json()
    detail = await (await client.get(f"/api/permits/{issued['permit_id']}", headers=admin)).json()
    assert detail["key_id"] == new.key_id.hex()
    verdict = decide(issued["qr"], SITES.site("dongxing-port"), Direction.IN, clock.now_ms(),
                     trust2, ReferenceData(), clock.now_ms())  # fmt: skip
    assert verdict.outcome is Outcome.ALLOW, verdict.reasons
    stale = decide(issued["qr"], SITES.site("dongxing-port"), Direction.IN, clock.now_ms(),
                   trust1, ReferenceData(), clock.now_ms())  # fmt: skip
    assert stale.outcome is Outcome.DENY  # an edge without the new list cannot verify it


async def test_add_user_and_token_from_the_cli(tmp_path: Path, aiohttp_client: Any) -> None:
    data = tmp_path / "hub"
    hub_command(data, "init")
    weak = hub_command(data, "add-user", "--username", "hr1", "--role", "issuer", stdin="short\n")
    assert weak.returncode == 2 and "weak_password" in weak.stderr
    user = hub_command(data, "add-user", "--username", "hr1", "--role", "issuer",
                       stdin="a long enough password\n")  # fmt: skip
    assert user.returncode == 0, user.stderr
    unbound = hub_command(data, "add-token", "--role", "employer")
    assert unbound.returncode == 2 and "bad_binding" in unbound.stderr
    made = hub_command(data, "add-token", "--role", "police", "--label", "station 3")
    assert made.returncode == 0, made.stderr
    police = made.stdout.strip().splitlines()[-1]
    client: TestClient = await aiohttp_client(
        create_app(load_config(data, env={}), ManualClock(NOW_MS))
    )
    headers = {"Authorization": f"Bearer {police}"}
    assert (await client.get("/api/trust", headers=headers)).status == 200
    assert (await client.post("/api/permits", json=permit_body(), headers=headers)).status == 403


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    token = hub_command(data, "init").stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "hub", "serve", "--data", str(data),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/trust", headers={"Authorization": f"Bearer {token}"}
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 200
                    assert b'"version": 1' in response.read()
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "hub serve did not answer in 30 s"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
