"""Sites, zones and the travel time between sites, from the shipped ``sites.toml``.

A permit's zones allow an area and, implicitly, the zones above it: a worker allowed
in ``dongxing/jiangping`` must cross ``dongxing`` to get there. A zone does not allow
the zones below it: ``dongxing`` lets a worker be in the city, not inside a park.

A checkpoint stands on the boundary between an inner zone and an outer one; passing it
``in`` means entering the outer zone. An outer zone of ``None`` is inland China, where
no permit goes.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any


class SiteKind(StrEnum):
    BORDER_GATE = "border_gate"
    PARK_GATE = "park_gate"
    CHECKPOINT = "checkpoint"


@dataclass(frozen=True, slots=True)
class Names:
    zh: str
    vi: str
    en: str

    def get(self, lang: str) -> str:
        return {"zh": self.zh, "vi": self.vi}.get(lang, self.en)


@dataclass(frozen=True, slots=True)
class Zone:
    path: str
    names: Names

    @property
    def parent(self) -> str | None:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else None


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    kind: SiteKind
    zone: str
    """Where a person standing at the site is: the park, the city, or a checkpoint's
    inner zone."""
    outer: str | None
    """For a checkpoint, the zone beyond it (None: inland China). None elsewhere."""
    lat: float
    lon: float
    names: Names

    @property
    def is_park(self) -> bool:
        return self.kind is SiteKind.PARK_GATE


@dataclass(frozen=True, slots=True)
class TravelModel:
    road_factor: float
    max_speed_kmh: float
    clock_tolerance_s: int


@dataclass(frozen=True, slots=True)
class SiteMap:
    version: int
    zones: Mapping[str, Zone]
    sites: Mapping[str, Site]
    travel: TravelModel

    def site(self, site_id: str) -> Site:
        return self.sites[site_id]

    def min_travel_seconds(self, a: str, b: str) -> int:
        """The fastest plausible trip between two sites, less the clock tolerance
        (never below zero): scans closer in time than this cannot be one person."""
        if a == b:
            return 0
        sa, sb = self.sites[a], self.sites[b]
        km = _haversine_km(sa.lat, sa.lon, sb.lat, sb.lon) * self.travel.road_factor
        seconds = km / self.travel.max_speed_kmh * 3600
        return max(0, int(seconds) - self.travel.clock_tolerance_s)

    def parks_of(self, zones: Iterable[str]) -> list[Site]:
        wanted = set(zones)
        return [s for s in self.sites.values() if s.is_park and s.zone in wanted]


def permitted_area(zones: Iterable[str]) -> frozenset[str]:
    """The zones a permit's list allows: each named zone and every zone above it."""
    return _area_of(tuple(zones))


@lru_cache(maxsize=1024)
def _area_of(zones: tuple[str, ...]) -> frozenset[str]:
    # Cached: every scan asks, and a site sees the same few zone lists all day.
    area: set[str] = set()
    for zone in zones:
        parts = zone.split("/")
        area.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return frozenset(area)


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _names(table: Mapping[str, Any], what: str) -> Names:
    try:
        return Names(zh=str(table["zh"]), vi=str(table["vi"]), en=str(table["en"]))
    except KeyError as exc:
        raise ValueError(f"{what}: missing name {exc}") from exc


def _site(site_id: str, t: Mapping[str, Any], zones: Mapping[str, Zone]) -> Site:
    try:
        site = Site(
            site_id=site_id,
            kind=SiteKind(t["kind"]),
            zone=t["zone"],
            outer=t.get("outer"),
            lat=float(t["lat"]),
            lon=float(t["lon"]),
            names=_names(t, f"site {site_id}"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"site {site_id}: missing or bad setting: {exc}") from exc
    for zone in (site.zone, site.outer):
        if zone is not None and zone not in zones:
            raise ValueError(f"site {site_id}: unknown zone {zone}")
    if site.outer is not None and site.kind is not SiteKind.CHECKPOINT:
        raise ValueError(f"site {site_id}: only a checkpoint has an outer zone")
    return site


def parse_site_map(text: str) -> SiteMap:
    """Parse a sites TOML document; raise ``ValueError`` naming what is wrong."""
    doc = tomllib.loads(text)
    for table in ("zones", "sites"):
        if not isinstance(doc.get(table), dict):
            raise ValueError(f"site map: no [{table}] table")
    zones = {path: Zone(path, _names(t, f"zone {path}")) for path, t in doc["zones"].items()}
    sites = {site_id: _site(site_id, t, zones) for site_id, t in doc["sites"].items()}
    for z in zones.values():
        if z.parent is not None and z.parent not in zones:
            raise ValueError(f"zone {z.path}: unknown parent {z.parent}")
    travel = doc.get("travel", {})
    return SiteMap(
        version=int(doc.get("version", 1)),
        zones=zones,
        sites=sites,
        travel=TravelModel(
            road_factor=float(travel.get("road_factor", 1.2)),
            max_speed_kmh=float(travel.get("max_speed_kmh", 100)),
            clock_tolerance_s=int(travel.get("clock_tolerance_s", 30)),
        ),
    )


def default_site_map_text() -> str:
    """The sites.toml shipped with the package (a packaged resource, not a user file)."""
    return resources.files("protocol").joinpath("data/sites.toml").read_text("utf-8")


def default_site_map() -> SiteMap:
    return parse_site_map(default_site_map_text())
