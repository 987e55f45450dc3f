"""``borderpass edge``: ``init`` (standalone set-up from a trust bundle), ``serve`` and
``trust`` (adopt a newer trust list carried on a bundle file).

:func:`register` adds the ``edge`` command to the ``borderpass`` program;
``python -m edge`` runs the same commands on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from borderpass.clock import Clock, parse_clock
from borderpass.settings import ConfigError

from . import sync_setup
from .app import Extension, create_app
from .config import EdgeConfig, load_config, settings_table
from .enrolment import enrol
from .identity import IdentityError
from .provision import ProvisionError, provision, refresh_trust_list

EXTENSIONS: tuple[Extension, ...] = (sync_setup.install,)
"""Installed into every served app: the sync client (inactive on a standalone edge)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    edge = subparsers.add_parser("edge", help="run an edge node at a gate or checkpoint")
    commands = edge.add_subparsers(dest="edge_command", required=True, metavar="SUBCOMMAND")
    init = commands.add_parser("init", help="set up a standalone edge from a trust bundle")
    init.add_argument("--data", required=True, type=Path, help="data directory to create")
    init.add_argument("--site", required=True, help="site id, e.g. dongxing-port")
    init.add_argument("--trust", required=True, type=Path, help="trust bundle file")
    init.add_argument("--clock", help="clock spec (default: system)")
    init.set_defaults(run=run_init)
    serve = commands.add_parser(
        "serve",
        help="serve the scan pages and API",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="settings (edge.toml in the data directory, or environment):\n" + settings_table(),
    )
    serve.add_argument("--data", required=True, type=Path, help="the edge's data directory")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default 8441; 0: any free)")
    serve.add_argument("--clock", help="clock spec (default: system)")
    serve.set_defaults(run=run_serve)
    enrol = commands.add_parser("enrol", help="enrol this edge with a hub (one-time token)")
    enrol.add_argument("--data", required=True, type=Path, help="the edge's data directory")
    enrol.add_argument("--hub", help="the hub's address, e.g. http://10.0.0.2:8440 "
                       "(default: find it with zeroconf)")  # fmt: skip
    enrol.add_argument("--token", required=True, help="the one-time token from POST /api/edges")
    enrol.add_argument("--clock", help="clock spec (default: system)")
    enrol.set_defaults(run=run_enrol)
    trust = commands.add_parser("trust", help="adopt a newer trust list (edge stopped)")
    trust.add_argument("--data", required=True, type=Path, help="the edge's data directory")
    trust.add_argument("--trust", required=True, type=Path, help="trust bundle file")
    trust.add_argument("--clock", help="clock spec (default: system)")
    trust.set_defaults(run=run_trust)


def _clock_for(data: Path, spec: str | None = None) -> Clock:
    return parse_clock(load_config(data, clock=spec).clock)


def run_init(args: argparse.Namespace) -> int:
    try:
        bundle = args.trust.read_bytes()
        done = provision(args.data, args.site, bundle, _clock_for(args.data, args.clock).now_ms())
    except (OSError, ProvisionError, ConfigError, ValueError) as exc:
        print(f"borderpass edge init: {exc}", file=sys.stderr)
        return 2
    print(f"Edge set up for site {done.site_id} in {args.data}")
    print(f"Root key fingerprint: {done.root_fingerprint}  (compare it with the hub's)")
    print(f"Edge key fingerprint: {done.edge_fingerprint}")
    print(f"Trust list version:   {done.trust_version}")
    print(f"API token (shown once, keep it safe): {done.token}")
    return 0


def run_enrol(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.data, clock=args.clock)
        now_ms = parse_clock(config.clock).now_ms()
        done = asyncio.run(enrol(config, args.hub, args.token, now_ms))
    except (OSError, ProvisionError, ConfigError, IdentityError, ValueError) as exc:
        print(f"borderpass edge enrol: {exc}", file=sys.stderr)
        return 2
    how = "found with zeroconf" if done.found_by == "zeroconf" else "at the given address"
    print(f"Enrolled as {done.edge_id} at site {done.site_id}")
    print(f"Hub: {done.hub_url} ({how})")
    print(f"Hub root key fingerprint: {done.root_fingerprint}  (compare it with the hub's)")
    if done.token is not None:
        print(f"API token (shown once, keep it safe): {done.token}")
    return 0


def run_trust(args: argparse.Namespace) -> int:
    try:
        now_ms = _clock_for(args.data, args.clock).now_ms()
        version, changed = refresh_trust_list(args.data, args.trust.read_bytes(), now_ms)
    except (OSError, ProvisionError, ConfigError, ValueError) as exc:
        print(f"borderpass edge trust: {exc}", file=sys.stderr)
        return 2
    print(f"Trust list version {version} {'adopted' if changed else 'already in force'}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        config = load_config(args.data, host=args.host, port=args.port, clock=args.clock)
        clock = parse_clock(config.clock)
    except (ConfigError, ValueError) as exc:
        print(f"borderpass edge serve: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(serve(config, clock))


async def serve(config: EdgeConfig, clock: Clock) -> int:
    """Run until SIGINT or SIGTERM; print the address once listening."""
    runner = web.AppRunner(create_app(config, clock, extensions=EXTENSIONS), access_log=None)
    try:
        await runner.setup()
    except Exception as exc:
        print(f"borderpass edge serve: {exc}", file=sys.stderr)
        return 2
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        print(f"Edge listening on http://{host}:{port}", flush=True)
        if not config.loopback_only:
            print("Not loopback: the API and pages need the token", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["edge", *(sys.argv[1:] if argv is None else argv)])
    return int(args.run(args))
