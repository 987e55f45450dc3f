"""Who may call what: the whole access policy of the hub in one table.

Every route has a name; :data:`ACCESS` maps each name to the roles allowed to call it.
A route that is not in the table is refused to everyone (deny by default) unless it is
public: under one of :data:`PUBLIC_PREFIXES` (the sync endpoints, authenticated by edge
signatures instead, and the published pages) or named in :data:`PUBLIC_ROUTES`. Rows
scoped to an employer (marked in the comments) also limit an ``employer`` to its own
workers and permits, in the handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hub.auth import Role

ADMIN = frozenset({Role.ADMIN})
ISSUING = frozenset({Role.ADMIN, Role.ISSUER})
OFFICIALS = frozenset({Role.ADMIN, Role.ISSUER, Role.POLICE})
POLICING = frozenset({Role.ADMIN, Role.POLICE})
"""Who works alerts (acknowledge, resolve): the police and admins; HR and employers
read them."""
EVERYONE = frozenset(Role)
"""Every role; an ``employer`` sees only its own records (employer-scoped rows)."""

PUBLIC_PREFIXES = ("/sync/", "/public/", "/static/")
PUBLIC_ROUTES = frozenset({"page.login", "page.login.submit", "page.lang"})

ACCESS = MappingProxyType(
    {
        # JSON API (Authorization: Bearer TOKEN)
        "api.agencies.create": ISSUING,
        "api.agencies.list": OFFICIALS,
        "api.employers.create": ISSUING,
        "api.employers.list": EVERYONE,  # employer-scoped
        "api.employers.get": EVERYONE,  # employer-scoped
        "api.employers.revoke": ISSUING,
        "api.permits.create": ISSUING,
        "api.permits.list": EVERYONE,  # employer-scoped
        "api.permits.get": EVERYONE,  # employer-scoped
        "api.permits.qr_png": EVERYONE,  # employer-scoped
        "api.permits.qr_svg": EVERYONE,  # employer-scoped
        "api.permits.revoke": ISSUING,
        "api.workers.get": EVERYONE,  # employer-scoped
        "api.workers.revoke": ISSUING,
        "api.revocations.list": OFFICIALS,
        "api.revocations.reinstate": ADMIN,
        "api.users.create": ADMIN,
        "api.users.list": ADMIN,
        "api.users.disable": ADMIN,
        "api.users.enable": ADMIN,
        "api.users.password": ADMIN,
        "api.users.end_sessions": ADMIN,
        "api.tokens.create": ADMIN,
        "api.tokens.list": ADMIN,
        "api.tokens.revoke": ADMIN,
        "api.audit.list": ADMIN,
        "api.trust.get": OFFICIALS,
        "api.edges.create": ADMIN,
        "api.edges.list": OFFICIALS,
        "api.edges.revoke": ADMIN,
        "api.alerts.list": EVERYONE,  # employer-scoped, no edge alerts
        "api.alerts.get": EVERYONE,  # employer-scoped, no edge alerts
        "api.alerts.acknowledge": POLICING,
        "api.alerts.resolve": POLICING,
        "api.workers.timeline": EVERYONE,  # employer-scoped
        # web pages (session cookie; every POST carries the CSRF token)
        "page.logout": EVERYONE,
        "page.home": EVERYONE,
        "page.employers": OFFICIALS,
        "page.employers.create": ISSUING,
        "page.employer": EVERYONE,  # employer-scoped
        "page.employer.revoke": ISSUING,
        "page.permits": EVERYONE,  # employer-scoped
        "page.permits.new": ISSUING,
        "page.permits.create": ISSUING,
        "page.permit": EVERYONE,  # employer-scoped
        "page.permit.card": ISSUING,
        "page.permit.qr_png": EVERYONE,  # employer-scoped
        "page.permit.qr_svg": EVERYONE,  # employer-scoped
        "page.permit.revoke": ISSUING,
        "page.worker": EVERYONE,  # employer-scoped
        "page.worker.revoke": ISSUING,
        "page.revocations": OFFICIALS,
        "page.revocation.reinstate": ADMIN,
        "page.worker.timeline": EVERYONE,  # employer-scoped
        "page.alerts": EVERYONE,  # employer-scoped
        "page.alert": EVERYONE,  # employer-scoped
        "page.alert.acknowledge": POLICING,
        "page.alert.resolve": POLICING,
        "page.edges": OFFICIALS,
        "page.edges.create": ADMIN,
        "page.edge.revoke": ADMIN,
        "page.reports": EVERYONE,
        "page.report": EVERYONE,  # employer-scoped
        "page.report.csv": EVERYONE,  # employer-scoped
    }
)


@dataclass(frozen=True)
class AccessPolicy:
    """What the auth middleware enforces; tests and later modules may extend it."""

    access: Mapping[str, frozenset[Role]] = field(default_factory=lambda: ACCESS)
    public_prefixes: tuple[str, ...] = PUBLIC_PREFIXES
    public_routes: frozenset[str] = field(default=PUBLIC_ROUTES)

    def is_public(self, path: str, route_name: str | None) -> bool:
        return path.startswith(self.public_prefixes) or route_name in self.public_routes

    def roles_for(self, route_name: str | None) -> frozenset[Role]:
        """The roles allowed on a route; none for an unnamed or unlisted one."""
        if route_name is None:
            return frozenset()
        return self.access.get(route_name, frozenset())
