"""Setting up a standalone edge from a trust bundle, and refreshing its trust list.

``borderpass edge init`` calls :func:`provision`: it checks the site, verifies the
bundle (the root-signed trust list), makes the edge key (``DIR/edge.key``, 0600) and
the database, pins the root key, stores the trust list and the hashed API token, and
returns what the officer must see once: the root key's fingerprint to compare with the
hub's, and the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from borderpass.private import private_dir
from borderpass.sqlite import Database, Transaction
from protocol.errors import CredentialError
from protocol.keys import SigningKey, fingerprint
from protocol.sites import default_site_map, default_site_map_text
from protocol.trust import decode_trust_bundle

from . import reference, store
from .config import DATABASE_FILE, KEY_FILE
from .identity import create_edge_key, new_token, token_digest
from .records import EdgeIdentity, TrustRecord
from .reference import ChangeRefused
from .state import load_state


class ProvisionError(Exception):
    """The edge could not be set up; the message says why, for the person at the desk."""


@dataclass(frozen=True, slots=True)
class Provisioned:
    site_id: str
    root_fingerprint: str
    edge_fingerprint: str
    trust_version: int
    token: str
    """Shown once; only its hash is stored."""


def _read_bundle(bundle: bytes) -> tuple[bytes, bytes, int, int]:
    try:
        root, trust_list, signed = decode_trust_bundle(bundle)
    except CredentialError as exc:
        raise ProvisionError(f"not a valid trust bundle ({exc.reason}): {exc.detail}") from exc
    return root, signed, trust_list.version, trust_list.issued_at


def _is_initialised(data_dir: Path) -> bool:
    return (data_dir / KEY_FILE).exists() or (data_dir / DATABASE_FILE).exists()


def provision(data_dir: Path, site_id: str, bundle: bytes, now_ms: int) -> Provisioned:
    root, signed, version, issued_at = _read_bundle(bundle)
    trust = TrustRecord(signed, version, issued_at, now_ms)
    edge_key, token = create_edge(data_dir, site_id, root, now_ms, trust)
    return Provisioned(site_id, fingerprint(root), fingerprint(edge_key.public_key), version, token)


def create_edge(
    data_dir: Path,
    site_id: str,
    root: bytes,
    now_ms: int,
    trust: TrustRecord | None,
    key: SigningKey | None = None,
) -> tuple[SigningKey, str]:
    """Make the data directory of a new edge: its key (0600), its database with the
    identity (site, pinned root key, hashed API token), the shipped site map and, when
    given, a trust list. Return the key and the API token (to show once)."""
    sites = default_site_map()
    if site_id not in sites.sites:
        known = ", ".join(sorted(sites.sites))
        raise ProvisionError(f"unknown site {site_id!r}; sites: {known}")
    if _is_initialised(data_dir):
        raise ProvisionError(f"{data_dir} already holds an edge; use a new directory")
    private_dir(data_dir)
    key_path = data_dir / KEY_FILE
    edge_key = create_edge_key(key_path, key)
    token = new_token()
    identity = EdgeIdentity(site_id, root, token_digest(token), now_ms)

    def initialise(tx: Transaction) -> None:
        store.write_identity(tx.conn, identity)
        if trust is not None:
            store.write_trust(tx.conn, trust)
            store.set_dataset_version(tx.conn, reference.TRUST_LIST, trust.version, now_ms)
        store.write_site_map(tx.conn, default_site_map_text(), sites.version)

    db = Database(data_dir / DATABASE_FILE, store.migrate).open()
    try:
        db.write_blocking(initialise)
    except Exception:
        key_path.unlink()
        raise
    finally:
        db.close()
    return edge_key, token


def refresh_trust_list(data_dir: Path, bundle: bytes, now_ms: int) -> tuple[int, bool]:
    """Adopt a newer trust list from a bundle whose root is the pinned one.
    Return (version in force, whether it changed). Run it with the edge stopped."""
    if not (data_dir / DATABASE_FILE).exists():
        raise ProvisionError(f"{data_dir} holds no edge; run 'borderpass edge init'")
    root, signed, _, _ = _read_bundle(bundle)
    db = Database(data_dir / DATABASE_FILE, store.migrate).open()
    try:

        def adopt(tx: Transaction) -> tuple[int, bool]:
            state = load_state(tx.conn)
            if root != state.identity.root_public_key:
                raise ProvisionError("the bundle's root key is not the one this edge pinned")
            changed = reference.replace_trust_list(tx, state, signed, now_ms)
            assert state.trust is not None
            return state.trust.record.version, changed

        return db.write_blocking(adopt)
    except ChangeRefused as exc:
        raise ProvisionError(f"trust list refused ({exc.reason}): {exc.detail}") from exc
    finally:
        db.close()
