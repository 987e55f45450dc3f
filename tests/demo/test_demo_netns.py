"""The demo's network namespace: nothing but the namespace's loopback may multicast;
a failure anywhere undoes what was done; a namespace still in use is left alone. The
last test makes a real one (root only)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from borderpass.demo import netns


class FakeIp:
    """Answers ``ip`` the way a machine would, recording every command; fails the
    command whose words include ``fail_on``."""

    def __init__(self, addresses: str = "", fail_on: str | None = None,
                 namespaces: str = "", pids: str = "") -> None:  # fmt: skip
        self.addresses, self.fail_on = addresses, fail_on
        self.namespaces, self.pids = namespaces, pids
        self.commands: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> str:
        self.commands.append(list(argv))
        if self.fail_on is not None and self.fail_on in argv:
            raise netns.CommandFailed(
                f"{' '.join(argv)}: RTNETLINK answers: Operation not permitted"
            )
        return {("-o", "-4"): self.addresses, ("netns", "list"): self.namespaces,
                ("netns", "pids"): self.pids}.get(tuple(argv[1:3]), "")  # fmt: skip


def able() -> None:
    return None


@pytest.fixture
def locks(tmp_path: Path) -> Path:
    return tmp_path


def test_only_the_namespaces_loopback_multicasts() -> None:
    ns = netns.Namespace("ns-t", "10.231.0.1", "10.231.0.2", "vt0", "vt1")
    commands = [" ".join(c) for c in netns.setup_commands(ns)]
    assert "ip -n ns-t link set lo multicast on" in commands
    assert "ip link set vt0 multicast off arp off" in commands
    assert "ip -n ns-t link set vt1 multicast off arp off" in commands
    multicast_on = [c for c in commands if "multicast on" in c]
    assert multicast_on == ["ip -n ns-t link set lo multicast on"]
    ups = [c for c in commands if c.endswith(" up")]
    assert commands.index(ups[0]) > commands.index("ip link set vt0 multicast off arp off")
    if os.path.exists("/proc/sys/net/ipv6"):
        disabled = [c for c in commands if "disable_ipv6" in c]
        assert len(disabled) == 2 and "ip netns exec ns-t" in disabled[1]


def test_a_namespace_is_made_on_a_free_network(locks: Path) -> None:
    ip = FakeIp(addresses="2: eth0    inet 10.231.0.1/30 scope global eth0\n")
    ns, note = netns.create("ns-t", ("vt0", "vt1"), ip, able, locks)
    assert ns is not None and (ns.host_address, ns.inner_address) == ("10.231.4.1", "10.231.4.2")
    assert "10.231.4.2" in note
    assert ["ip", "netns", "add", "ns-t"] in ip.commands
    netns.delete(ns, ip)
    assert ip.commands[-2:] == netns.teardown_commands("ns-t", "vt0")


def test_a_failing_step_undoes_everything_and_says_why(locks: Path) -> None:
    ip = FakeIp(fail_on="veth")
    ns, note = netns.create("ns-t", ("vt0", "vt1"), ip, able, locks)
    assert ns is None and "Operation not permitted" in note
    assert ip.commands[-2:] == netns.teardown_commands("ns-t", "vt0")
    again, _ = netns.create("ns-t", ("vt0", "vt1"), FakeIp(), able, locks)
    assert again is not None, "the claim was given up with the failure"


def test_a_namespace_in_use_is_left_alone_and_one_left_behind_is_cleared(locks: Path) -> None:
    first, _ = netns.create("ns-t", ("vt0", "vt1"), FakeIp(), able, locks)
    claimed = FakeIp(namespaces="ns-t (id: 3)\n")
    ns, note = netns.create("ns-t", ("vt0", "vt1"), claimed, able, locks)
    assert ns is None and "another demo" in note and claimed.commands == []
    assert first is not None
    netns.delete(first, FakeIp())

    busy = FakeIp(namespaces="ns-t (id: 3)\n", pids="4242\n")
    ns, note = netns.create("ns-t", ("vt0", "vt1"), busy, able, locks)
    assert ns is None and "has processes" in note
    assert not any("del" in c for c in busy.commands)

    stale = FakeIp(namespaces="ns-t (id: 3)\n")
    ns, _ = netns.create("ns-t", ("vt0", "vt1"), stale, able, locks)
    assert ns is not None
    assert stale.commands.index(["ip", "netns", "del", "ns-t"]) < stale.commands.index(
        ["ip", "netns", "add", "ns-t"]
    )


def test_without_permission_nothing_is_tried(locks: Path) -> None:
    ip = FakeIp()
    ns, note = netns.create("ns-t", ("vt0", "vt1"), ip, lambda: "not running as root", locks)
    assert (ns, note, ip.commands) == (None, "not running as root", [])


@pytest.mark.netns
def test_a_real_namespace_has_a_multicast_loopback_and_a_silent_veth() -> None:
    reason = netns.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    ns, note = netns.create("bp-demo-test", ("bpdtest0", "bpdtest1"))
    assert ns is not None, note
    try:
        inside = netns.run_command(["ip", "-n", ns.name, "-o", "link", "show"])
        lo = next(line for line in inside.splitlines() if " lo:" in line)
        veth = next(line for line in inside.splitlines() if "bpdtest1" in line)
        assert "MULTICAST" in lo and "MULTICAST" not in veth and "NOARP" in veth
        host_end = netns.run_command(["ip", "-o", "link", "show", "bpdtest0"])
        assert "MULTICAST" not in host_end and "NOARP" in host_end
        addresses = netns.run_command(["ip", "-n", ns.name, "-o", "addr", "show", "bpdtest1"])
        assert ns.inner_address in addresses and "inet6" not in addresses
    finally:
        netns.delete(ns)
    assert "bp-demo-test" not in netns.run_command(["ip", "netns", "list"])
    gone = subprocess.run(["ip", "link", "show", "bpdtest0"], capture_output=True, check=False)
    assert gone.returncode != 0
