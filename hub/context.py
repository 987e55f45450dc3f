"""The hub application's typed keys, and what a handler reads from its request."""

from __future__ import annotations

from aiohttp import web

from borderpass.clock import Clock
from borderpass.sqlite import Database
from hub.auth import Principal
from hub.config import HubConfig
from hub.i18n import Translator, choose_lang
from hub.keyring import Keyring
from hub.logins import LoginPolicy
from hub.roles import AccessPolicy
from protocol.sites import SiteMap

CONFIG = web.AppKey("config", HubConfig)
CLOCK = web.AppKey("clock", Clock)
DB = web.AppKey("db", Database)
KEYRING = web.AppKey("keyring", Keyring)
SITES = web.AppKey("sites", SiteMap)
POLICY = web.AppKey("policy", AccessPolicy)

PRINCIPAL = web.RequestKey("principal", Principal)
LOGIN_CSRF = web.RequestKey("login_csrf", str)
LANG_COOKIE = "bp_lang"


def db(request: web.Request) -> Database:
    return request.app[DB]


def now_ms(request: web.Request) -> int:
    return request.app[CLOCK].now_ms()


def sites(request: web.Request) -> SiteMap:
    return request.app[SITES]


def principal(request: web.Request) -> Principal:
    """Who is asking; the auth middleware set it (every non-public route has one)."""
    found = request.get(PRINCIPAL)
    if not isinstance(found, Principal):
        raise web.HTTPUnauthorized()
    return found


def optional_principal(request: web.Request) -> Principal | None:
    found = request.get(PRINCIPAL)
    return found if isinstance(found, Principal) else None


def client_address(request: web.Request) -> str:
    """The client's IP address: the peer's, or, when the peer is one of the
    ``trusted_proxies``, the nearest address in ``X-Forwarded-For`` that is not."""
    remote = request.remote or "unknown"
    proxies = request.app[CONFIG].trusted_proxies
    if remote not in proxies:
        return remote
    chain = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    for address in reversed([a for a in chain if a]):
        if address not in proxies:
            return address
    return remote


def login_policy(request: web.Request) -> LoginPolicy:
    config = request.app[CONFIG]
    return LoginPolicy(
        max_failures=config.login_max_failures,
        window_ms=int(config.login_window_s * 1000),
        lockout_ms=int(config.login_lockout_s * 1000),
    )


def lang(request: web.Request) -> str:
    return choose_lang(request.cookies.get(LANG_COOKIE), request.app[CONFIG].default_lang)


def translator(request: web.Request) -> Translator:
    return Translator(lang(request))
