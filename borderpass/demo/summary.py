"""The end of a run, pure: what the edges said, what the hub holds, what the truth
expected; as text tables for a person and as a JSON document for tools and tests.

``Report.ok`` is the demo's own verdict on itself: every planted incident and every
incidental alert the rules imply is detected with its kind, nothing else is flagged
(precision and recall 1.0 for each kind), every scan got its planned verdict, the
offline gate's late log raised and retracted what it had to, and nothing is still
provisional once every edge has synced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from protocol.days import SHANGHAI_OFFSET_MS, to_datetime

from .schedule import Plan
from .traffic import ScanResult
from .truth import Expected, Truth

JSON = dict[str, Any]
EDGE_KINDS = frozenset({"edge_silent", "clock_skew", "log_integrity"})


@dataclass(frozen=True, slots=True)
class Observed:
    """What the demo read from the hub and the edges once the run settled."""

    now_ms: int
    alerts: Sequence[JSON]
    """``GET /api/alerts``."""
    hub_edges: Sequence[JSON]
    """``GET /api/edges``."""
    statuses: Mapping[str, JSON]
    """Each site's ``GET /api/status``."""
    found_by: Mapping[str, str]
    """Per site, how its edge found the hub at enrolment: ``address`` or ``zeroconf``."""
    max_lag_ms: Mapping[str, int] = field(default_factory=dict)
    """Per site, the longest the hub's view of the edge's log lagged during the run."""
    reconnected_ms: int | None = None
    """When the offline gate had the hub's address again."""
    settled: bool = True


@dataclass(frozen=True, slots=True)
class KindScore:
    kind: str
    planted: int
    expected: int
    detected: int
    matched: int

    @property
    def precision(self) -> float | None:
        return self.matched / self.detected if self.detected else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.expected if self.expected else None

    @property
    def perfect(self) -> bool:
        return self.matched == self.expected == self.detected


@dataclass(frozen=True, slots=True)
class Report:
    text: str
    ok: bool
    data: JSON


def subject_of(alert: Mapping[str, Any]) -> str:
    """A worker's alert is about the worker; an edge's, about its site."""
    if alert["kind"] in EDGE_KINDS:
        return str(alert.get("site") or alert.get("edge_id"))
    return str(alert.get("worker_id"))


def pairs(alerts: Iterable[Mapping[str, Any]], retracted: bool) -> set[Expected]:
    return {Expected(a["kind"], subject_of(a)) for a in alerts if bool(a["retracted"]) == retracted}


def score(truth: Truth, detected: set[Expected]) -> list[KindScore]:
    kinds = sorted({e.kind for e in truth.final | detected})
    return [
        KindScore(
            kind,
            planted=sum(1 for e in truth.planted if e.kind == kind),
            expected=sum(1 for e in truth.final if e.kind == kind),
            detected=sum(1 for e in detected if e.kind == kind),
            matched=sum(1 for e in detected & truth.final if e.kind == kind),
        )
        for kind in kinds
    ]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table, columns as wide as their widest cell."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def wall_time(instant_ms: int | None) -> str:
    if instant_ms is None:
        return "-"
    return to_datetime(instant_ms + SHANGHAI_OFFSET_MS).strftime("%m-%d %H:%M")


def duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    minutes = max(0, ms) // 60_000
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def scans_table(results: Sequence[ScanResult]) -> tuple[str, JSON]:
    per_site: dict[str, Counter[str]] = {}
    for r in results:
        per_site.setdefault(r.scan.site, Counter())[r.verdict] += 1
    rows = [(site, sum(c.values()), c["allow"], c["deny"], c["alert"], c["error"])
            for site, c in sorted(per_site.items())]  # fmt: skip
    total = Counter(r.verdict for r in results)
    rows.append(
        ("all", len(results), total["allow"], total["deny"], total["alert"], total["error"])
    )
    data = {site: dict(c) for site, c in per_site.items()}
    return table(("site", "scans", "allow", "deny", "alert", "error"), rows), data


