"""The demo from start to end: plan, set up, run the traffic, settle, report, serve.

:func:`run_demo` runs inside ``asyncio.run``; the network namespace is made and removed
around it by :mod:`borderpass.demo.cli`. Every process it starts is stopped when it
returns, raises or is cancelled (Ctrl-C).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from protocol.sites import default_site_map

from .clients import EdgeClient, HubClient
from .fleet import (
    DemoError,
    FleetControls,
    Issued,
    LagMonitor,
    edge_clients,
    edge_tokens,
    enrol_and_start,
    init_hub,
    issue_all,
    settle,
    start_edges,
    start_hub,
    sync_all,
    wait_for_trust,
)
from .layout import SITE_ORDER, ZEROCONF_SITE, Layout, Phase, phase, run_start_ms, silent_hours
from .netns import Namespace
from .plan import build_plan
from .population import PARK_BY_SITE, build_population
from .processes import Services, port_is_free
from .progress import ProgressBar
from .schedule import Plan
from .summary import Observed, Report, summarise, wall_time
from .traffic import ScanResult, Traffic
from .truth import Thresholds, ground_truth

MARKER = ".borderpass-demo"
"""A demo folder has this file; the demo wipes no folder without it."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    seed: int = 1
    workers: int = 2000
    employers: int = 40
    days: int = 3
    speed: float = 1440.0
    data_dir: Path = Path("demo-data")
    serve: bool = True
    port_base: int = 8440


def prepare_data_dir(path: Path) -> None:
    """Wipe and recreate the demo folder; refuse a folder that is not one."""
    if path.exists() and any(path.iterdir()) and not (path / MARKER).exists():
        raise DemoError(f"{path} is not a demo folder (no {MARKER}); choose another --data")
    shutil.rmtree(path, ignore_errors=True)
    (path / "logs").mkdir(parents=True)
    (path / MARKER).write_text("made by borderpass demo; wiped by the next run\n")


def say(text: str) -> None:
    print(text, flush=True)


def stop_on_sigterm() -> None:
    """SIGTERM ends the demo as Ctrl-C does: cancelled, so every process is stopped."""
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


async def run_demo(options: DemoOptions, namespace: Namespace | None, network_note: str) -> int:
    stop_on_sigterm()
    sites = default_site_map()
    if set(SITE_ORDER) != set(sites.sites):
        raise DemoError("the shipped site map is not the one the demo knows")
    population = build_population(options.seed, options.workers, options.employers, options.days)
    plan = build_plan(population, sites)
    layout = Layout(options.data_dir.resolve(), options.port_base, namespace,
                    secrets.token_urlsafe(18))  # fmt: skip
    busy = [p for p in layout.host_ports() if not port_is_free(p)]
    if busy:
        raise DemoError(f"ports in use: {busy}; choose another --port-base")
    prepare_data_dir(layout.data_dir)
    say(f"borderpass demo: seed {options.seed}, {len(population.workers)} workers, "
        f"{len(population.employers)} employers, {options.days} simulated days at "
        f"{options.speed:g}x; {len(plan.scans)} scans planned")  # fmt: skip
    say(f"network: {network_note}")
    timeout = aiohttp.ClientTimeout(total=60)
    edges = edge_clients(layout)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            Services(layout.log_dir, session) as services,
        ):
            report, access = await _run(options, layout, plan, session, services, edges)
            if options.serve:
                await _serve(layout, access)
    finally:
        await asyncio.gather(*(edge.close() for edge in edges.values()))
    return 0 if report.ok else 1


@dataclass(frozen=True, slots=True)
class Access:
    """What a person needs to look around afterwards."""

    hub_token: str
    username: str
    password: str


async def _set_up(
    layout: Layout, plan: Plan, hub: HubClient
) -> tuple[dict[str, Issued], dict[str, str], Access]:
    """Employers, permits, a web login, and an edge record at every site."""
    bar = ProgressBar("issuing permits", len(plan.population.workers))
    permits = await issue_all(hub, plan.population, bar.update)
    bar.finish()
    access = Access(hub.token, "admin", secrets.token_urlsafe(9))
    await hub.add_user(access.username, access.password, "admin")
    return permits, await edge_tokens(hub), access


def _say_enrolled(layout: Layout, found_by: dict[str, str]) -> None:
    for site in SITE_ORDER:
        how = ("found the hub with zeroconf" if found_by[site] == "zeroconf"
               else f"given the hub's address {layout.hub_url}")  # fmt: skip
        where = " (inside the namespace)" if layout.in_namespace(site) else ""
        say(f"edge {site}{where}: enrolled, {how}")
    if found_by.get(ZEROCONF_SITE) != "zeroconf":
        say("zeroconf: skipped (no network namespace): every edge was given the address")


