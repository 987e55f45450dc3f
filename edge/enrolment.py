"""``borderpass edge enrol``: register this edge with a hub using a one-time token.

The edge uses its own Ed25519 key (made here for a new edge; it never leaves the
edge), sends the public half with the token, and from the reply, authenticated by an
HMAC keyed with the token, learns its edge id and site and pins the hub's root key. An
edge set up standalone first keeps its log; its pinned root key and its site must then
match the hub's. With no hub address, the hub is found with zeroconf.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from borderpass.sqlite import Database
from protocol.keys import SigningKey, fingerprint
from protocol.sync.messages import EnrolReply, EnrolRequest

from . import store
from .config import DATABASE_FILE, EdgeConfig
from .discovery import browse, find_hub
from .hublink import AiohttpTransport, HubLink, LinkDown, Refused
from .identity import load_edge_key
from .provision import ProvisionError, create_edge
from .records import EdgeIdentity, SyncKey

SOFTWARE = "borderpass-edge/0.1"


@dataclass(frozen=True, slots=True)
class Enrolled:
    edge_id: str
    site_id: str
    hub_url: str
    found_by: str
    """``address`` (given) or ``zeroconf``."""
    root_fingerprint: str
    token: str | None
    """A new edge's API token, to show once; None when the edge already had one."""


async def enrol(config: EdgeConfig, hub_url: str | None, token: str, now_ms: int) -> Enrolled:
    identity = _identity(config.data_dir)
    key = SigningKey.generate() if identity is None else load_edge_key(config.key_path)
    found_by = "address"
    if hub_url is None:
        hub_url, reply = await _ask_discovered(config, identity, token, key)
        found_by = "zeroconf"
    else:
        reply = await _ask(hub_url, token, key, config.request_timeout_s)
    api_token = None
    if identity is None:
        _, api_token = create_edge(
            config.data_dir, reply.site_id, reply.root_public_key, now_ms, None, key=key
        )
    elif reply.root_public_key != identity.root_public_key:
        raise ProvisionError("this hub's root key is not the one this edge pinned at init")
    elif reply.site_id != identity.site_id:
        raise ProvisionError(f"the hub has this edge at {reply.site_id}, not {identity.site_id}")
    _record(config.data_dir, reply.edge_id, hub_url if found_by == "address" else None, now_ms)
    return Enrolled(reply.edge_id, reply.site_id, hub_url, found_by,
                    fingerprint(reply.root_public_key), api_token)  # fmt: skip


async def _ask(hub_url: str, token: str, key: SigningKey, timeout_s: float) -> EnrolReply:
    transport = AiohttpTransport(hub_url, timeout_s)
    try:
        return await HubLink(transport, None).enrol(EnrolRequest(token, key.public_key, SOFTWARE))
    except (LinkDown, Refused) as exc:
        raise ProvisionError(f"enrolment failed: {exc}") from exc
    finally:
        await transport.close()


async def _ask_discovered(
    config: EdgeConfig, identity: EdgeIdentity | None, token: str, key: SigningKey
) -> tuple[str, EnrolReply]:
    """Enrol with a hub found by zeroconf: the pinned one if the edge has pinned a key,
    else each candidate in turn until one accepts the token (its MAC proves it)."""
    if identity is not None:
        url = await find_hub(
            identity.root_public_key, config.discovery_interfaces, config.discovery_timeout_s
        )
        if url is None:
            raise ProvisionError("the pinned hub does not answer on the LAN: use --hub")
        return url, await _ask(url, token, key, config.request_timeout_s)
    refusals = []
    for candidate in await browse(config.discovery_interfaces, config.discovery_timeout_s):
        try:
            return candidate.url, await _ask(candidate.url, token, key, config.request_timeout_s)
        except ProvisionError as exc:
            refusals.append(f"{candidate.url}: {exc}")
    raise ProvisionError("no hub found with zeroconf accepted the token: use --hub "
                         f"({'; '.join(refusals) or 'none answered'})")  # fmt: skip


def _open(data_dir: Path) -> Database:
    return Database(data_dir / DATABASE_FILE, store.migrate).open()


def _identity(data_dir: Path) -> EdgeIdentity | None:
    if not (data_dir / DATABASE_FILE).exists():
        return None
    db = _open(data_dir)
    try:
        return db.read_blocking(store.read_identity)
    finally:
        db.close()


def _record(data_dir: Path, edge_id: str, hub_url: str | None, now_ms: int) -> None:
    values: dict[SyncKey, object] = {
        SyncKey.EDGE_ID: edge_id,
        SyncKey.HUB_URL: hub_url,
        SyncKey.LAST_CONTACT_MS: now_ms,
    }
    db = _open(data_dir)
    try:
        db.write_blocking(lambda tx: store.write_sync_state(tx.conn, values))
    finally:
        db.close()
