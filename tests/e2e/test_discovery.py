"""Discovery with zeroconf, for real, inside a network namespace this test makes (so
that nothing is ever multicast on a real interface): the hub advertises on the
namespace's loopback, an impostor advertises another key, and an edge with no hub
address enrols, finds the real hub, ignores the impostor and syncs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = Path(__file__).with_name("discovery_scenario.py")


def netns_available() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


@pytest.fixture
def netns() -> str:
    if not netns_available():
        pytest.skip("needs root and iproute2 to make a network namespace")
    name = f"bp-test-{os.getpid()}"
    try:
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot make a network namespace here: {exc.stderr.decode().strip()}")
    try:
        for command in (["ip", "link", "set", "lo", "up"],
                        ["ip", "link", "set", "lo", "multicast", "on"]):  # fmt: skip
            subprocess.run(["ip", "netns", "exec", name, *command], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.mark.slow
@pytest.mark.netns
def test_an_edge_with_no_address_finds_the_pinned_hub(netns: str, tmp_path: Path) -> None:
    done = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, str(SCENARIO), str(tmp_path)],
        capture_output=True, text=True, timeout=180, check=False,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "found with zeroconf" in result["enrol_output"]
    status = result["status"]
    assert status["hub"]["reachable"] is True, status
    assert status["trust"]["version"] >= 1
    (edge,) = result["edges"]["edges"]
    assert edge["site"] == "kec-park"
    assert edge["last_pull"] is not None
    edge_log = (tmp_path / "e.log").read_text()
    assert f"found the hub at http://127.0.0.1:{result['hub_port']} with zeroconf" in edge_log
    assert result["found_with_impostor_alone"] is None  # an impostor's key is refused
