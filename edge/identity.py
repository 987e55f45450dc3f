"""The edge's secrets: its Ed25519 key (a 32-byte seed in ``DIR/edge.key``, mode 0600,
made at init, never sent anywhere) and its API token (shown once, stored as a hash).

The token is 32 random bytes, so a plain SHA-256 of it is as good as a slow hash; it
is compared in constant time. A browser login gets a random session id of its own
(:mod:`edge.auth`), so the cookie never carries the token itself.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

from protocol.keys import SigningKey

SEED_LEN = 32


class IdentityError(Exception):
    """The key file is missing, malformed or readable by others."""


def create_edge_key(path: Path, key: SigningKey | None = None) -> SigningKey:
    """Write a key's seed (a new key unless given) to ``path`` (mode 0600); refuse to
    overwrite."""
    key = key or SigningKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.seed)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def load_edge_key(path: Path) -> SigningKey:
    """Read the key; refuse a file that group or others may read or that is not a seed."""
    try:
        mode = path.stat().st_mode
        seed = path.read_bytes()
    except FileNotFoundError as exc:
        raise IdentityError(f"{path}: no edge key (run 'borderpass edge init')") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IdentityError(f"{path}: must be readable by its owner only (chmod 600)")
    if len(seed) != SEED_LEN:
        raise IdentityError(f"{path}: not an edge key ({len(seed)} bytes, expected 32)")
    return SigningKey(seed)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
