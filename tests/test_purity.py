"""``protocol`` is pure: importing it pulls in no network, database, event loop or
discovery module, and no module in it reads the clock."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import protocol

PROTOCOL_DIR = Path(protocol.__file__).parent
FORBIDDEN_MODULES = ("aiohttp", "asyncio", "sqlite3", "sqlite_utils", "zeroconf")
FORBIDDEN_IMPORTS = {
    *FORBIDDEN_MODULES,
    "time",
    "socket",
    "threading",
    "subprocess",
    "random",
    "secrets",
    "borderpass",
    "edge",
    "hub",
}
CLOCK_CALLS = {
    "now",
    "utcnow",
    "today",
    "time",
    "time_ns",
    "monotonic",
    "monotonic_ns",
    "perf_counter",
    "perf_counter_ns",
    "localtime",
    "gmtime",
    "ctime",
}


def protocol_module_names() -> list[str]:
    names = ["protocol"]
    for info in pkgutil.walk_packages([str(PROTOCOL_DIR)], prefix="protocol."):
        names.append(info.name)
    return names


def test_importing_protocol_pulls_in_no_io_modules() -> None:
    """In a fresh interpreter, import every protocol module, then list sys.modules."""
    names = protocol_module_names()
    assert "protocol.verdict" in names
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(result.stdout.split())
    assert "protocol.credential" in loaded
    offending = sorted(
        m
        for m in loaded
        if m.split(".")[0] in FORBIDDEN_MODULES or m.split(".")[0] in {"edge", "hub"}
    )
    assert offending == [], f"protocol imports {offending}"


def test_the_check_would_see_a_forbidden_module() -> None:
    """The subprocess check is not vacuous: the same script sees asyncio when imported."""
    script = "import asyncio, sys, json; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "asyncio" in json.loads(result.stdout)


def imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def clock_reads(tree: ast.AST) -> list[str]:
    """Calls such as ``time.time()``, ``datetime.now()``, ``date.today()``."""
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in CLOCK_CALLS:
                reads.append(f"line {node.lineno}: .{node.func.attr}()")
        elif isinstance(node, ast.ImportFrom) and node.module in {"time", "datetime"}:
            reads += [f"line {node.lineno}: {a.name}" for a in node.names if a.name in CLOCK_CALLS]
    return reads


def protocol_sources() -> list[Path]:
    sources = sorted(PROTOCOL_DIR.rglob("*.py"))
    assert len(sources) >= 15
    return sources


def test_no_protocol_module_reads_the_clock() -> None:
    problems = {}
    for path in protocol_sources():
        reads = clock_reads(ast.parse(path.read_text("utf-8")))
        if reads:
            problems[str(path.relative_to(PROTOCOL_DIR))] = reads
    assert problems == {}


def test_no_protocol_module_imports_io_or_time() -> None:
    problems = {}
    for path in protocol_sources():
        bad = imported_modules(ast.parse(path.read_text("utf-8"))) & FORBIDDEN_IMPORTS
        if bad:
            problems[str(path.relative_to(PROTOCOL_DIR))] = sorted(bad)
    assert problems == {}


def test_the_static_checks_catch_what_they_look_for() -> None:
    impure = (
        "import time\n"
        "from datetime import datetime, date\n"
        "from asyncio import sleep\n"
        "def f():\n"
        "    return time.time(), datetime.now(), date.today(), time.monotonic_ns()\n"
    )
    tree = ast.parse(impure)
    assert imported_modules(tree) & FORBIDDEN_IMPORTS == {"time", "asyncio"}
    assert [r.split(": ")[1] for r in clock_reads(tree)] == [
        ".time()",
        ".now()",
        ".today()",
        ".monotonic_ns()",
    ]
    assert clock_reads(ast.parse("from time import time_ns\n")) == ["line 1: time_ns"]
