"""The demo's summary: (kind, subject) pairs from the hub's alerts, precision and
recall per kind, the late log's account, and the verdict on the run."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from borderpass.demo.plan import build_plan
from borderpass.demo.population import build_population
from borderpass.demo.schedule import Plan, wall
from borderpass.demo.summary import (
    Observed,
    pairs,
    score,
    subject_of,
    summarise,
    table,
)
from borderpass.demo.traffic import ScanResult
from borderpass.demo.truth import Expected, Truth, ground_truth
from protocol.sites import default_site_map

SITES = default_site_map()


def alert(kind: str, subject: str, *, retracted: bool = False, raised_at: int = 0,
          provisional: bool = False) -> dict[str, Any]:  # fmt: skip
    edge = kind in ("edge_silent", "clock_skew", "log_integrity")
    return {
        "id": f"{kind}-{subject}-{retracted}", "kind": kind, "severity": "high",
        "worker_id": None if edge else subject, "site": subject if edge else "kec-park",
        "edge_id": f"{subject}-1" if edge else None, "retracted": retracted,
        "provisional": provisional, "raised_at": raised_at, "at": raised_at,
    }  # fmt: skip


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(build_population(1, 40, 6, 2), SITES)


@pytest.fixture(scope="module")
def truth(plan: Plan) -> Truth:
    return ground_truth(plan, SITES, wall(2, 23))


def faithful(plan: Plan, truth: Truth) -> Observed:
    """What a hub that did everything right would answer."""
    back = plan.offline.to_ms + 60_000
    alerts = [alert(e.kind, e.subject, raised_at=back if e in truth.late else 0)
              for e in truth.final]  # fmt: skip
    alerts += [alert(e.kind, e.subject, retracted=True) for e in truth.retracted]
    status = {"events": {"logged": 3, "unacknowledged": 0}, "clock": {"offset_ms": 20}}
    return Observed(wall(2, 23), alerts, [], {"kec-park": status}, {"kec-park": "address"},
                    {}, back)  # fmt: skip


def results(plan: Plan) -> list[ScanResult]:
    return [ScanResult(s, s.expect.value, (), s.at_ms) for s in plan.scans]


def test_an_alert_is_about_its_worker_or_its_edges_site() -> None:
    assert subject_of(alert("overstay", "VN-1")) == "VN-1"
    assert subject_of(alert("edge_silent", "kec-park")) == "kec-park"
    both = [alert("overstay", "VN-1"), alert("overstay", "VN-2", retracted=True)]
    assert pairs(both, retracted=False) == {Expected("overstay", "VN-1")}
    assert pairs(both, retracted=True) == {Expected("overstay", "VN-2")}


def test_precision_and_recall_per_kind() -> None:
    truth = Truth(frozenset({Expected("overstay", "A"), Expected("overstay", "B")}),
                  frozenset({Expected("overstay", "A")}), frozenset(), frozenset(),
                  frozenset(), 0)  # fmt: skip
    detected = {Expected("overstay", "A"), Expected("overstay", "C"), Expected("late_exit", "A")}
    scores = {s.kind: s for s in score(truth, detected)}
    assert (scores["overstay"].precision, scores["overstay"].recall) == (0.5, 0.5)
    assert scores["overstay"].planted == 1 and not scores["overstay"].perfect
    assert (scores["late_exit"].precision, scores["late_exit"].recall) == (0.0, None)


def test_a_faithful_hub_makes_a_perfect_report(plan: Plan, truth: Truth) -> None:
    report = summarise(plan, truth, results(plan), faithful(plan, truth))
    assert report.ok, report.text
    assert all(s["precision"] == s["recall"] == 1.0 for s in report.data["scores"])
    assert report.data["missing"] == report.data["unexpected"] == []
    assert "precision and recall 1.00 for every kind" in report.text
    assert "MISSING" not in report.text


def test_a_stray_alert_a_missed_one_or_a_wrong_verdict_fail_the_run(
    plan: Plan, truth: Truth
) -> None:
    observed = faithful(plan, truth)
    stray = replace(observed, alerts=[*observed.alerts, alert("double_entry", "VN-X")])
    report = summarise(plan, truth, results(plan), stray)
    assert not report.ok and report.data["unexpected"] == [["double_entry", "VN-X"]]
    assert "double_entry (precision 0.00" in report.text

    kept = [a for a in observed.alerts if a["kind"] != "overstay"]
    report = summarise(plan, truth, results(plan), replace(observed, alerts=kept))
    assert not report.ok and "overstay raised MISSING" in report.text

    wrong = results(plan)
    wrong[0] = ScanResult(wrong[0].scan, "deny", ("expired",), wrong[0].at_ms)
    report = summarise(plan, truth, wrong, observed)
    assert not report.ok and "1 verdicts not as planned" in report.text


def test_the_late_log_must_raise_after_the_gate_syncs_and_retract(plan: Plan, truth: Truth) -> None:
    observed = faithful(plan, truth)
    early = [dict(a, raised_at=0) for a in observed.alerts]
    report = summarise(plan, truth, results(plan), replace(observed, alerts=early))
    assert not report.ok and report.data["late_log"]["late_raised_after_sync"] == []

    unretracted = [a for a in observed.alerts if not a["retracted"]]
    report = summarise(plan, truth, results(plan), replace(observed, alerts=unretracted))
    assert not report.ok
    assert len(report.data["late_log"]["retracted_missed"]) == len(truth.retracted)


def test_a_provisional_alert_at_the_end_fails_the_run(plan: Plan, truth: Truth) -> None:
    observed = faithful(plan, truth)
    alerts = [dict(a, provisional=True) if a["kind"] == "overstay" else a
              for a in observed.alerts]  # fmt: skip
    report = summarise(plan, truth, results(plan), replace(observed, alerts=alerts))
    assert not report.ok and "still provisional" in report.text


def test_tables_line_up() -> None:
    text = table(("site", "scans"), [("kec-park", 12), ("maoling", 1)])
    lines = text.splitlines()
    assert lines[0] == "site      scans"
    assert lines[1] == "--------  -----"
    assert lines[2] == "kec-park  12"
    assert lines[3] == "maoling   1"
