"""The hub's private keys on disk: they never leave the hub's machine.

Layout under the data directory::

    keys/                      mode 0700
    keys/root.key              mode 0600, the root Ed25519 seed (signs trust lists)
    keys/issuer-<keyid>.key    mode 0600, an issuer seed (signs permits)

A key file holds the 32-byte seed in hex and a newline. Files are created with
``O_EXCL``: an existing key is never overwritten.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from protocol.keys import SigningKey, key_id_for

ROOT_FILE = "root.key"
DIR_MODE = 0o700
FILE_MODE = 0o600


class KeyringError(Exception):
    """A key file is missing, unreadable or not a key."""


class Keyring:
    """The ``keys/`` directory of a hub."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def ensure_directory(self) -> None:
        self.directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(self.directory, DIR_MODE)

    def issuer_path(self, key_id: bytes) -> Path:
        return self.directory / f"issuer-{key_id.hex()}.key"

    @property
    def root_path(self) -> Path:
        return self.directory / ROOT_FILE

    def create_root(self) -> SigningKey:
        key = SigningKey.generate()
        self._write(self.root_path, key)
        return key

    def create_issuer(self) -> SigningKey:
        key = SigningKey.generate()
        self._write(self.issuer_path(key.key_id), key)
        return key

    def root(self) -> SigningKey:
        return self._read(self.root_path)

    def issuer(self, public_key: bytes) -> SigningKey:
        """The issuer key whose public half is ``public_key``."""
        key = self._read(self.issuer_path(key_id_for(public_key)))
        if key.public_key != public_key:
            raise KeyringError(f"{self.issuer_path(key.key_id)} holds another key")
        return key

    def _write(self, path: Path, key: SigningKey) -> None:
        self.ensure_directory()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            os.write(fd, key.seed.hex().encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _read(path: Path) -> SigningKey:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            text = path.read_text("ascii").strip()
        except OSError as exc:
            raise KeyringError(f"cannot read {path}: {exc.strerror}") from exc
        if mode & 0o077:
            raise KeyringError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
        try:
            return SigningKey(bytes.fromhex(text))
        except ValueError as exc:
            raise KeyringError(f"{path} does not hold an Ed25519 seed") from exc
