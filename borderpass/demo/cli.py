"""``borderpass demo``: the whole pilot zone on this machine (see
:mod:`borderpass.demo`). :func:`register` adds the subcommand to the program."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from . import netns
from .fleet import DemoError
from .population import MIN_EMPLOYERS, MIN_WORKERS
from .processes import ProcessFailed
from .runner import DemoOptions, run_demo

DEFAULTS = DemoOptions()
MAX_SPEED = 6000
"""Above this the offline gate's simulated day is too short for the hub to call it silent
(see ``borderpass.demo.layout.silent_hours``)."""


def _at_least(low: int) -> Any:
    def parse(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"at least {low}")
        return value

    return parse


def _speed(text: str) -> float:
    value = float(text)
    if not 0 < value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"a factor above 0, at most {MAX_SPEED}")
    return value


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="simulate the pilot zone: a hub, an edge per site, traffic, then the dashboards",
        description="Run a hub and one edge per site as processes on this machine, drive a "
        "simulated population through them on an accelerated clock, compare the hub's "
        "alerts with what really happened, then leave the pages running.",
    )
    demo.add_argument("--seed", type=int, default=DEFAULTS.seed, help="same seed, same run")
    demo.add_argument("--workers", type=_at_least(MIN_WORKERS), default=DEFAULTS.workers)
    demo.add_argument("--employers", type=_at_least(MIN_EMPLOYERS), default=DEFAULTS.employers)
    demo.add_argument("--days", type=_at_least(2), default=DEFAULTS.days,
                      help="simulated days of traffic")  # fmt: skip
    demo.add_argument("--speed", type=_speed, default=DEFAULTS.speed,
                      help="simulated seconds per real second (1440: a day a minute)")  # fmt: skip
    demo.add_argument("--data", type=Path, default=DEFAULTS.data_dir, metavar="DIR",
                      help="the demo's folder, wiped first (default ./demo-data)")  # fmt: skip
    demo.add_argument("--port-base", type=int, default=DEFAULTS.port_base,
                      help="the hub's port; the edges take the next ten")  # fmt: skip
    demo.add_argument("--no-serve", dest="serve", action="store_false",
                      help="end after the summary instead of serving the pages")  # fmt: skip
    demo.add_argument("--no-netns", dest="netns", action="store_false",
                      help="do not try a network namespace (no zeroconf)")  # fmt: skip
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    options = DemoOptions(args.seed, args.workers, args.employers, args.days, args.speed,
                          args.data, args.serve, args.port_base)  # fmt: skip
    namespace, note = netns.create() if args.netns else (None, "--no-netns was given")
    if namespace is None:
        note = f"zeroconf skipped: {note}; every edge gets the hub's address"
    try:
        return asyncio.run(run_demo(options, namespace, note))
    except (DemoError, ProcessFailed, ValueError) as exc:
        print(f"borderpass demo: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\nborderpass demo: stopped", file=sys.stderr)
        return 130
    finally:
        if namespace is not None:
            netns.delete(namespace)
