"""Verdict reasons: every reason a scan can carry, and what each does to the verdict.

The table :data:`EFFECT` is the whole policy of how reasons combine (see
:func:`protocol.verdict.outcome_for`):

* ``invalid``: the text is not a genuine permit. Deny, in every direction.
* ``alert``: deny and raise an urgent alert (a move inland that no permit allows).
* ``refuse``: deny a move inward or a roll call; a move outward is still allowed.
* ``warn`` and ``note``: shown to the officer and logged; the verdict is unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    KEY_NOT_VALID = "key_not_valid"
    KEY_OUT_OF_SCOPE = "key_out_of_scope"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    HEALTH_CERT_LAPSED = "health_cert_lapsed"
    INSURANCE_LAPSED = "insurance_lapsed"
    REVOKED_PERMIT = "revoked_permit"
    REVOKED_WORKER = "revoked_worker"
    REVOKED_EMPLOYER = "revoked_employer"
    USED_UP = "used_up"
    ZONE_NOT_PERMITTED = "zone_not_permitted"
    INLAND_NOT_PERMITTED = "inland_not_permitted"
    STALE_TRUST = "stale_trust"
    LATE_EXIT = "late_exit"


class Effect(StrEnum):
    INVALID = "invalid"
    ALERT = "alert"
    REFUSE = "refuse"
    WARN = "warn"
    NOTE = "note"


EFFECT: dict[Reason, Effect] = {
    Reason.MALFORMED: Effect.INVALID,
    Reason.TOO_LARGE: Effect.INVALID,
    Reason.UNSUPPORTED_VERSION: Effect.INVALID,
    Reason.UNKNOWN_KEY: Effect.INVALID,
    Reason.BAD_SIGNATURE: Effect.INVALID,
    Reason.KEY_NOT_VALID: Effect.REFUSE,
    Reason.KEY_OUT_OF_SCOPE: Effect.REFUSE,
    Reason.NOT_YET_VALID: Effect.REFUSE,
    Reason.EXPIRED: Effect.REFUSE,
    Reason.HEALTH_CERT_LAPSED: Effect.REFUSE,
    Reason.INSURANCE_LAPSED: Effect.REFUSE,
    Reason.REVOKED_PERMIT: Effect.REFUSE,
    Reason.REVOKED_WORKER: Effect.REFUSE,
    Reason.REVOKED_EMPLOYER: Effect.REFUSE,
    Reason.USED_UP: Effect.REFUSE,
    Reason.ZONE_NOT_PERMITTED: Effect.REFUSE,
    Reason.INLAND_NOT_PERMITTED: Effect.ALERT,
    Reason.STALE_TRUST: Effect.WARN,
    Reason.LATE_EXIT: Effect.NOTE,
}
