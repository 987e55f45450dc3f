"""Find the hub on the LAN with zeroconf, and trust it only if it proves its key.

Browsing returns candidates (address, port, advertised key). A candidate whose
advertised key is not the pinned one is skipped; one that matches must then answer a
time request signed by the pinned key for a fresh nonce (:meth:`HubLink.time`), since
anyone can advertise any key. Before enrolment nothing is pinned: every candidate is
tried in turn, and the enrolment reply's MAC (keyed with the one-time token) tells the
hub that issued the token from any other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from .hublink import AiohttpTransport, HubLink, LinkDown, Refused

SERVICE_TYPE = "_borderpass-hub._tcp.local."
log = logging.getLogger("borderpass.edge.discovery")
SETTLE_S = 1.0


@dataclass(frozen=True, slots=True)
class Candidate:
    url: str
    root_public_key: bytes | None


async def browse(interfaces: Sequence[str], timeout_s: float) -> list[Candidate]:
    """Every hub that answers within ``timeout_s`` on ``interfaces``."""
    names: asyncio.Queue[str] = asyncio.Queue()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is ServiceStateChange.Added:
            names.put_nowait(name)

    zc = AsyncZeroconf(interfaces=list(interfaces), ip_version=IPVersion.V4Only)
    browser = AsyncServiceBrowser(zc.zeroconf, [SERVICE_TYPE], handlers=[on_change])
    found: list[Candidate] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    try:
        while loop.time() < deadline:
            try:
                name = await asyncio.wait_for(names.get(), deadline - loop.time())
            except TimeoutError:
                break
            candidate = await _resolve(zc, name)
            if candidate is not None and candidate not in found:
                found.append(candidate)
                # others (an impostor among them) answer within moments: gather them too
                deadline = min(deadline, loop.time() + SETTLE_S)
    finally:
        await browser.async_cancel()
        await zc.async_close()
    return found


async def _resolve(zc: AsyncZeroconf, name: str) -> Candidate | None:
    info = AsyncServiceInfo(SERVICE_TYPE, name)
    if not await info.async_request(zc.zeroconf, 3000):
        return None
    addresses = info.parsed_addresses()
    props = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
    if not addresses or info.port is None:
        return None
    try:
        key = bytes.fromhex(props.get("key", ""))
    except ValueError:
        key = b""
    path = props.get("path", "/sync/v1").removesuffix("/sync/v1")
    return Candidate(f"http://{addresses[0]}:{info.port}{path}", key or None)


async def find_hub(pinned: bytes, interfaces: Sequence[str], timeout_s: float) -> str | None:
    """The URL of a hub that proves the pinned key; impostors are skipped."""
    for candidate in await browse(interfaces, timeout_s):
        if candidate.root_public_key != pinned:
            log.warning("ignoring hub at %s: not the pinned key", candidate.url)
            continue
        transport = AiohttpTransport(candidate.url, timeout_s=10)
        try:
            await HubLink(transport, pinned).time()
        except (LinkDown, Refused) as exc:
            log.warning("hub at %s did not prove the pinned key: %s", candidate.url, exc)
            continue
        finally:
            await transport.close()
        return candidate.url
    return None
