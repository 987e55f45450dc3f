"""Advertise the hub on the LAN with zeroconf (DNS-SD over mDNS).

The service record names the sync path, the protocol versions, the hub's epoch and its
root key (and fingerprint). mDNS can be spoofed, so an edge uses the record only to
find an address; it trusts what answers there only if the answer is signed by the root
key it pinned at enrolment (see ``edge/discovery.py``).

Zeroconf binds only the interfaces it is given: loopback (``127.0.0.1``) by default,
so nothing is multicast on a real network unless a deployment names its LAN address.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from protocol.keys import fingerprint
from protocol.sync.frames import ACCEPTED_VERSIONS

SERVICE_TYPE = "_borderpass-hub._tcp.local."
log = logging.getLogger("borderpass.hub.discovery")


def service_info(root_public_key: bytes, epoch: str, address: str, port: int) -> AsyncServiceInfo:
    fp = fingerprint(root_public_key)
    return AsyncServiceInfo(
        SERVICE_TYPE,
        f"borderpass-hub-{fp}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton(address)],
        port=port,
        properties={
            "path": "/sync/v1",
            "v": ",".join(str(v) for v in ACCEPTED_VERSIONS),
            "epoch": epoch,
            "fp": fp,
            "key": root_public_key.hex(),
        },
    )


class HubAdvertiser:
    def __init__(
        self, root_public_key: bytes, epoch: str, port: int, interfaces: Sequence[str]
    ) -> None:
        self._interfaces = list(interfaces)
        self._info = service_info(root_public_key, epoch, self._interfaces[0], port)
        self._zeroconf: AsyncZeroconf | None = None

    async def start(self) -> bool:
        """Register the service; a failure is logged, never fatal (edges configured
        with the hub's address do not need discovery)."""
        try:
            self._zeroconf = AsyncZeroconf(interfaces=self._interfaces, ip_version=IPVersion.V4Only)
            await self._zeroconf.async_register_service(self._info)
        except OSError as exc:
            log.warning("zeroconf advertisement failed on %s: %s", self._interfaces, exc)
            await self.stop()
            return False
        log.info("advertising %s on %s", self._info.name, self._interfaces)
        return True

    async def stop(self) -> None:
        if self._zeroconf is not None:
            try:
                await self._zeroconf.async_unregister_all_services()
            finally:
                await self._zeroconf.async_close()
                self._zeroconf = None
