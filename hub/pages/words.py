"""Registry values in words for pages: zones by their names, dates, instants."""

from __future__ import annotations

from datetime import date

from protocol.days import shanghai_date, to_datetime
from protocol.sites import SiteMap


def zone_name(sites: SiteMap, zone: str, lang: str) -> str:
    found = sites.zones.get(zone)
    return found.names.get(lang) if found is not None else zone


def zone_names(sites: SiteMap, zones: tuple[str, ...], lang: str) -> str:
    return "、".join(zone_name(sites, z, lang) for z in zones)


def day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def instant(seconds: int | None) -> str:
    """An instant as Shanghai local date and time (the pages' time zone)."""
    if seconds is None:
        return ""
    local = to_datetime(seconds * 1000 + 8 * 3600 * 1000)
    return f"{shanghai_date(seconds * 1000).isoformat()} {local:%H:%M}"