def verdict_mismatches(results: Sequence[ScanResult]) -> list[ScanResult]:
    return [r for r in results if r.verdict != r.scan.expect.value]


def alerts_table(alerts: Sequence[JSON]) -> str:
    kinds: dict[str, Counter[str]] = {}
    severity: dict[str, str] = {}
    for a in alerts:
        state = "retracted" if a["retracted"] else "standing"
        kinds.setdefault(a["kind"], Counter())[state] += 1
        if a["provisional"] and not a["retracted"]:
            kinds[a["kind"]]["provisional"] += 1
        severity[a["kind"]] = a["severity"]
    rows = [(k, severity[k], c["standing"], c["provisional"], c["retracted"])
            for k, c in sorted(kinds.items())]  # fmt: skip
    return table(("kind", "severity", "standing", "provisional", "retracted"), rows)


def sync_table(observed: Observed) -> str:
    hub_view = {e["site"]: e for e in observed.hub_edges if e.get("status") == "enrolled"}
    rows = []
    for site, status in sorted(observed.statuses.items()):
        seen = hub_view.get(site, {})
        through = seen.get("synced_through")
        rows.append((
            site, seen.get("edge_id", "-"), observed.found_by.get(site, "-"),
            status["events"]["logged"], status["events"]["unacknowledged"],
            seen.get("events_received", "-"), duration(observed.max_lag_ms.get(site)),
            duration(None if through is None else observed.now_ms - through),
            f"{(status['clock']['offset_ms'] or 0) / 1000:.1f}s",
        ))  # fmt: skip
    headers = ("site", "edge", "found hub by", "logged", "unacked", "hub has", "max lag",
               "lag at end", "clock offset")  # fmt: skip
    return table(headers, rows)


def score_table(scores: Sequence[KindScore]) -> str:
    rows = [(s.kind, s.planted, s.expected - s.planted, s.expected, s.detected, s.matched,
             ratio(s.precision), ratio(s.recall)) for s in scores]  # fmt: skip
    headers = ("kind", "planted", "incidental", "expected", "detected", "matched",
               "precision", "recall")  # fmt: skip
    return table(headers, rows)


def _by_kind(found: Iterable[Expected]) -> str:
    counts = Counter(e.kind for e in found)
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none"


def late_log(plan: Plan, truth: Truth, observed: Observed) -> tuple[str, JSON, bool]:
    """What the offline gate's late log raised and retracted, against the truth."""
    seen = pairs(observed.alerts, retracted=True)
    missed = truth.retracted - seen
    raised: dict[Expected, int] = {}
    for a in observed.alerts:
        if not a["retracted"]:
            key = Expected(a["kind"], subject_of(a))
            raised[key] = min(raised.get(key, a["raised_at"]), a["raised_at"])
    back = observed.reconnected_ms
    late_ok = {e for e in truth.late if back is not None and raised.get(e, -1) >= back}
    window = plan.offline
    text = "\n".join([
        f"{window.site} was offline from {wall_time(window.from_ms)} to "
        f"{wall_time(observed.reconnected_ms)} and logged {truth.offline_scans} scans meanwhile.",
        f"Raised by its late log once it synced: {len(late_ok)} of {len(truth.late)} expected"
        f" ({_by_kind(truth.late)}).",
        f"Retracted: {len(truth.retracted - missed)} of {len(truth.retracted)} expected"
        f" ({_by_kind(truth.retracted)}); missed: {_by_kind(missed)}.",
        f"Other alerts raised and then retracted by evidence that arrived later: "
        f"{len(seen - truth.retracted)} ({_by_kind(seen - truth.retracted)}).",
    ])  # fmt: skip
    data = {
        "offline_scans": truth.offline_scans,
        "late_expected": sorted(map(list, truth.late)),
        "late_raised_after_sync": sorted(map(list, late_ok)),
        "retracted_expected": len(truth.retracted),
        "retracted_missed": sorted(map(list, missed)),
        "other_retracted": dict(Counter(e.kind for e in seen - truth.retracted)),
    }
    return text, data, not missed and late_ok == truth.late


