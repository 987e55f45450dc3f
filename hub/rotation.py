"""Issuer key rotation rules, pure: the window of a new key and which keys a new
trust list carries.

* The first issuer key is valid from ``hub init``; a rotated key from a lead time in
  the future (7 days by default), so every edge holds it before the first permit it
  signs is scanned.
* An old key stays listed until its ``not_after`` (permits it signed end no later),
  and leaves the list at the first rotation after that.
"""

from __future__ import annotations

from collections.abc import Iterable

from protocol.trust import IssuerKey, TrustList

DEFAULT_SCOPE = ("dongxing", "fangchenggang")
DAY_S = 86_400
YEAR_S = 365 * DAY_S


def issuer_key_window(now_s: int, lead_days: int, years: int) -> tuple[int, int]:
    """(not_before, not_after) of a key made at ``now_s``, first usable after the lead."""
    if lead_days < 0 or years < 1:
        raise ValueError("lead_days must be >= 0 and years >= 1")
    not_before = now_s + lead_days * DAY_S
    return not_before, not_before + years * YEAR_S


def listed_keys(keys: Iterable[IssuerKey], now_s: int) -> tuple[IssuerKey, ...]:
    """The keys a trust list made at ``now_s`` carries: all but those past not_after,
    oldest first."""
    alive = [k for k in keys if k.not_after >= now_s]
    return tuple(sorted(alive, key=lambda k: (k.not_before, k.public_key)))


def next_trust_list(current_version: int, keys: Iterable[IssuerKey], now_s: int) -> TrustList:
    return TrustList(version=current_version + 1, issued_at=now_s, keys=listed_keys(keys, now_s))
