"""Where everything of a demo lives and how each process is started: data folders,
ports, addresses, the clock of each phase, and the settings the demo gives the hub and
the edges (by environment variable, as an operator would).

Two phases, one time line: ``run`` (accelerated; it starts in the night before day 1,
early enough that initialising the hub, issuing the permits and enrolling the edges
fit before the first scan at 06:00, then the traffic) and ``settle`` (real pace from
where the run ended: the last syncs, the final reconciliation, then the dashboards).
Every process of a phase gets the same clock spec; the time line never goes back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from borderpass.clock import AcceleratedClock, SystemClock

from .netns import Namespace
from .population import SLOW_PULL_PARK
from .processes import Command

ZEROCONF_SITE = "maoling"
"""The edge that runs inside the namespace and finds the hub with zeroconf."""
SITE_ORDER = (
    "dongxing-port", "beilun-bridge-2", "border-trade-centre", "kec-park", "jiangping-park",
    "chonglan-park", "hengjiang", "gangkou-park", "fangcheng-park", "maoling",
)  # fmt: skip
SLOW_PULL_S = 1_000_000.0
"""The slow-pull park's pull interval: in effect, only when the demo asks."""
SETUP_S = (16.0, 0.004)
"""Real seconds setting up takes, roughly: a base, and per worker (their permits)."""
HOUR_MS = 3_600_000


def run_start_ms(traffic_start_ms: int, workers: int, speed: float) -> int:
    """When the run's clock starts: as many simulated hours before the traffic as the
    setting up will take at this speed (between 2 and 40)."""
    lead_ms = (SETUP_S[0] + SETUP_S[1] * workers) * speed * 1000
    return traffic_start_ms - int(min(max(lead_ms, 2 * HOUR_MS), 40 * HOUR_MS))


def silent_hours(speed: float) -> int:
    """The hub's ``edge_silent_hours`` for a run at ``speed``: the default 6, or 12 real
    seconds when that is longer (an edge restarting on a busy machine is silent that
    long, which a fast clock would count as a day)."""
    return max(6, math.ceil(12 * speed / 3600))


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    clock: AcceleratedClock

    @property
    def spec(self) -> str:
        return self.clock.spec()

    @property
    def speed(self) -> float:
        return self.clock.speed


def phase(name: str, start_ms: int, speed: float) -> Phase:
    """A phase whose simulated time reads ``start_ms`` now."""
    return Phase(name, AcceleratedClock(start_ms, speed, SystemClock().now_ms()))


def hub_settings(speed: float, advertise: bool) -> dict[str, str]:
    """The hub's settings for a run at ``speed`` times real time. Thresholds that guard
    against real-time jitter (a signed request's age, a measured clock offset) are
    scaled with the speed, or a tenth of a real second would count as minutes; they
    stay so after the run, since the offsets the hub holds were measured during it."""
    return {
        "BORDERPASS_HUB_RECONCILE_TICK_S": "1",
        "BORDERPASS_HUB_SYNC_WINDOW_S": str(max(300, math.ceil(60 * speed))),
        "BORDERPASS_HUB_CLOCK_SKEW_MS": str(max(60_000, math.ceil(2_000 * speed))),
        "BORDERPASS_HUB_EDGE_SILENT_HOURS": str(silent_hours(speed)),
        "BORDERPASS_HUB_ADVERTISE": "true" if advertise else "false",
        "BORDERPASS_HUB_ADVERTISE_INTERFACES": "127.0.0.1",
    }


def edge_settings(site: str, speed: float) -> dict[str, str]:
    """Push about every 15 simulated minutes (between a quarter and one real second),
    pull every two real seconds; the slow-pull park pulls only when asked."""
    push = max(0.25, min(1.0, 900 / speed))
    pull = SLOW_PULL_S if site == SLOW_PULL_PARK else 2.0
    return {
        "BORDERPASS_EDGE_PUSH_INTERVAL_S": f"{push:.2f}",
        "BORDERPASS_EDGE_PULL_INTERVAL_S": str(pull),
        "BORDERPASS_EDGE_BACKOFF_BASE_S": "0.2",
        "BORDERPASS_EDGE_BACKOFF_CAP_S": "2",
        "BORDERPASS_EDGE_REQUEST_TIMEOUT_S": "15",
        "BORDERPASS_EDGE_DISCOVERY_TIMEOUT_S": "10",
        "BORDERPASS_EDGE_CLOCK_WARN_AFTER_S": str(max(120, math.ceil(2 * speed))),
    }


