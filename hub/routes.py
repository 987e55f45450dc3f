"""Every route of the hub, and only that: which path and method reach which handler,
under which name. The names are the keys of the role table in :mod:`hub.roles`."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from hub.api import access as api_access
from hub.api import alerts as api_alerts
from hub.api import edges as api_edges
from hub.api import employers as api_employers
from hub.api import permits as api_permits
from hub.api import revocations as api_revocations
from hub.api import timeline as api_timeline
from hub.api import workers as api_workers
from hub.pages import (
    alerts,
    dashboard,
    edges,
    employers,
    login,
    permits,
    public,
    reports,
    revocations,
    timeline,
    workers,
)

STATIC_DIR = Path(__file__).parent / "static"


def add_api_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/agencies", api_employers.create_agency, name="api.agencies.create")
    r.add_get("/api/agencies", api_employers.list_agencies, name="api.agencies.list")
    r.add_post("/api/employers", api_employers.create, name="api.employers.create")
    r.add_get("/api/employers", api_employers.list_all, name="api.employers.list")
    r.add_get("/api/employers/{employer_id}", api_employers.get, name="api.employers.get")
    r.add_post(
        "/api/employers/{employer_id}/revoke", api_employers.revoke, name="api.employers.revoke"
    )
    r.add_post("/api/permits", api_permits.create, name="api.permits.create")
    r.add_get("/api/permits", api_permits.list_all, name="api.permits.list")
    r.add_get("/api/permits/{permit_id}", api_permits.get, name="api.permits.get")
    r.add_get("/api/permits/{permit_id}/qr.png", api_permits.qr_png, name="api.permits.qr_png")
    r.add_get("/api/permits/{permit_id}/qr.svg", api_permits.qr_svg, name="api.permits.qr_svg")
    r.add_post("/api/permits/{permit_id}/revoke", api_permits.revoke, name="api.permits.revoke")
    r.add_get("/api/workers/{border_pass_no}", api_workers.get, name="api.workers.get")
    r.add_post(
        "/api/workers/{border_pass_no}/revoke", api_workers.revoke, name="api.workers.revoke"
    )
    r.add_get("/api/revocations", api_revocations.list_all, name="api.revocations.list")
    r.add_post(
        "/api/revocations/{revocation_id}/reinstate",
        api_revocations.reinstate,
        name="api.revocations.reinstate",
    )
    r.add_post("/api/users", api_access.create_user, name="api.users.create")
    r.add_get("/api/users", api_access.list_users, name="api.users.list")
    add_user_routes(app)
    r.add_post("/api/tokens", api_access.create_token, name="api.tokens.create")
    r.add_get("/api/tokens", api_access.list_tokens, name="api.tokens.list")
    r.add_post("/api/tokens/{token_id}/revoke", api_access.revoke_token, name="api.tokens.revoke")
    r.add_get("/api/audit", api_access.list_audit, name="api.audit.list")
    r.add_get("/api/trust", api_access.trust, name="api.trust.get")
    r.add_post("/api/edges", api_edges.create, name="api.edges.create")
    r.add_get("/api/edges", api_edges.list_all, name="api.edges.list")
    r.add_post("/api/edges/{edge_id}/revoke", api_edges.revoke, name="api.edges.revoke")
    add_alert_routes(app)


def add_user_routes(app: web.Application) -> None:
    r, user = app.router, "/api/users/{username}"
    r.add_post(f"{user}/disable", api_access.disable_user, name="api.users.disable")
    r.add_post(f"{user}/enable", api_access.enable_user, name="api.users.enable")
    r.add_post(f"{user}/password", api_access.reset_password, name="api.users.password")
    r.add_post(f"{user}/end-sessions", api_access.end_sessions, name="api.users.end_sessions")


def add_alert_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/alerts", api_alerts.list_all, name="api.alerts.list")
    r.add_get("/api/alerts/{alert_id}", api_alerts.get, name="api.alerts.get")
    r.add_post(
        "/api/alerts/{alert_id}/acknowledge", api_alerts.acknowledge, name="api.alerts.acknowledge"
    )
    r.add_post("/api/alerts/{alert_id}/resolve", api_alerts.resolve, name="api.alerts.resolve")
    r.add_get(
        "/api/workers/{border_pass_no}/timeline", api_timeline.get, name="api.workers.timeline"
    )


def add_page_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/login", login.show, name="page.login")
    r.add_post("/login", login.submit, name="page.login.submit")
    r.add_post("/logout", login.logout, name="page.logout")
    r.add_get("/lang/{lang}", login.switch_language, name="page.lang")
    r.add_get("/", dashboard.show, name="page.home")
    r.add_get("/employers", employers.list_all, name="page.employers")
    r.add_post("/employers", employers.create, name="page.employers.create")
    r.add_get("/employers/{employer_id}", employers.show, name="page.employer")
    r.add_post(
        "/employers/{employer_id}/revoke", permits.revoke_employer, name="page.employer.revoke"
    )
    r.add_get("/permits", permits.list_all, name="page.permits")
    r.add_get("/permits/new", permits.new, name="page.permits.new")
    r.add_post("/permits", permits.create, name="page.permits.create")
    r.add_get("/permits/{permit_id}", permits.show, name="page.permit")
    r.add_get("/permits/{permit_id}/card", permits.card, name="page.permit.card")
    r.add_get("/permits/{permit_id}/qr.png", api_permits.qr_png, name="page.permit.qr_png")
    r.add_get("/permits/{permit_id}/qr.svg", api_permits.qr_svg, name="page.permit.qr_svg")
    r.add_post("/permits/{permit_id}/revoke", permits.revoke, name="page.permit.revoke")
    r.add_get("/workers/{border_pass_no}", workers.show, name="page.worker")
    r.add_post("/workers/{border_pass_no}/revoke", permits.revoke_worker, name="page.worker.revoke")
    r.add_get("/revocations", revocations.list_all, name="page.revocations")
    r.add_post(
        "/revocations/{revocation_id}/reinstate",
        revocations.reinstate,
        name="page.revocation.reinstate",
    )
    r.add_get("/workers/{border_pass_no}/timeline", timeline.show, name="page.worker.timeline")
    r.add_get("/alerts", alerts.list_all, name="page.alerts")
    r.add_get("/alerts/{alert_id}", alerts.show, name="page.alert")
    r.add_post("/alerts/{alert_id}/acknowledge", alerts.acknowledge, name="page.alert.acknowledge")
    r.add_post("/alerts/{alert_id}/resolve", alerts.resolve, name="page.alert.resolve")
    r.add_get("/edges", edges.list_all, name="page.edges")
    r.add_post("/edges", edges.create, name="page.edges.create")
    r.add_post("/edges/{edge_id}/revoke", edges.revoke, name="page.edge.revoke")
    r.add_get("/reports", reports.index, name="page.reports")
    r.add_get("/reports/{report:[a-z-]+}.csv", reports.download, name="page.report.csv")
    r.add_get("/reports/{report:[a-z-]+}", reports.show, name="page.report")
    r.add_get("/public/expelled", public.expelled, name="public.expelled")
    r.add_get("/public/expelled.json", public.expelled_json, name="public.expelled_json")
    r.add_static("/static/", STATIC_DIR, name="static")


def setup_routes(app: web.Application) -> None:
    add_api_routes(app)
    add_page_routes(app)
