"""An edge's enrolment is written to the hub's audit log, with the site and the
fingerprint of the key it registered, through real servers on loopback."""

from __future__ import annotations

from pathlib import Path

from factories import NOW_MS
from synckit import EdgeServer, HubServer

from borderpass.clock import ManualClock
from edge.identity import load_edge_key
from protocol.keys import fingerprint


async def test_enrolment_is_audited(tmp_path: Path) -> None:
    clock = ManualClock(NOW_MS)
    hub = await HubServer.start(tmp_path / "hub", clock)
    edge = await EdgeServer.enrol(tmp_path / "edge", hub, "kec-park", clock)
    try:
        edge_id = (await edge.status())["edge_id"]
        audit = await hub.api("GET", f"/api/audit?target={edge_id}")
        enrolled = [a for a in audit["audit"] if a["action"] == "edge.enrol"]
        assert len(enrolled) == 1
        record = enrolled[0]
        key = load_edge_key(edge.config.key_path)
        assert record["actor"] == f"edge:{edge_id}"
        assert record["detail"]["site_id"] == "kec-park"
        assert record["detail"]["key_fingerprint"] == fingerprint(key.public_key)
        assert record["detail"]["software"].startswith("borderpass-edge/")
    finally:
        await edge.stop()
        await hub.stop()
