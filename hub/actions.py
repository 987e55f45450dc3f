"""The registry's changes, each one write transaction: read what the rules need, apply
the pure rules, change the rows, call the registry hook (audit, and later the sync
change log). Handlers run these with ``await db.write(lambda tx: ...)``, so a check
and the change it allows can never be split by another writer."""

from __future__ import annotations

from dataclasses import dataclass

from borderpass.sqlite import Transaction
from hub import changefeed, issuance, registration
from hub.errors import Refusal, not_found
from hub.keyring import Keyring
from hub.records import Employer, IssuedPermit, LabourAgency, RevocationEntry
from hub.store import access, registry
from hub.trustlist import trusted_keys
from protocol.credential import encode_permit
from protocol.days import end_of_day_ms, shanghai_date
from protocol.refs import Revocation, RevocationKind
from protocol.sites import SiteMap
from protocol.trust import choose_issuer_key


@dataclass(frozen=True, slots=True)
class Issuing:
    """What issuing needs besides the request: keys, sites, the instant, who asks."""

    keyring: Keyring
    sites: SiteMap
    now_ms: int
    actor: str


def registry_facts(tx: Transaction, req: issuance.PermitRequest) -> issuance.RegistryFacts:
    conn = tx.conn
    employer = registry.get_employer(conn, req.employer_id)
    agency_id = employer.agency_id if employer else None
    bpn = req.worker.border_pass_no
    return issuance.RegistryFacts(
        employer=employer,
        agency=registry.get_agency(conn, agency_id) if agency_id else None,
        worker_on_file=registry.get_worker(conn, bpn),
        worker_revoked=registry.active_revocation(conn, RevocationKind.WORKER, bpn) is not None,
        employer_revoked=registry.active_revocation(conn, RevocationKind.EMPLOYER, req.employer_id)
        is not None,
    )


def _fresh_permit_id(tx: Transaction) -> str:
    while True:
        permit_id = registration.new_id("P")
        if registry.get_permit(tx.conn, permit_id) is None:
            return permit_id


def issue_permit(tx: Transaction, req: issuance.PermitRequest, ctx: Issuing) -> IssuedPermit:
    """Check the rules, pick the issuer key, sign, store and audit one permit."""
    facts = registry_facts(tx, req)
    zones = issuance.check_permit_request(req, facts, ctx.sites, shanghai_date(ctx.now_ms))
    _, trust = trusted_keys(tx.conn)
    issued_at = ctx.now_ms // 1000
    ends_at = end_of_day_ms(req.valid_until) // 1000
    key = choose_issuer_key(trust.keys, issued_at, ends_at)
    if key is None or not all(key.covers(zone) for zone in zones):
        raise Refusal(
            "no_issuer_key",
            "no listed issuer key is valid now and outlives this permit: rotate the key",
            status=503,
        )
    permit = issuance.build_permit(req, zones, _fresh_permit_id(tx), issued_at, key.key_id)
    qr = encode_permit(permit, ctx.keyring.issuer(key.public_key))
    issued = IssuedPermit(permit, qr, ctx.actor, req.zone_reason)
    registry.insert_permit(tx, issued)
    registry.on_permit_issued(tx, issued, ctx.now_ms)
    if facts.employer is not None:  # the rules refuse a permit without one
        changefeed.permit_issued(tx, issued, facts.employer, ctx.now_ms)
    return issued


def register_employer(tx: Transaction, employer: Employer, now_ms: int, actor: str) -> Employer:
    if employer.agency_id and registry.get_agency(tx.conn, employer.agency_id) is None:
        raise Refusal("unknown_agency", employer.agency_id)
    if registry.get_employer(tx.conn, employer.employer_id) is not None:
        raise Refusal("already_exists", f"employer {employer.employer_id}", status=409)
    registry.insert_employer(tx, employer, now_ms)
    detail: dict[str, object] = {"park_zone": employer.park_zone, "name_zh": employer.name_zh}
    access.audit(tx, actor, "employer.register", employer.employer_id, detail, now_ms)
    changefeed.employer(tx, employer, now_ms)
    return employer


def register_agency(tx: Transaction, agency: LabourAgency, now_ms: int, actor: str) -> LabourAgency:
    if registry.get_agency(tx.conn, agency.agency_id) is not None:
        raise Refusal("already_exists", f"agency {agency.agency_id}", status=409)
    registry.insert_agency(tx, agency, now_ms)
    detail: dict[str, object] = {"licence_no": agency.licence_no}
    access.audit(tx, actor, "agency.register", agency.agency_id, detail, now_ms)
    return agency


def _subject_exists(tx: Transaction, kind: RevocationKind, subject: str) -> bool:
    if kind is RevocationKind.PERMIT:
        return registry.get_permit(tx.conn, subject) is not None
    if kind is RevocationKind.WORKER:
        return registry.get_worker(tx.conn, subject) is not None
    return registry.get_employer(tx.conn, subject) is not None


def revoke(
    tx: Transaction, kind: RevocationKind, subject: str, reason: str, now_ms: int, actor: str
) -> RevocationEntry:
    """Revoke a permit, every permit of a worker, or every permit of an employer."""
    if not _subject_exists(tx, kind, subject):
        raise not_found(kind.value)
    if registry.active_revocation(tx.conn, kind, subject) is not None:
        raise Refusal("already_revoked", f"{kind.value} {subject}", status=409)
    revocation = Revocation(kind, subject, now_ms // 1000, reason)
    entry = registry.insert_revocation(tx, revocation, actor)
    registry.on_revocation(tx, entry, now_ms)
    changefeed.revocation(tx, entry, now_ms)
    return entry


def reinstate(
    tx: Transaction, revocation_id: int, reason: str, now_ms: int, actor: str
) -> RevocationEntry:
    """Lift a revocation (admins only); the row stays, marked with who and why."""
    entry = registry.get_revocation(tx.conn, revocation_id)
    if entry is None:
        raise not_found("revocation")
    if not entry.active:
        raise Refusal("not_revoked", f"revocation {revocation_id} was already lifted", 409)
    lifted = registry.mark_reinstated(tx, entry, now_ms // 1000, actor, reason)
    registry.on_reinstatement(tx, lifted, now_ms)
    changefeed.revocation(tx, lifted, now_ms)
    return lifted
