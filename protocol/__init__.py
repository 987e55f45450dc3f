"""borderpass protocol: the permit credential, trust list, sites and zones, verdict
rules, scan events, sync messages and the hybrid logical clock.

Pure: no network, no database, no clock reads. ``now`` is always an argument. Untrusted
bytes and text raise :class:`protocol.errors.ProtocolError` with a reason code.
"""

from .credential import PREFIX, SignedPermit, decode_permit, encode_permit, verify_permit
from .errors import CredentialError, DecodeReason, ProtocolError
from .keys import SigningKey, key_id_for
from .permit import MAX_PERMIT_DAYS, Permit, Sex, Worker
from .reasons import Reason
from .refs import ReferenceData, Revocation, RevocationKind
from .sites import Site, SiteKind, SiteMap, default_site_map
from .trust import IssuerKey, TrustList, decode_trust_list
from .verdict import Direction, Outcome, TrustAgePolicy, Verdict, decide

__all__ = [
    "MAX_PERMIT_DAYS",
    "PREFIX",
    "CredentialError",
    "DecodeReason",
    "Direction",
    "IssuerKey",
    "Outcome",
    "Permit",
    "ProtocolError",
    "Reason",
    "ReferenceData",
    "Revocation",
    "RevocationKind",
    "Sex",
    "SignedPermit",
    "SigningKey",
    "Site",
    "SiteKind",
    "SiteMap",
    "TrustAgePolicy",
    "TrustList",
    "Verdict",
    "Worker",
    "decide",
    "decode_permit",
    "decode_trust_list",
    "default_site_map",
    "encode_permit",
    "key_id_for",
    "verify_permit",
]
