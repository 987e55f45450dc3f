"""Charts the hub draws on the server as inline SVG (no script, nothing fetched): the
crossings per site and hour, and a schematic map of the sites with each site's edge
health as a colour.

Everything here is pure: counts, the site map and edge health in; :class:`Markup`
out, built with :func:`hub.html.tag`, so every name and label is escaped. Colours are
SVG presentation attributes and classes (the hub's Content-Security-Policy forbids
inline ``style``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hub.html import Markup, join, tag
from protocol.days import SHANGHAI_OFFSET_MS
from protocol.sites import Names, Site, SiteKind, SiteMap

HOUR_MS = 3_600_000
SVG_NS = "http://www.w3.org/2000/svg"


def _svg(width: float, height: float, label: str, content: Markup, class_: str) -> Markup:
    return tag("svg", content, xmlns=SVG_NS, viewBox=f"0 0 {width:.0f} {height:.0f}",
               width=f"{width:.0f}", height=f"{height:.0f}", role="img", aria_label=label,
               class_=class_, font_size=12, fill="#1d2430")  # fmt: skip


def _n(value: float) -> str:
    return f"{value:.1f}"


# -- crossings per site and hour ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourlyCrossings:
    """Crossings counted per (site, hour index) from ``start_ms`` on, ``hours`` hours."""

    start_ms: int
    hours: int
    counts: Mapping[tuple[str, int], int]

    def site_total(self, site: str) -> int:
        return sum(n for (s, _), n in self.counts.items() if s == site)

    def hour_total(self, hour: int) -> int:
        return sum(n for (_, h), n in self.counts.items() if h == hour)

    def hour_label(self, hour: int) -> str:
        """The hour's start on the Shanghai clock, ``HH``."""
        local = (self.start_ms + hour * HOUR_MS + SHANGHAI_OFFSET_MS) // HOUR_MS % 24
        return f"{local:02d}"


