"""Hub test kit (importable as ``hubkit`` from tests/hub; the fixtures are re-exported by
this directory's conftest.py): an initialised hub in a temp dir (real SQLite, real key files), its
app under aiohttp's test client with a ManualClock, and helpers to call the API and
to log in on the web pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import NOW_MS
from synckit import init_hub

from borderpass.clock import ManualClock
from hub.app import create_app
from hub.config import HubConfig

PASSWORD = "correct horse battery"
EMPLOYER = {
    "employer_id": "E-JP-01",
    "name_zh": "江平制衣有限公司",
    "name_vi": "Công ty May Giang Bình",
    "hiring_permit_no": "DX-PY-2026-001",
    "hiring_permit_valid_from": "2026-01-01",
    "hiring_permit_valid_until": "2027-12-31",
    "park_zone": "dongxing/jiangping",
}
OTHER_EMPLOYER = {
    **EMPLOYER,
    "employer_id": "E-CL-02",
    "name_zh": "冲榄电子厂",
    "name_vi": "Nhà máy điện tử Xung Lãm",
    "park_zone": "dongxing/chonglan",
}


def permit_body(**overrides: Any) -> dict[str, Any]:
    """The body of POST /api/permits (issue 5), valid at NOW_MS for EMPLOYER."""
    worker = {
        "name": "Nguyễn Thị Lan",
        "name_zh": "阮氏兰",
        "border_pass_no": "VN-BP-0001",
        "birth_date": "1995-04-12",
        "sex": "F",
    }
    worker.update(overrides.pop("worker", {}))
    body: dict[str, Any] = {
        "worker": worker,
        "employer_id": EMPLOYER["employer_id"],
        "zones": ["dongxing/jiangping"],
        "valid_from": "2026-11-02",
        "valid_until": "2027-03-31",
        "health_cert_until": "2027-06-30",
        "insurance_until": "2027-06-30",
    }
    body.update(overrides)
    return body


@dataclass
class Hub:
    config: HubConfig
    clock: ManualClock
    admin_token: str
    tokens: dict[str, str]
    """A token per role name (``employer`` bound to EMPLOYER, ``other_employer`` to
    OTHER_EMPLOYER)."""

    @property
    def database_path(self) -> Path:
        return self.config.database_path


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    clock = ManualClock(NOW_MS)
    config, admin = init_hub(tmp_path / "hub", clock)
    return Hub(config, clock, admin, {"admin": admin})


@pytest.fixture
async def client(hub: Hub, aiohttp_client: Any) -> TestClient:
    """The hub's app with two employers registered and a token for every role."""
    app = create_app(hub.config, hub.clock)
    test_client: TestClient = await aiohttp_client(app)
    admin = {"Authorization": f"Bearer {hub.admin_token}"}
    for employer in (EMPLOYER, OTHER_EMPLOYER):
        response = await test_client.post("/api/employers", json=employer, headers=admin)
        assert response.status == 201, await response.text()
    grants = {
        "issuer": ("issuer", None),
        "police": ("police", None),
        "employer": ("employer", EMPLOYER["employer_id"]),
        "other_employer": ("employer", OTHER_EMPLOYER["employer_id"]),
    }
    for name, (role, employer_id) in grants.items():
        response = await test_client.post(
            "/api/tokens", json={"role": role, "employer_id": employer_id}, headers=admin
        )
        assert response.status == 201, await response.text()
        hub.tokens[name] = (await response.json())["token"]
    return test_client


def bearer(hub: Hub, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hub.tokens[who]}"}


async def add_user(client: TestClient, hub: Hub, username: str, role: str, **extra: Any) -> None:
    body = {"username": username, "password": PASSWORD, "role": role, **extra}
    response = await client.post("/api/users", json=body, headers=bearer(hub, "admin"))
    assert response.status == 201, await response.text()


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


async def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the login form; return a CSRF token of the new session."""
    page = await client.get("/login")
    csrf = csrf_of(await page.text())
    form = {"username": username, "password": password, "csrf": csrf, "next": "/"}
    response = await client.post("/login", data=form)
    assert response.status == 200, await response.text()
    return csrf_of(await response.text())