async def _traffic(
    plan: Plan, permits: dict[str, Issued], controls: FleetControls, run: Phase
) -> tuple[list[ScanResult], dict[str, int]]:
    """Every planned scan and action, paced by the run's clock; the sync lags seen."""
    bar = ProgressBar("traffic", len(plan.scans))

    def progress(done: int, behind_min: int) -> None:
        late = f"behind {behind_min} min" if behind_min > 30 else "on time"
        bar.update(done, f"{wall_time(run.clock.now_ms())} {late}")

    monitor = LagMonitor(controls.hub, run.clock)
    watching = asyncio.create_task(monitor.run())
    qr_of = {worker: issued.qr for worker, issued in permits.items()}
    try:
        results = await Traffic(plan, qr_of, controls.edges, controls, run.clock,
                                progress).run()  # fmt: skip
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
    bar.finish(wall_time(run.clock.now_ms()))
    return results, monitor.max_lag_ms


async def _observe(
    hub: HubClient, edges: dict[str, EdgeClient], settled: Phase, found_by: dict[str, str],
    lags: dict[str, int], reconnected_ms: int | None,
) -> Observed:  # fmt: skip
    say("settling: every edge syncs, the hub reconciles")
    alerts, calm = await settle(hub, edges, settled.clock.now_ms())
    statuses = {site: await edge.status() for site, edge in edges.items()}
    return Observed(settled.clock.now_ms(), alerts, await hub.edges(), statuses, found_by,
                    lags, reconnected_ms, calm)  # fmt: skip


async def _start(
    layout: Layout, plan: Plan, hub: HubClient, services: Services, run: Phase
) -> tuple[dict[str, Issued], dict[str, str], Access]:
    """The hub, the registry, then an edge at every site."""
    await start_hub(services, layout, run, run.speed)
    permits, tokens, access = await _set_up(layout, plan, hub)
    found_by = await enrol_and_start(services, layout, run, tokens)
    _say_enrolled(layout, found_by)
    return permits, found_by, access


async def _run(
    options: DemoOptions, layout: Layout, plan: Plan, session: aiohttp.ClientSession,
    services: Services, edges: dict[str, EdgeClient],
) -> tuple[Report, Access]:  # fmt: skip
    start = run_start_ms(plan.traffic_start_ms, options.workers, options.speed)
    run = phase("run", start, options.speed)
    say(
        f"simulated clock: from {wall_time(start)} at {options.speed:g}x; the hub and the "
        f"edges are set up in the night, the traffic starts {wall_time(plan.traffic_start_ms)}"
    )
    hub = HubClient(session, layout.hub_url, await init_hub(layout, run))
    permits, found_by, access = await _start(layout, plan, hub, services, run)
    await wait_for_trust(edges)
    took_s = (run.clock.now_ms() - start) / options.speed / 1000
    late = run.clock.now_ms() > plan.traffic_start_ms
    say(
        f"set up in {took_s:.0f} s, by {wall_time(run.clock.now_ms())}"
        + ("; the first scans are late and catch up" if late else "")
    )
    controls = FleetControls(services, layout, run, hub, edges, permits)
    try:
        results, lags = await _traffic(plan, permits, controls, run)
        await sync_all(edges)
    finally:
        controls.close()
    await services.stop_all()
    settled = phase("settle", run.clock.now_ms(), 1.0)
    await start_hub(services, layout, settled, options.speed)
    await start_edges(services, layout, settled)
    observed = await _observe(hub, edges, settled, found_by, lags, controls.reconnected_ms)
    thresholds = Thresholds(edge_silent_hours=silent_hours(options.speed))
    truth = ground_truth(plan, default_site_map(), observed.now_ms, thresholds)
    report = summarise(plan, truth, results, observed)
    (layout.data_dir / "summary.json").write_text(json.dumps(report.data, indent=2))
    say("\n" + report.text)
    return report, access


async def _serve(layout: Layout, access: Access) -> None:
    """Print where to look, then wait for Ctrl-C."""
    say(f"\nThe hub's dashboard: {layout.hub_url}/  (log in as {access.username}, "
        f"password {access.password})")  # fmt: skip
    say(f"The hub's API token (admin): {access.hub_token}")
    for site in SITE_ORDER:
        page = layout.edge_url(site) + ("/onsite" if site in PARK_BY_SITE else "/")
        token = f"  (token {layout.edge_token})" if layout.in_namespace(site) else ""
        say(f"edge {site}: {page}{token}")
    say(f"Logs: {layout.log_dir}. Press Ctrl-C to stop everything.")
    await asyncio.Event().wait()
