"""The reconciliation benchmark still runs (at a small size; timings are not checked:
the machine is shared)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "reconcile.py"


def test_the_benchmark_runs_and_ends_with_its_json_line() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--workers", "60", "--batch", "50"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert {"events_per_s", "incremental_batch_ms", "engine_full_history_batch_ms"} <= set(figures)
    assert all(value > 0 for value in figures.values())
    assert any(line.startswith("generated 6,000 events") for line in lines)
    assert any(line.startswith("workers with a settled cut: 60 of 60") for line in lines)