@dataclass(frozen=True, slots=True)
class Layout:
    data_dir: Path
    port_base: int
    namespace: Namespace | None
    edge_token: str
    """The API token of the edge inside the namespace (it listens off loopback)."""

    @property
    def hub_dir(self) -> Path:
        return self.data_dir / "hub"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def edge_dir(self, site: str) -> Path:
        return self.data_dir / "edges" / site

    def in_namespace(self, site: str) -> bool:
        return self.namespace is not None and site == ZEROCONF_SITE

    def edge_port(self, site: str) -> int:
        return self.port_base + 1 + SITE_ORDER.index(site)

    def host_ports(self) -> list[int]:
        """The ports the demo needs free on this machine's loopback."""
        ports = [self.edge_port(s) for s in SITE_ORDER if not self.in_namespace(s)]
        return ports if self.namespace else [self.port_base, *ports]

    @property
    def hub_url(self) -> str:
        """The hub, as this machine's browsers and edges reach it."""
        host = self.namespace.inner_address if self.namespace else "127.0.0.1"
        return f"http://{host}:{self.port_base}"

    def edge_url(self, site: str) -> str:
        inside = self.namespace is not None and site == ZEROCONF_SITE
        host = self.namespace.inner_address if inside and self.namespace else "127.0.0.1"
        return f"http://{host}:{self.edge_port(site)}"

    def edge_headers(self, site: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.edge_token}"} if self.in_namespace(site) else {}

    def hub_init(self, clock_spec: str) -> Command:
        env = {"BORDERPASS_HUB_CLOCK": clock_spec}
        return Command("hub init", ("hub", "init", "--data", str(self.hub_dir)), env)

    def hub_serve(self, phase: Phase, run_speed: float) -> Command:
        host = "0.0.0.0" if self.namespace else "127.0.0.1"  # noqa: S104 (inside the namespace only)
        args = ("hub", "serve", "--data", str(self.hub_dir), "--host", host,
                "--port", str(self.port_base), "--clock", phase.spec)  # fmt: skip
        env = hub_settings(max(phase.speed, run_speed), advertise=self.namespace is not None)
        return Command("hub", args, env, self.namespace)

    def edge_enrol(self, site: str, token: str, phase: Phase) -> Command:
        """With the hub's address, or, for the edge in the namespace, without: it looks
        for the hub with zeroconf on the namespace's loopback."""
        args = ["edge", "enrol", "--data", str(self.edge_dir(site)), f"--token={token}",
                "--clock", phase.spec]  # fmt: skip
        inside = self.in_namespace(site)
        if not inside:
            args += ["--hub", self.hub_url]
        env = edge_settings(site, phase.speed)
        return Command(f"enrol {site}", tuple(args), env, self.namespace if inside else None)

    def edge_serve(self, site: str, phase: Phase, hub_url: str | None = None) -> Command:
        """``hub_url`` replaces the address given at enrolment (a dead one: offline)."""
        inside = self.in_namespace(site)
        host = "0.0.0.0" if inside else "127.0.0.1"  # noqa: S104 (inside the namespace only)
        args = ("edge", "serve", "--data", str(self.edge_dir(site)), "--host", host,
                "--port", str(self.edge_port(site)), "--clock", phase.spec)  # fmt: skip
        env = edge_settings(site, phase.speed)
        if inside:
            env["BORDERPASS_EDGE_API_TOKEN"] = self.edge_token
        if hub_url is not None:
            env["BORDERPASS_EDGE_HUB_URL"] = hub_url
        return Command(f"edge {site}", args, env, self.namespace if inside else None)
