"""The demo end to end, as CI runs it: ``borderpass demo`` as a real process, starting a
hub and ten edges as real processes on loopback (the hub in a network namespace when
the machine allows), a short run (60 workers, two simulated days, ``--no-serve``).
Every planted incident must be detected with its kind, and nothing flagged that the
truth does not explain."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from borderpass.demo import netns
from borderpass.demo.processes import port_is_free

PLANTED_KINDS = {"overstay", "late_exit", "reused_after_exit", "revoked_but_used",
                 "out_of_area", "inland_attempt", "impossible_travel"}  # fmt: skip


def free_port_base() -> int:
    for _ in range(50):
        base = random.randrange(20_000, 40_000)
        if all(port_is_free(base + i) for i in range(11)):
            return base
    raise AssertionError("no 11 free ports in a row")


def namespace_expected() -> bool:
    """Whether a demo started now gets the namespace: it can be made, and no other demo
    holds it."""
    if netns.unavailable_reason() is not None:
        return False
    claim = netns.Claim.take(netns.NAMESPACE, netns.LOCK_DIR)
    if claim is None:
        return False  # a demo already running keeps it
    claim.release()
    return True


def interruptible() -> None:
    """In the child: Ctrl-C's default action, which a background job lacks."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def processes_using(folder: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(folder) in cmdline:
                found.append(cmdline)
    return found


@pytest.mark.slow
def test_a_short_demo_detects_every_planted_incident_and_nothing_else(tmp_path: Path) -> None:
    data, expect_namespace = tmp_path / "demo", namespace_expected()
    argv = [sys.executable, "-m", "borderpass.cli", "demo", "--seed", "3", "--workers", "60",
            "--employers", "6", "--days", "2", "--speed", "3000", "--no-serve",
            "--data", str(data), "--port-base", str(free_port_base())]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=280, check=False)
    said = (done.stdout + done.stderr)[-8000:]  # the demo's own summary explains a failure
    assert done.returncode == 0, said

    summary = json.loads((data / "summary.json").read_text())
    assert summary["ok"] and summary["settled"] and summary["provisional"] == 0, said
    assert summary["missing"] == [] and summary["unexpected"] == [], said
    for kind in summary["scores"]:
        assert kind["precision"] == kind["recall"] == 1.0, said
    assert {k["kind"] for k in summary["scores"] if k["planted"]} >= PLANTED_KINDS, said
    assert summary["verdicts"]["as_planned"] == summary["verdicts"]["total"] > 400, said
    late = summary["late_log"]
    assert late["retracted_missed"] == [] and late["retracted_expected"] >= 3, said
    assert late["late_raised_after_sync"] == late["late_expected"] != [], said

    assert "Every planted incident was detected with its kind" in done.stdout
    if expect_namespace:
        zeroconf = "edge maoling (inside the namespace): enrolled, found the hub with zeroconf"
        assert zeroconf in done.stdout, said
        assert netns.NAMESPACE not in netns.run_command(["ip", "netns", "list"])
    else:
        assert "zeroconf skipped:" in done.stdout, said
    assert processes_using(data) == [], "a process of the demo outlived it"
    assert os.path.exists(data / "logs" / "hub.log")


@pytest.mark.slow
def test_ctrl_c_stops_every_process_and_removes_the_namespace(tmp_path: Path) -> None:
    data, log, expect_namespace = tmp_path / "demo", tmp_path / "out.txt", namespace_expected()
    argv = [sys.executable, "-m", "borderpass.cli", "demo", "--workers", "40", "--employers",
            "6", "--days", "2", "--speed", "3000", "--data", str(data),
            "--port-base", str(free_port_base())]  # fmt: skip
    with open(log, "w") as out:  # Ctrl-C works as at a terminal, even if this runs in the
        demo = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,  # background
                                preexec_fn=interruptible)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "traffic [" not in log.read_text() and time.monotonic() < deadline:
            assert demo.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
        assert processes_using(data), "the hub and edges should be running"
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=60) == 130, log.read_text()[-3000:]
    finally:
        if demo.poll() is None:
            demo.kill()
    assert "borderpass demo: stopped" in log.read_text()
    assert processes_using(data) == []
    if expect_namespace:  # not when another demo holds it (this one then ran without)
        assert netns.NAMESPACE not in netns.run_command(["ip", "netns", "list"])
        gone = subprocess.run(["ip", "link", "show", netns.HOST_IF], capture_output=True,
                              check=False)  # fmt: skip
        assert gone.returncode != 0
