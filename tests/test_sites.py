"""Sites and zones: the shipped map matches DESIGN.md section 3, area semantics, and
travel times between sites."""

from __future__ import annotations

import itertools

import pytest

from protocol.sites import (
    SiteKind,
    SiteMap,
    default_site_map,
    default_site_map_text,
    parse_site_map,
    permitted_area,
)

# DESIGN.md section 3, as written there.
DESIGN_SITES = {
    "dongxing-port": ("border_gate", "dongxing", None, 21.541, 107.970),
    "beilun-bridge-2": ("border_gate", "dongxing", None, 21.553, 107.922),
    "border-trade-centre": ("park_gate", "dongxing/border-trade-centre", None, 21.545, 107.972),
    "kec-park": ("park_gate", "dongxing/kec", None, 21.560, 107.950),
    "jiangping-park": ("park_gate", "dongxing/jiangping", None, 21.600, 108.100),
    "chonglan-park": ("park_gate", "dongxing/chonglan", None, 21.620, 108.030),
    "hengjiang": ("checkpoint", "dongxing", "fangchenggang", 21.660, 108.150),
    "gangkou-park": ("park_gate", "fangchenggang/gangkou-park", None, 21.640, 108.350),
    "fangcheng-park": ("park_gate", "fangchenggang/fangcheng-park", None, 21.770, 108.350),
    "maoling": ("checkpoint", "fangchenggang", None, 21.850, 108.500),
}
DESIGN_ZONES = {
    "dongxing",
    "dongxing/border-trade-centre",
    "dongxing/kec",
    "dongxing/jiangping",
    "dongxing/chonglan",
    "fangchenggang",
    "fangchenggang/gangkou-park",
    "fangchenggang/fangcheng-park",
}


@pytest.fixture(scope="module")
def sites() -> SiteMap:
    return default_site_map()


def test_shipped_map_has_every_site_of_the_design(sites: SiteMap) -> None:
    assert set(sites.sites) == set(DESIGN_SITES)
    for site_id, (kind, zone, outer, lat, lon) in DESIGN_SITES.items():
        site = sites.site(site_id)
        assert (site.site_id, site.kind, site.zone, site.outer) == (site_id, kind, zone, outer)
        assert (site.lat, site.lon) == (lat, lon)
        assert site.is_park is (kind == "park_gate")


def test_shipped_map_has_every_zone_with_names(sites: SiteMap) -> None:
    assert set(sites.zones) == DESIGN_ZONES
    assert sites.zones["dongxing/jiangping"].parent == "dongxing"
    assert sites.zones["dongxing"].parent is None
    assert sites.zones["dongxing"].names.get("zh") == "东兴市"
    for item in [*sites.zones.values(), *sites.sites.values()]:
        for lang in ("zh", "vi", "en"):
            assert item.names.get(lang).strip()
    assert sites.site("hengjiang").names.get("zh") == "横江边防检查站"
    assert sites.site("hengjiang").names.get("fr") == sites.site("hengjiang").names.en


def test_every_site_zone_exists(sites: SiteMap) -> None:
    for site in sites.sites.values():
        assert site.zone in sites.zones
        assert site.outer is None or site.outer in sites.zones
        assert (site.outer is not None) <= (site.kind is SiteKind.CHECKPOINT)


def test_the_default_text_is_what_parses(sites: SiteMap) -> None:
    assert parse_site_map(default_site_map_text()) == sites
    assert sites.version >= 1


# -- permitted area -------------------------------------------------------------------------


def test_a_zone_allows_itself_and_the_zones_above() -> None:
    assert permitted_area(["dongxing/jiangping"]) == {"dongxing", "dongxing/jiangping"}
    assert permitted_area(["fangchenggang/gangkou-park", "dongxing"]) == {
        "dongxing",
        "fangchenggang",
        "fangchenggang/gangkou-park",
    }
    assert permitted_area(("a/b/c",)) == {"a", "a/b", "a/b/c"}


def test_a_zone_does_not_allow_the_zones_below() -> None:
    area = permitted_area(["dongxing"])
    assert "dongxing/jiangping" not in area
    assert "dongxing/kec" not in area
    assert "fangchenggang" not in area


