"""Where the demo puts things and how it starts each process: the commands must be
ones the real ``borderpass`` program accepts, the settings must scale with the speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderpass.cli import build_parser
from borderpass.clock import parse_clock
from borderpass.demo.cli import MAX_SPEED
from borderpass.demo.layout import (
    HOUR_MS,
    SITE_ORDER,
    ZEROCONF_SITE,
    Layout,
    hub_settings,
    phase,
    run_start_ms,
    silent_hours,
)
from borderpass.demo.netns import Namespace
from borderpass.demo.schedule import wall
from protocol.sites import default_site_map

NS = Namespace("borderpass-demo", "10.231.0.1", "10.231.0.2")


def layouts() -> list[Layout]:
    return [Layout(Path("/tmp/d"), 8440, NS, "edge-token"),
            Layout(Path("/tmp/d"), 8440, None, "edge-token")]  # fmt: skip


def test_one_edge_per_shipped_site() -> None:
    assert list(SITE_ORDER) == list(default_site_map().sites)


@pytest.mark.parametrize("layout", layouts(), ids=["netns", "plain"])
def test_ports_and_addresses(layout: Layout) -> None:
    ports = [layout.edge_port(s) for s in SITE_ORDER]
    assert len(set(ports)) == 10 and layout.port_base not in ports
    inside = layout.namespace is not None
    assert layout.hub_url == ("http://10.231.0.2:8440" if inside else "http://127.0.0.1:8440")
    assert layout.edge_url(ZEROCONF_SITE).startswith(
        "http://10.231.0.2" if inside else "http://127.0.0.1"
    )
    assert (layout.port_base in layout.host_ports()) is not inside
    assert (layout.edge_port(ZEROCONF_SITE) in layout.host_ports()) is not inside
    assert bool(layout.edge_headers(ZEROCONF_SITE)) is inside


@pytest.mark.parametrize("layout", layouts(), ids=["netns", "plain"])
def test_every_command_is_one_the_program_accepts(layout: Layout) -> None:
    run = phase("run", wall(1, 0), 1440.0)
    parser = build_parser()
    commands = [layout.hub_init(run.spec), layout.hub_serve(run, 1440.0)]
    for site in SITE_ORDER:
        commands += [layout.edge_enrol(site, "-token-with-a-dash", run),
                     layout.edge_serve(site, run, "http://127.0.0.1:9")]  # fmt: skip
    for command in commands:
        args = parser.parse_args(list(command.args))
        assert callable(args.run)
        if getattr(args, "token", None) is not None:
            assert args.token == "-token-with-a-dash"


def test_the_zeroconf_edge_enrols_without_an_address_inside_the_namespace() -> None:
    layout = layouts()[0]
    run = phase("run", wall(1, 0), 1440.0)
    inside = layout.edge_enrol(ZEROCONF_SITE, "t", run)
    assert "--hub" not in inside.args and inside.argv()[:4] == NS.exec_prefix()
    served = layout.edge_serve(ZEROCONF_SITE, run)
    assert served.env["BORDERPASS_EDGE_API_TOKEN"] == "edge-token"
    outside = layout.edge_enrol("kec-park", "t", run)
    assert "--hub" in outside.args and outside.netns is None
    assert layout.hub_serve(run, 1440.0).env["BORDERPASS_HUB_ADVERTISE"] == "true"
    assert layouts()[1].hub_serve(run, 1440.0).env["BORDERPASS_HUB_ADVERTISE"] == "false"


def test_an_offline_edge_gets_the_dead_address() -> None:
    run = phase("run", wall(1, 0), 1440.0)
    command = layouts()[1].edge_serve("beilun-bridge-2", run, "http://127.0.0.1:9")
    assert command.env["BORDERPASS_EDGE_HUB_URL"] == "http://127.0.0.1:9"
    assert "BORDERPASS_EDGE_HUB_URL" not in layouts()[1].edge_serve("beilun-bridge-2", run).env


def test_jitter_thresholds_scale_with_the_speed() -> None:
    real = hub_settings(1.0, advertise=False)
    assert real["BORDERPASS_HUB_SYNC_WINDOW_S"] == "300"
    assert real["BORDERPASS_HUB_CLOCK_SKEW_MS"] == "60000"
    assert real["BORDERPASS_HUB_EDGE_SILENT_HOURS"] == "6"
    fast = hub_settings(3600.0, advertise=False)
    assert int(fast["BORDERPASS_HUB_SYNC_WINDOW_S"]) == 60 * 3600
    assert int(fast["BORDERPASS_HUB_EDGE_SILENT_HOURS"]) == 12
    assert silent_hours(MAX_SPEED) < 24, "the offline day must outlast the silence threshold"


def test_a_phase_clock_is_one_spec_every_process_reads_alike() -> None:
    run = phase("run", wall(1, 0), 1440.0)
    again = parse_clock(run.spec)
    assert abs(again.now_ms() - run.clock.now_ms()) < 1440 * 1000
    assert again.speed == 1440.0


def test_the_clock_starts_early_enough_to_set_up_before_the_traffic() -> None:
    traffic = wall(1, 6)
    assert traffic - run_start_ms(traffic, 60, 1.0) == 2 * HOUR_MS
    assert traffic - run_start_ms(traffic, 2000, 6000.0) == 40 * HOUR_MS
    lead = traffic - run_start_ms(traffic, 2000, 1440.0)
    assert 9 * HOUR_MS < lead < 10 * HOUR_MS