def hour_window(now_ms: int, hours: int = 24) -> int:
    """The start of a ``hours``-hour window ending with the hour that holds ``now_ms``."""
    return (now_ms // HOUR_MS + 1 - hours) * HOUR_MS


_LABEL_W, _CELL_W, _CELL_H, _BARS_H, _HEAD_H, _TOTAL_W = 170, 26, 22, 60, 18, 48


def _cell(row: int, hour: int, count: int, top: int, peak: int, tip: str) -> Markup:
    x, y = _LABEL_W + hour * _CELL_W, top + row * _CELL_H
    shade = "0.08" if count == 0 else f"{0.25 + 0.75 * count / peak:.2f}"
    parts = [tag("title", tip),
             tag("rect", x=x, y=y, width=_CELL_W - 2, height=_CELL_H - 2, fill="#12355b",
                 fill_opacity=shade, class_="cell")]  # fmt: skip
    if count:
        parts.append(tag("text", count, x=x + _CELL_W / 2 - 1, y=y + 15, text_anchor="middle",
                         font_size=11, fill="#fff" if count * 2 > peak else "#1d2430"))  # fmt: skip
    return tag("g", join(parts))


def _hour_bars(chart: HourlyCrossings, top: int) -> Markup:
    totals = [chart.hour_total(h) for h in range(chart.hours)]
    peak = max(totals, default=0) or 1
    bars = []
    for hour, total in enumerate(totals):
        height = (_BARS_H - 14) * total / peak
        x = _LABEL_W + hour * _CELL_W
        bars.append(tag("g", join([
            tag("title", f"{chart.hour_label(hour)}:00 · {total}"),
            tag("rect", x=x, y=_n(top + _BARS_H - height), width=_CELL_W - 2,
                height=_n(height), fill="#5b7fa6", class_="bar"),
        ])))  # fmt: skip
        bars.append(tag("text", chart.hour_label(hour), x=x + _CELL_W / 2 - 1, class_="axis",
                        y=top + _BARS_H + _HEAD_H - 4, text_anchor="middle"))  # fmt: skip
    return join(bars)


def crossings_chart(
    chart: HourlyCrossings, rows: Sequence[tuple[str, str]], title: str, total_label: str
) -> Markup:
    """A heat map, one row per site (``rows``: site id and its label) and one column per
    hour, over a bar per hour of all sites' crossings; each site's total at the right."""
    top = _BARS_H + _HEAD_H + 4
    peak = max(chart.counts.values(), default=0) or 1
    parts = [tag("title", title), _hour_bars(chart, 0)]
    right = _LABEL_W + chart.hours * _CELL_W + 6
    parts.append(tag("text", total_label, x=right, y=top - 6, class_="axis"))
    for row, (site, label) in enumerate(rows):
        y = top + row * _CELL_H
        parts.append(tag("text", label, x=_LABEL_W - 6, y=y + 15, text_anchor="end",
                         class_="label"))  # fmt: skip
        for hour in range(chart.hours):
            count = chart.counts.get((site, hour), 0)
            tip = f"{label} · {chart.hour_label(hour)}:00 · {count}"
            parts.append(_cell(row, hour, count, top, peak, tip))
        parts.append(tag("text", chart.site_total(site), x=right, y=y + 15, class_="total"))
    width = right + _TOTAL_W
    height = top + max(len(rows), 1) * _CELL_H + 4
    return _svg(width, height, title, join(parts), "chart crossings")


# -- edge health -------------------------------------------------------------------------


class EdgeCondition(StrEnum):
    """An edge's health in one word, the worst first."""

    SILENT = "silent"
    """Not heard from for longer than the limit, or never."""
    LAGGING = "lagging"
    """Heard from, but with events waiting, old trust data or a skewed clock."""
    OK = "ok"
    PENDING = "pending"
    """Made on the hub, not yet enrolled."""
    REVOKED = "revoked"
    NONE = "none"
    """No edge at the site."""


CONDITION_COLOUR = {
    EdgeCondition.SILENT: "#c0392b",
    EdgeCondition.LAGGING: "#e6a019",
    EdgeCondition.OK: "#2e8b57",
    EdgeCondition.PENDING: "#8a96a8",
    EdgeCondition.REVOKED: "#8a96a8",
    EdgeCondition.NONE: "#c9d1dc",
}
_RANK = tuple(EdgeCondition)


@dataclass(frozen=True, slots=True)
class HealthLimits:
    silent_after_s: int
    """An edge silent longer than this is ``silent``."""
    clock_skew_ms: int
    """An edge clock off by more than this is ``lagging``."""


def condition_of(health: Mapping[str, Any], limits: HealthLimits) -> EdgeCondition:
    """The condition of an edge from its health figures (:func:`hub.edges.health`)."""
    if health["status"] == "revoked":
        return EdgeCondition.REVOKED
    if health["status"] == "awaiting_enrolment":
        return EdgeCondition.PENDING
    silent = health["silent_for_s"]
    if silent is None or silent > limits.silent_after_s:
        return EdgeCondition.SILENT
    offset = health["clock_offset_ms"]
    skewed = offset is not None and abs(offset) > limits.clock_skew_ms
    if (health["events_waiting"] or 0) > 0 or not health["trust_current"] or skewed:
        return EdgeCondition.LAGGING
    return EdgeCondition.OK


def site_conditions(
    health: Sequence[Mapping[str, Any]], limits: HealthLimits
) -> dict[str, EdgeCondition]:
    """Per site, the worst condition of its edges that are not revoked (sites with no
    such edge are left out: their condition is ``none``)."""
    worst: dict[str, EdgeCondition] = {}
    for edge in health:
        found = condition_of(edge, limits)
        if found is EdgeCondition.REVOKED:
            continue
        held = worst.get(edge["site"])
        if held is None or _RANK.index(found) < _RANK.index(held):
            worst[edge["site"]] = found
    return worst


# -- the schematic map -------------------------------------------------------------------

_MAP_W, _MAP_H, _MARGIN, _ZONE_PAD = 760, 420, 50, 26
_NO_NAMES = Names("", "", "")


def _spread(values: Sequence[float]) -> list[float]:
    """Each value placed in [0, 1]: half by its position in the range, half by its rank,
    so that a tight cluster of sites (the port, the bridge and the trade centre lie
    within a few kilometres) opens up while the order of every pair is kept."""
    low, high = min(values), max(values)
    ranks = {v: i for i, v in enumerate(sorted(set(values)))}
    top = max(len(ranks) - 1, 1)
    return [0.5 * (v - low) / ((high - low) or 1) + 0.5 * ranks[v] / top for v in values]


def _place(sites: Sequence[Site]) -> dict[str, tuple[float, float]]:
    """Schematic positions, north up: x from longitude, y from latitude (:func:`_spread`)."""
    xs = _spread([s.lon for s in sites])
    ys = _spread([s.lat for s in sites])
    width, height = _MAP_W - 2 * _MARGIN - 150, _MAP_H - 2 * _MARGIN
    return {
        s.site_id: (_MARGIN + x * width, _MARGIN + 20 + (1 - y) * height)
        for s, x, y in zip(sites, xs, ys, strict=True)
    }


def _zone_boxes(sites: SiteMap, where: Mapping[str, tuple[float, float]], lang: str) -> Markup:
    boxes = []
    for path, zone in sorted(sites.zones.items()):
        if zone.parent is not None:
            continue
        inside = [where[s.site_id] for s in sites.sites.values()
                  if s.zone == path or s.zone.startswith(path + "/")]  # fmt: skip
        if not inside:
            continue
        x0, x1 = min(x for x, _ in inside) - _ZONE_PAD, max(x for x, _ in inside) + _ZONE_PAD
        y0, y1 = min(y for _, y in inside) - _ZONE_PAD - 20, max(y for _, y in inside) + _ZONE_PAD
        boxes.append(tag("g", join([
            tag("rect", x=_n(x0), y=_n(y0), width=_n(x1 - x0), height=_n(y1 - y0), rx=10,
                fill="#eef4fb", stroke="#12355b", stroke_dasharray="6 4"),
            tag("text", zone.names.get(lang), x=_n(x0 + 8), y=_n(y0 + 16), font_weight="bold",
                fill="#12355b"),
        ]), class_="zone", data_zone=path))  # fmt: skip
    return join(boxes)


def _marker(site: Site, x: float, y: float, colour: str) -> Markup:
    if site.kind is SiteKind.BORDER_GATE:
        return tag("rect", x=_n(x - 7), y=_n(y - 7), width=14, height=14, fill=colour,
                   class_="marker")  # fmt: skip
    if site.kind is SiteKind.CHECKPOINT:
        points = f"{_n(x)},{_n(y - 9)} {_n(x + 9)},{_n(y)} {_n(x)},{_n(y + 9)} {_n(x - 9)},{_n(y)}"
        return tag("polygon", points=points, fill=colour, class_="marker")
    return tag("circle", cx=_n(x), cy=_n(y), r=7, fill=colour, class_="marker")


def _label_rows(where: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """Each site label's baseline, nudged down where it would overlap an earlier one."""
    placed: list[tuple[float, float]] = []
    baselines: dict[str, float] = {}
    for site_id, (x, y) in sorted(where.items(), key=lambda item: (item[1][1], item[1][0])):
        baseline = y + 4
        while any(abs(baseline - py) < 13 and abs(x - px) < 120 for px, py in placed):
            baseline += 13
        placed.append((x, baseline))
        baselines[site_id] = baseline
    return baselines


def site_map(
    sites: SiteMap,
    conditions: Mapping[str, EdgeCondition],
    lang: str,
    title: str,
    words: Mapping[str, str],
) -> Markup:
    """The sites placed by their coordinates, inside their zones; each marker's shape
    says the kind of site (square: border gate, diamond: checkpoint, circle: park) and
    its colour the worst health of the site's edges. ``words`` gives the legend's
    text for each :class:`EdgeCondition` value, each :class:`SiteKind` value, and
    ``south`` (the border side)."""
    ordered = [sites.sites[k] for k in sorted(sites.sites)]
    where = _place(ordered)
    baselines = _label_rows(where)
    parts = [tag("title", title), _zone_boxes(sites, where, lang)]
    for site in ordered:
        x, y = where[site.site_id]
        condition = conditions.get(site.site_id, EdgeCondition.NONE)
        tip = f"{site.names.get(lang)} ({site.site_id}) · {words.get(condition.value, '')}"
        parts.append(tag("g", join([
            tag("title", tip), _marker(site, x, y, CONDITION_COLOUR[condition]),
            tag("text", site.names.get(lang), x=_n(x + 12), y=_n(baselines[site.site_id]),
                class_="site-name"),
        ]), class_="site", data_site=site.site_id, data_condition=condition.value))  # fmt: skip
    height = max(y for _, y in where.values()) + _MARGIN + 70
    parts.append(_legend(words, height - 12))
    return _svg(_MAP_W, height, title, join(parts), "chart site-map")


def _text_width(text: str) -> int:
    """A generous estimate of the width of ``text`` at 12 px (wide CJK characters)."""
    return sum(13 if ord(c) >= 0x2E80 else 7 for c in text)


def _legend(words: Mapping[str, str], y: float) -> Markup:
    items = [tag("text", words.get("south", ""), x=_MARGIN, y=_n(y - 44))]
    x = float(_MARGIN)
    for kind in SiteKind:
        shape = Site(kind.value, kind, "", None, 0.0, 0.0, _NO_NAMES)
        items.append(_marker(shape, x + 6, y - 26, CONDITION_COLOUR[EdgeCondition.PENDING]))
        label = words.get(kind.value, kind.value)
        items.append(tag("text", label, x=_n(x + 16), y=_n(y - 22)))
        x += 36 + _text_width(label)
    x = float(_MARGIN)
    for condition in (EdgeCondition.OK, EdgeCondition.LAGGING, EdgeCondition.SILENT,
                      EdgeCondition.PENDING, EdgeCondition.NONE):  # fmt: skip
        items.append(tag("circle", cx=_n(x + 6), cy=_n(y - 4), r=6,
                         fill=CONDITION_COLOUR[condition]))  # fmt: skip
        label = words.get(condition.value, condition.value)
        items.append(tag("text", label, x=_n(x + 16), y=_n(y)))
        x += 36 + _text_width(label)
    return tag("g", join(items), class_="legend")