def test_permitted_area_takes_any_iterable() -> None:
    zones = ["dongxing", "dongxing/kec"]
    assert permitted_area(iter(zones)) == permitted_area(tuple(zones)) == permitted_area(zones)
    assert permitted_area([]) == frozenset()


def test_parks_of(sites: SiteMap) -> None:
    parks = sites.parks_of(["dongxing", "dongxing/jiangping", "fangchenggang/gangkou-park"])
    assert sorted(p.site_id for p in parks) == ["gangkou-park", "jiangping-park"]
    assert sites.parks_of(["dongxing"]) == []


# -- travel times -------------------------------------------------------------------------


def test_travel_time_is_zero_to_the_same_site(sites: SiteMap) -> None:
    for site_id in sites.sites:
        assert sites.min_travel_seconds(site_id, site_id) == 0


def test_travel_time_is_symmetric_and_never_negative(sites: SiteMap) -> None:
    for a, b in itertools.combinations(sites.sites, 2):
        assert sites.min_travel_seconds(a, b) == sites.min_travel_seconds(b, a) >= 0


def test_travel_times_are_plausible(sites: SiteMap) -> None:
    minutes = {
        pair: sites.min_travel_seconds(*pair) / 60
        for pair in [
            ("dongxing-port", "border-trade-centre"),  # next door: a few hundred metres
            ("dongxing-port", "jiangping-park"),  # ~14 km
            ("dongxing-port", "hengjiang"),  # ~22 km
            ("dongxing-port", "maoling"),  # ~60 km
        ]
    }
    assert minutes[("dongxing-port", "border-trade-centre")] < 1
    assert 3 < minutes[("dongxing-port", "jiangping-park")] < 20
    assert 8 < minutes[("dongxing-port", "hengjiang")] < 30
    assert 25 < minutes[("dongxing-port", "maoling")] < 60
    # further is never quicker
    ordered = sorted(minutes, key=minutes.__getitem__)
    assert ordered == list(minutes)


def test_unknown_site_is_a_key_error(sites: SiteMap) -> None:
    with pytest.raises(KeyError):
        sites.site("nowhere")


# -- a site map someone edited ----------------------------------------------------------

MINIMAL = """
version = 3
[travel]
road_factor = 2.0
max_speed_kmh = 50
clock_tolerance_s = 0
[zones.a]
zh = "甲"
vi = "A"
en = "A"
[zones."a/p"]
zh = "乙"
vi = "P"
en = "P"
[sites.gate]
kind = "border_gate"
zone = "a"
lat = 0.0
lon = 0.0
zh = "门"
vi = "Cổng"
en = "Gate"
[sites.park]
kind = "park_gate"
zone = "a/p"
lat = 0.0
lon = 1.0
zh = "园"
vi = "Khu"
en = "Park"
"""


def test_edited_map_parses_with_its_travel_model() -> None:
    sites = parse_site_map(MINIMAL)
    assert sites.version == 3
    assert sites.travel.road_factor == 2.0
    # one degree of longitude at the equator is ~111.2 km; x2 road factor at 50 km/h
    assert sites.min_travel_seconds("gate", "park") == pytest.approx(111.19 * 2 / 50 * 3600, 5)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('zone = "a/p"', 'zone = "b"'), "unknown zone"),
        (('[zones."a/p"]', '[zones."c/p"]'), "unknown"),
        (('kind = "park_gate"', 'kind = "park_gate"\nouter = "a"'), "outer"),
        (('kind = "park_gate"', 'kind = "shop"'), "shop"),
        (('vi = "Khu"\n', ""), "name"),
        (('kind = "park_gate"\n', ""), "kind"),
        (("lat = 0.0\nlon = 1.0", "lat = 0.0"), "lon"),
        (("lon = 1.0", 'lon = "east"'), "site park.*east"),
        (("[zones.a]", "[zonez.a]"), "unknown zone a"),
        (("[zones.", "[areas."), "zones"),
        (("[sites.", "[places."), "sites"),
        (("version = 3", "version = = 3"), "Invalid value"),
    ],
)
def test_a_broken_map_is_refused_with_a_value_error(edit: tuple[str, str], message: str) -> None:
    text = MINIMAL.replace(*edit)
    assert text != MINIMAL
    with pytest.raises(ValueError, match=message):
        parse_site_map(text)
