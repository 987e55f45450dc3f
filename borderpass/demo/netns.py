"""A network namespace for the hub, so that one edge can find it with zeroconf while
nothing multicasts on a real interface.

Inside the namespace there is a loopback with multicast switched on (zeroconf binds
127.0.0.1 there) and one end of a veth pair; the other end stays in the host namespace.
The pair carries unicast HTTP only: both ends have multicast and ARP off (static
neighbour entries instead) and IPv6 disabled, so the kernel sends no neighbour
discovery or MLD either. The hub listens on all of the namespace's addresses; edges in
the host namespace reach it at the inner veth address.

Creating one needs root and ``ip`` (iproute2). :func:`create` tries, and on any
failure undoes what it did and says why, so the demo can run without it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

NAMESPACE = "borderpass-demo"
HOST_IF, INNER_IF = "bpdemo0", "bpdemo1"
HOST_MAC, INNER_MAC = "02:62:70:64:00:01", "02:62:70:64:00:02"
SUBNETS = tuple(f"10.231.{n}" for n in range(0, 256, 4))
"""Candidate /30 networks: the first one no host interface uses."""

LOCK_DIR = Path("/run/lock") if Path("/run/lock").is_dir() else Path(tempfile.gettempdir())

Run = Callable[[Sequence[str]], str]
"""Run a command and return its output; raise :class:`CommandFailed`."""


class CommandFailed(RuntimeError):
    pass


class Claim:
    """An exclusive lock on a namespace's name, held while one demo uses it. The kernel
    drops it when the process ends, however it ends, so a namespace found without a
    claim was left behind. Releasing twice is harmless."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def take(cls, name: str, lock_dir: Path) -> Claim | None:
        fd = os.open(lock_dir / f"{name}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return cls(fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    host_address: str
    inner_address: str
    host_if: str = HOST_IF
    inner_if: str = INNER_IF
    claim: Claim | None = field(default=None, compare=False, repr=False)

    def exec_prefix(self) -> list[str]:
        """Prefix a command with this to run it inside the namespace."""
        return ["ip", "netns", "exec", self.name]


def run_command(argv: Sequence[str]) -> str:
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=30)
    if done.returncode != 0:
        raise CommandFailed(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def unavailable_reason() -> str | None:
    """Why no namespace can be made here, or None to try."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root (a network namespace needs CAP_NET_ADMIN)"
    if shutil.which("ip") is None:
        return "the 'ip' command (iproute2) is not installed"
    return None


def _disable_ipv6(interface: str, inside: str | None) -> list[list[str]]:
    if not os.path.exists("/proc/sys/net/ipv6"):
        return []  # no IPv6 in this kernel: nothing to switch off
    path = f"/proc/sys/net/ipv6/conf/{interface}/disable_ipv6"
    write = [sys.executable, "-c", "import sys; open(sys.argv[1], 'w').write('1')", path]
    return [["ip", "netns", "exec", inside, *write]] if inside else [write]


def setup_commands(ns: Namespace) -> list[list[str]]:
    """The commands that make the namespace and its veth pair, in order."""
    n, host, inner = ns.name, ns.host_address, ns.inner_address
    outside, inside = ns.host_if, ns.inner_if
    return [
        ["ip", "netns", "add", n],
        ["ip", "link", "add", outside, "address", HOST_MAC, "type", "veth",
         "peer", "name", inside, "address", INNER_MAC],
        ["ip", "link", "set", inside, "netns", n],
        *_disable_ipv6(outside, None),
        *_disable_ipv6(inside, n),
        ["ip", "link", "set", outside, "multicast", "off", "arp", "off"],
        ["ip", "-n", n, "link", "set", inside, "multicast", "off", "arp", "off"],
        ["ip", "addr", "add", f"{host}/30", "dev", outside],
        ["ip", "-n", n, "addr", "add", f"{inner}/30", "dev", inside],
        ["ip", "neigh", "replace", inner, "lladdr", INNER_MAC, "dev", outside, "nud", "permanent"],
        ["ip", "-n", n, "neigh", "replace", host, "lladdr", HOST_MAC, "dev", inside,
         "nud", "permanent"],
        ["ip", "link", "set", outside, "up"],
        ["ip", "-n", n, "link", "set", inside, "up"],
        ["ip", "-n", n, "link", "set", "lo", "up"],
        ["ip", "-n", n, "link", "set", "lo", "multicast", "on"],
        ["ip", "netns", "exec", n, sys.executable, "-c", "pass"],  # programs run inside
    ]  # fmt: skip


def teardown_commands(name: str, host_if: str = HOST_IF) -> list[list[str]]:
    """Deleting the host end of the pair deletes both; then the namespace."""
    return [["ip", "link", "del", host_if], ["ip", "netns", "del", name]]


def _quietly(run: Run, commands: list[list[str]]) -> None:
    for argv in commands:
        with contextlib.suppress(CommandFailed, OSError, subprocess.SubprocessError):
            run(argv)


def _free_subnet(run: Run) -> str | None:
    used = run(["ip", "-o", "-4", "addr", "show"])
    return next((s for s in SUBNETS if f" {s}." not in used), None)


def _clear_stale(run: Run, name: str, host_if: str) -> str | None:
    """Remove a namespace an earlier demo left behind (we hold the claim); refuse one
    with processes still inside."""
    listed = [line.split()[0] for line in run(["ip", "netns", "list"]).splitlines() if line]
    if name in listed and run(["ip", "netns", "pids", name]).strip():
        return f"namespace {name} exists and has processes (another demo running?)"
    _quietly(run, teardown_commands(name, host_if))
    return None


def create(
    name: str = NAMESPACE,
    interfaces: tuple[str, str] = (HOST_IF, INNER_IF),
    run: Run = run_command,
    check: Callable[[], str | None] = unavailable_reason,
    lock_dir: Path = LOCK_DIR,
) -> tuple[Namespace | None, str]:
    """The namespace, or None and the reason it could not be made (nothing is left
    behind then). ``interfaces``: the names of the veth pair's host and inner ends."""
    reason = check()
    if reason is not None:
        return None, reason
    claim = Claim.take(name, lock_dir)
    if claim is None:
        return None, f"another demo is using namespace {name}"
    ns, reason = _make(name, interfaces, run, claim)
    if ns is None:
        claim.release()
        return None, reason
    atexit.register(delete, ns, run)  # also after an error the demo did not catch
    return ns, f"hub in network namespace {name} at {ns.inner_address}"


def _make(
    name: str, interfaces: tuple[str, str], run: Run, claim: Claim
) -> tuple[Namespace | None, str]:
    try:
        reason = _clear_stale(run, name, interfaces[0])
        subnet = _free_subnet(run)
    except (CommandFailed, OSError, subprocess.SubprocessError) as exc:
        return None, f"cannot manage namespaces here: {exc}"
    if reason is not None:
        return None, reason
    if subnet is None:
        return None, "no free 10.231.x.0/30 network for the veth pair"
    ns = Namespace(name, f"{subnet}.1", f"{subnet}.2", *interfaces, claim=claim)
    try:
        for argv in setup_commands(ns):
            run(argv)
    except (CommandFailed, OSError, subprocess.SubprocessError) as exc:
        _quietly(run, teardown_commands(name, ns.host_if))
        return None, f"could not set up the namespace: {exc}"
    return ns, ""


def delete(ns: Namespace, run: Run = run_command) -> None:
    """Remove the veth pair and the namespace, then give up the claim (twice is
    harmless)."""
    _quietly(run, teardown_commands(ns.name, ns.host_if))
    if ns.claim is not None:
        ns.claim.release()
