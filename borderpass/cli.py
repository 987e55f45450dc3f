"""``borderpass``: one program, with subcommands for the hub, the edge and the demo.

Each part registers its own subcommands (``hub/cli.py``, ``edge/cli.py``,
``borderpass/demo/cli.py`` expose ``register(subparsers)``); this module only wires
them together and runs the chosen one.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from borderpass.private import UMASK

COMMAND_MODULES = ("hub.cli", "edge.cli", "borderpass.demo.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="borderpass",
        description="Offline-first permit verification and crossing log "
        "for the Dongxing cross-border labour pilot.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue  # a part not installed in this build
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(UMASK)  # whatever a command writes (databases, logs, copies) is its owner's only
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.run(args)
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
