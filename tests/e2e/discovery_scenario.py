"""Run INSIDE a network namespace (see test_discovery.py): a hub advertising itself with
zeroconf on the namespace's loopback, an impostor advertising another key, and an edge
enrolled and served with no hub address. Prints one JSON line with what happened."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from procs import Service, borderpass, call, free_port, hub_init

from edge.discovery import find_hub
from hub.discovery import HubAdvertiser
from protocol.keys import SigningKey

EMPLOYER = {
    "employer_id": "E-KEC-1", "name_zh": "跨合区电子", "name_vi": "Điện tử KEC",
    "hiring_permit_no": "DX-1", "hiring_permit_valid_from": "2026-01-01",
    "hiring_permit_valid_until": "2030-12-31", "park_zone": "dongxing/kec",
}  # fmt: skip


def pinned_root(edge_dir: Path) -> bytes:
    conn = sqlite3.connect(edge_dir / "edge.db")
    try:
        (value,) = conn.execute(
            "SELECT value FROM edge_info WHERE key = 'root_public_key'"
        ).fetchone()
    finally:
        conn.close()
    return bytes.fromhex(value)


async def impostor(port: int) -> HubAdvertiser:
    fake = HubAdvertiser(SigningKey.generate().public_key, "impostor", port, ["127.0.0.1"])
    await fake.start()
    return fake


def main(root: Path) -> dict[str, object]:
    token = hub_init(root / "hub")
    hub = Service(["hub", "serve", "--data", str(root / "hub")], free_port(), root / "hub.log")
    edge = Service(["edge", "serve", "--data", str(root / "edge")], free_port(), root / "e.log")
    loop = asyncio.new_event_loop()  # the impostor answers queries from its own thread
    threading.Thread(target=loop.run_forever, daemon=True).start()
    fake = asyncio.run_coroutine_threadsafe(impostor(free_port()), loop).result(10)
    hub.start()
    try:
        time.sleep(1.0)  # let the advertisement settle
        call("POST", hub.url + "/api/employers", EMPLOYER, token)
        _, made = call("POST", hub.url + "/api/edges", {"site_id": "kec-park"}, token)
        enrolled = borderpass("edge", "enrol", "--data", str(root / "edge"),
                              "--token", made["token"])  # fmt: skip
        edge.start()
        deadline = time.monotonic() + 30
        status: dict[str, object] = {}
        while time.monotonic() < deadline:
            call("POST", edge.url + "/api/sync", timeout=60)
            _, status = call("GET", edge.url + "/api/status")
            if status["hub"]["reachable"] and status["trust"]["version"]:  # type: ignore[index]
                break
            time.sleep(0.5)
        _, edges = call("GET", hub.url + "/api/edges", token=token)
        edge.stop()
        hub.stop()  # now only the impostor advertises: the pinned key must not match it
        pinned = pinned_root(root / "edge")
        alone = asyncio.run(find_hub(pinned, ["127.0.0.1"], 3.0))
        return {"enrol_output": enrolled, "status": status, "edges": edges,
                "hub_port": hub.port, "found_with_impostor_alone": alone}  # fmt: skip
    finally:
        edge.stop()
        hub.stop()
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
