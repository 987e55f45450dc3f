"""Roles, who is asking (a :class:`Principal`), and the hub's secrets: API tokens,
session ids and passwords.

Tokens and session ids are 32 random bytes; the store keeps only their SHA-256
digest, so a stolen database does not hand out working tokens (they are long enough
that a fast hash is no weakness). Passwords are short and guessable, so they get
scrypt with a per-password salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

TOKEN_PREFIX = "bpt_"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LEN = 8


class Role(StrEnum):
    ADMIN = "admin"
    ISSUER = "issuer"
    """The HR bureau: registers employers, issues and revokes permits."""
    POLICE = "police"
    EMPLOYER = "employer"
    """Bound to one employer id; sees only that employer's workers and permits."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request speaks for: a user logged in on the web, or an API token."""

    actor: str
    """How the audit log names them: ``user:NAME`` or ``token:ID``."""
    role: Role
    employer_id: str | None = None
    csrf_token: str | None = None
    """The session's CSRF token (web sessions only)."""

    def sees_employer(self, employer_id: str) -> bool:
        """An employer sees only itself; every other role sees every employer."""
        return self.role is not Role.EMPLOYER or self.employer_id == employer_id

    @property
    def employer_scope(self) -> str | None:
        """The employer id a query must be limited to, or None for no limit."""
        return self.employer_id if self.role is Role.EMPLOYER else None


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def digest(secret: str) -> str:
    """The stored form of a token or session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex), for the users table."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, expected = stored.split("$")
        if kind != "scrypt":
            return False
        key = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except ValueError:
        return False
    return hmac.compare_digest(key.hex(), expected)


def check_binding(role: Role, employer_id: str | None) -> str | None:
    """Why a role / employer binding is wrong, or None: an ``employer`` user or token
    is bound to exactly one employer, no other role is bound to any."""
    if role is Role.EMPLOYER and not employer_id:
        return "the employer role needs an employer id"
    if role is not Role.EMPLOYER and employer_id:
        return "only the employer role is bound to an employer id"
    return None
