"""The server-made SVG charts (hub.charts): well-formed, the right numbers in the right
places, names escaped; and the edge health conditions that colour the map."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import pytest
from factories import NOW_MS

from hub.charts import (
    CONDITION_COLOUR,
    EdgeCondition,
    HealthLimits,
    HourlyCrossings,
    condition_of,
    crossings_chart,
    hour_window,
    site_conditions,
    site_map,
)
from protocol.days import SHANGHAI_OFFSET_MS
from protocol.sites import Names, default_site_map

SVG = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script>"
HOUR_MS = 3_600_000
WORDS = {"ok": "ok", "lagging": "lagging", "silent": "silent", "pending": "pending",
         "none": "no edge", "south": "Vietnam"}  # fmt: skip


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def test_the_window_ends_with_the_hour_of_now() -> None:
    start = hour_window(NOW_MS + 30 * 60_000)  # 12:30 in Shanghai
    chart = HourlyCrossings(start, 24, {})
    assert [chart.hour_label(h) for h in (0, 1, 23)] == ["13", "14", "12"]
    assert start + 24 * HOUR_MS > NOW_MS + 30 * 60_000 >= start + 23 * HOUR_MS
    assert (start + SHANGHAI_OFFSET_MS) % HOUR_MS == 0


def test_the_crossings_chart_puts_each_count_in_its_cell() -> None:
    start = hour_window(NOW_MS)
    counts = {("dongxing-port", 0): 4, ("dongxing-port", 23): 10, ("kec-park", 23): 1}
    chart = HourlyCrossings(start, 24, counts)
    rows = [("dongxing-port", "东兴口岸"), ("kec-park", XSS), ("maoling", "茅岭")]
    svg = crossings_chart(chart, rows, "crossings", "total")
    assert XSS not in svg and "&lt;script&gt;" in svg
    root = parse(svg)
    tips = [el.text for el in root.iter(f"{SVG}title")]
    assert "东兴口岸 · 13:00 · 4" in tips and "东兴口岸 · 12:00 · 10" in tips
    assert f"{XSS} · 12:00 · 1" in tips and "茅岭 · 12:00 · 0" in tips
    shown = texts(root)
    assert shown.count("14") == 2  # the site total and the 14:00 axis label
    assert {"4", "10", "1", "0", "东兴口岸", XSS, "total"} <= set(shown)
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]
    assert len(cells) == 3 * 24
    assert root.get("aria-label") == "crossings"


def test_an_empty_chart_still_draws() -> None:
    root = parse(crossings_chart(HourlyCrossings(0, 24, {}), [], "none", "total"))
    assert [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"] == []


def health(**overrides: Any) -> dict[str, Any]:
    figures = {"edge_id": "dongxing-port-1", "site": "dongxing-port", "status": "enrolled",
               "silent_for_s": 60, "events_waiting": 0, "clock_offset_ms": 150,
               "trust_current": True}  # fmt: skip
    return figures | overrides


LIMITS = HealthLimits(silent_after_s=6 * 3600, clock_skew_ms=60_000)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, EdgeCondition.OK),
        ({"status": "revoked"}, EdgeCondition.REVOKED),
        ({"status": "awaiting_enrolment", "silent_for_s": None}, EdgeCondition.PENDING),
        ({"silent_for_s": None}, EdgeCondition.SILENT),
        ({"silent_for_s": 6 * 3600 + 1}, EdgeCondition.SILENT),
        ({"silent_for_s": 6 * 3600}, EdgeCondition.OK),
        ({"events_waiting": 3}, EdgeCondition.LAGGING),
        ({"trust_current": False}, EdgeCondition.LAGGING),
        ({"clock_offset_ms": -60_001}, EdgeCondition.LAGGING),
        ({"clock_offset_ms": None}, EdgeCondition.OK),
    ],
)
def test_an_edge_condition(overrides: dict[str, Any], expected: EdgeCondition) -> None:
    assert condition_of(health(**overrides), LIMITS) is expected


def test_a_site_shows_its_worst_live_edge() -> None:
    found = site_conditions(
        [health(), health(events_waiting=2), health(site="kec-park", status="revoked"),
         health(site="hengjiang", silent_for_s=None), health(site="hengjiang")],
        LIMITS,
    )  # fmt: skip
    assert found == {"dongxing-port": EdgeCondition.LAGGING, "hengjiang": EdgeCondition.SILENT}


def sites_of(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-site", ""): g for g in root.iter(f"{SVG}g") if g.get("data-site")}


def test_the_map_places_every_site_in_its_zone_coloured_by_health() -> None:
    sites = default_site_map()
    conditions = {"hengjiang": EdgeCondition.SILENT, "dongxing-port": EdgeCondition.OK}
    root = parse(site_map(sites, conditions, "zh", "map", WORDS))
    placed = sites_of(root)
    assert set(placed) == set(sites.sites)
    assert placed["hengjiang"].get("data-condition") == "silent"
    assert placed["kec-park"].get("data-condition") == "none"
    marker = placed["hengjiang"].find(f"{SVG}polygon")  # a checkpoint is a diamond
    assert marker is not None and marker.get("fill") == CONDITION_COLOUR[EdgeCondition.SILENT]
    port = placed["dongxing-port"].find(f"{SVG}rect")  # a border gate is a square
    assert port is not None and port.get("fill") == CONDITION_COLOUR[EdgeCondition.OK]
    assert placed["jiangping-park"].find(f"{SVG}circle") is not None
    assert "横江边防检查站" in texts(root) and "东兴市" in texts(root)
    xy = {k: _position(g) for k, g in placed.items()}
    assert xy["maoling"][0] > xy["hengjiang"][0] > xy["dongxing-port"][0]  # east is right
    assert xy["maoling"][1] < xy["hengjiang"][1] < xy["dongxing-port"][1]  # north is up
    zones = {g.get("data-zone"): g.find(f"{SVG}rect") for g in root.iter(f"{SVG}g")
             if g.get("data-zone")}  # fmt: skip
    assert set(zones) == {"dongxing", "fangchenggang"}
    homes = {"dongxing-port": "dongxing", "kec-park": "dongxing",
             "gangkou-park": "fangchenggang", "maoling": "fangchenggang"}  # fmt: skip
    for site_id, zone in homes.items():
        assert _inside(xy[site_id], zones[zone]), site_id


def _position(group: ET.Element) -> tuple[float, float]:
    label = group.find(f"{SVG}text")
    assert label is not None
    return float(label.get("x", "0")) - 12, float(label.get("y", "0"))


def _inside(point: tuple[float, float], rect: ET.Element | None) -> bool:
    assert rect is not None
    x, y, w, h = (float(rect.get(k, "0")) for k in ("x", "y", "width", "height"))
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def test_site_and_zone_names_are_escaped_in_the_map() -> None:
    sites = default_site_map()
    evil = Names(XSS, XSS, XSS)
    port = replace(sites.sites["dongxing-port"], names=evil)
    city = replace(sites.zones["dongxing"], names=evil)
    hostile = replace(sites, sites={**sites.sites, "dongxing-port": port},
                      zones={**sites.zones, "dongxing": city})  # fmt: skip
    svg = site_map(hostile, {}, "en", XSS, {**WORDS, "none": XSS})
    assert XSS not in svg
    root = parse(svg)
    assert texts(root).count(XSS) >= 2
