"""Every route of the edge, in one place. Handlers live in :mod:`edge.api` (JSON) and
:mod:`edge.pages` (HTML)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from . import api, pages


def register(app: web.Application) -> None:
    app.router.add_post("/api/scan", api.post_scan)
    app.router.add_get("/api/status", api.get_status)
    app.router.add_get("/api/onsite", api.get_onsite)
    app.router.add_get("/api/scans", api.get_scans)
    app.router.add_post("/api/decode", api.post_decode)
    app.router.add_post("/api/sync", api.post_sync)
    app.router.add_get("/", pages.scan_page)
    app.router.add_get("/onsite", pages.onsite_page)
    app.router.add_get("/fragments/status", pages.status_fragment)
    app.router.add_get("/fragments/scans", pages.scans_fragment)
    app.router.add_get("/fragments/onsite", pages.onsite_fragment)
    app.router.add_get("/login", pages.login_form)
    app.router.add_post("/login", pages.login_submit)
    app.router.add_post("/logout", pages.logout)
    static = Path(__file__).parent / "static"
    app.router.add_static("/static/", static, append_version=False)