def incidents_table(plan: Plan, truth: Truth, standing: set[Expected], gone: set[Expected]) -> str:
    rows = []
    for incident in plan.incidents:
        wanted = [e for e in truth.planted | truth.planted_retracted
                  if e.subject == incident.subject]  # fmt: skip
        found = []
        for e in sorted(wanted):
            retract = e in truth.planted_retracted
            there = e in gone if retract else e in standing
            found.append(f"{e.kind} {'retracted' if retract else 'raised'}"
                         f"{'' if there else ' MISSING'}")  # fmt: skip
        rows.append((incident.name, incident.subject, incident.day, "; ".join(found),
                     incident.story))  # fmt: skip
    return table(("incident", "subject", "day", "alerts", "story"), rows)


def summarise(
    plan: Plan, truth: Truth, results: Sequence[ScanResult], observed: Observed
) -> Report:
    standing = pairs(observed.alerts, retracted=False)
    gone = pairs(observed.alerts, retracted=True)
    scores = score(truth, standing)
    scans_text, per_site = scans_table(results)
    wrong = verdict_mismatches(results)
    late_text, late_data, late_ok = late_log(plan, truth, observed)
    provisional = sum(1 for a in observed.alerts if a["provisional"] and not a["retracted"])
    ok = (all(s.perfect for s in scores) and not wrong and late_ok and provisional == 0
          and observed.settled)  # fmt: skip
    verdict_line = f"Verdicts: {len(results)} scans, {len(results) - len(wrong)} as planned."
    for r in wrong[:5]:
        verdict_line += (f"\n  {r.scan.worker_id} at {r.scan.site} ({r.scan.direction.value}, "
                         f"{wall_time(r.scan.at_ms)}): {r.verdict} {list(r.reasons)}, "
                         f"planned {r.scan.expect.value}")  # fmt: skip
    sections = [
        ("Scans per site", f"{scans_text}\n{verdict_line}"),
        ("Alerts at the hub", alerts_table(observed.alerts)),
        ("Sync with the hub (lags in simulated time)", sync_table(observed)),
        ("Planted incidents", incidents_table(plan, truth, standing, gone)),
        ("Detected versus expected, as (kind, worker or edge) pairs", score_table(scores)),
        ("The offline gate's late log", late_text),
    ]
    text = "\n\n".join(f"== {title}\n{body}" for title, body in sections)
    text += "\n\n" + _conclusion(ok, scores, wrong, late_ok, provisional, observed.settled)
    data = {
        "ok": ok, "now": observed.now_ms, "settled": observed.settled, "scans": per_site,
        "verdicts": {"total": len(results), "as_planned": len(results) - len(wrong)},
        "scores": [{"kind": s.kind, "planted": s.planted, "expected": s.expected,
                    "detected": s.detected, "matched": s.matched,
                    "precision": s.precision, "recall": s.recall} for s in scores],
        "missing": sorted(map(list, truth.final - standing)),
        "unexpected": sorted(map(list, standing - truth.final)),
        "provisional": provisional, "late_log": late_data,
    }  # fmt: skip
    return Report(text, ok, data)


def _conclusion(
    ok: bool, scores: Sequence[KindScore], wrong: Sequence[ScanResult], late_ok: bool,
    provisional: int, settled: bool,
) -> str:  # fmt: skip
    if ok:
        return ("Every planted incident was detected with its kind and nothing else was "
                "flagged: precision and recall 1.00 for every kind.")  # fmt: skip
    problems = [f"{s.kind} (precision {ratio(s.precision)}, recall {ratio(s.recall)})"
                for s in scores if not s.perfect]  # fmt: skip
    if wrong:
        problems.append(f"{len(wrong)} verdicts not as planned")
    if not late_ok:
        problems.append("the late log did not raise or retract what it should")
    if provisional:
        problems.append(f"{provisional} alerts still provisional")
    if not settled:
        problems.append("the hub had not settled when the alerts were read")
    return "Differences from the truth: " + "; ".join(problems) + "."
