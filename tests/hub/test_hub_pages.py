"""The web pages: login, CSRF, issuing from the form to the card, revoking, the public
list, language, and every value escaped."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from hubkit import EMPLOYER, PASSWORD, Hub, add_user, bearer, csrf_of, log_in, permit_body

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


async def test_pages_need_a_login(client: TestClient) -> None:
    response = await client.get("/permits", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/login?next=/permits"
    anonymous_post = await client.post("/permits", data={"csrf": "x"})
    assert anonymous_post.status == 401


async def test_login_sets_a_strict_httponly_cookie(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "hr1", "issuer")
    page = await client.get("/login")
    csrf = csrf_of(await page.text())
    response = await client.post(
        "/login",
        data={"username": "hr1", "password": PASSWORD, "csrf": csrf, "next": "/permits"},
        allow_redirects=False,
    )
    assert response.status == 303 and response.headers["Location"] == "/permits"
    cookie = response.headers.getall("Set-Cookie")
    session = next(c for c in cookie if c.startswith("bp_session="))
    assert "HttpOnly" in session and "SameSite=Strict" in session


async def test_a_wrong_password_or_missing_csrf_is_refused(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "hr1", "issuer")
    csrf = csrf_of(await (await client.get("/login")).text())
    wrong = await client.post("/login", data={"username": "hr1", "password": "nope-nope",
                                              "csrf": csrf})  # fmt: skip
    assert wrong.status == 401 and "bad_login" in await wrong.text()
    no_csrf = await client.post("/login", data={"username": "hr1", "password": PASSWORD})
    assert no_csrf.status == 403 and "bad_csrf" in await no_csrf.text()


async def test_a_post_without_the_session_csrf_token_is_403(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "hr1", "issuer")
    csrf = await log_in(client, "hr1")
    employer = {**EMPLOYER, "employer_id": "E-FORM"}
    for token in (None, "forged", csrf[:-1]):
        data = dict(employer) if token is None else {**employer, "csrf": token}
        response = await client.post("/employers", data=data)
        assert response.status == 403 and "bad_csrf" in await response.text()
    listed = await (await client.get("/api/employers", headers=bearer(hub, "admin"))).json()
    assert "E-FORM" not in {e["employer_id"] for e in listed["employers"]}
    response = await client.post("/employers", data={**employer, "csrf": csrf})
    assert response.status == 200 and "E-FORM" in str(response.url)


async def test_issue_from_the_form_to_the_card(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "hr1", "issuer")
    csrf = await log_in(client, "hr1")
    form = await client.get("/permits/new")
    assert 'value="dongxing/jiangping"' in await form.text()
    body = permit_body()
    data = [("csrf", csrf), ("employer_id", EMPLOYER["employer_id"]),
            ("zones", "dongxing/jiangping"), *body["worker"].items(),
            *((k, body[k]) for k in ("valid_from", "valid_until", "health_cert_until",
                                     "insurance_until"))]  # fmt: skip
    response = await client.post("/permits", data=data)
    assert response.status == 200 and str(response.url).endswith("/card")
    card = await response.text()
    for text in ("境外边民入境务工证", "Giấy phép", "阮氏兰", "Nguyễn Thị Lan", "江平工业园",
                 "Khu công nghiệp Giang Bình", "江平制衣有限公司", "Công ty May Giang Bình",
                 "2027-03-31", "<svg"):  # fmt: skip
        assert text in card, text
    refused = await client.post("/permits", data=[*data[:-1], ("insurance_until", "2027-01-01")])
    assert refused.status == 400 and "insurance_ends_first" in await refused.text()


async def test_revoke_and_reinstate_from_the_pages(client: TestClient, hub: Hub) -> None:
    issued = await client.post("/api/permits", json=permit_body(), headers=bearer(hub, "issuer"))
    pid = (await issued.json())["permit_id"]
    await add_user(client, hub, "boss", "admin")
    csrf = await log_in(client, "boss")
    page = await client.post(f"/permits/{pid}/revoke", data={"csrf": csrf, "reason": "lost card"})
    assert page.status == 200 and "revoked" in await page.text()
    revocations = await (await client.get("/revocations")).text()
    assert "lost card" in revocations
    listed = await (await client.get("/api/revocations", headers=bearer(hub, "admin"))).json()
    rid = listed["revocations"][0]["revocation_id"]
    form = {"csrf": csrf, "reason": "found"}
    lifted = await client.post(f"/revocations/{rid}/reinstate", data=form)
    assert lifted.status == 200
    after = await (await client.get(f"/api/permits/{pid}", headers=bearer(hub, "admin"))).json()
    assert after["status"] == "valid"


async def test_an_employer_user_sees_only_its_pages(client: TestClient, hub: Hub) -> None:
    issued = await client.post("/api/permits", json=permit_body(), headers=bearer(hub, "issuer"))
    pid = (await issued.json())["permit_id"]
    await add_user(client, hub, "other", "employer", employer_id="E-CL-02")
    await log_in(client, "other")
    assert (await client.get(f"/permits/{pid}")).status == 404
    assert (await client.get("/workers/VN-BP-0001")).status == 404
    assert (await client.get("/permits/new")).status == 403
    assert pid not in await (await client.get("/permits")).text()


async def test_language_switch(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "cop", "police")
    await log_in(client, "cop")
    assert "用工单位" in await (await client.get("/employers")).text()
    response = await client.get("/lang/en?next=/employers")
    text = await response.text()
    assert "Employers" in text and 'lang="en"' in text
    assert (await client.get("/lang/fr")).status == 404


async def test_security_headers_on_pages(client: TestClient) -> None:
    response = await client.get("/public/expelled")
    assert response.status == 200
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_a_script_in_any_name_is_shown_escaped_everywhere(
    client: TestClient, hub: Hub
) -> None:
    admin = bearer(hub, "admin")
    employer = {**EMPLOYER, "employer_id": "E-XSS", "name_zh": XSS, "name_vi": XSS}
    assert (await client.post("/api/employers", json=employer, headers=admin)).status == 201
    body = permit_body(employer_id="E-XSS", worker={"name": XSS, "name_zh": XSS})
    issued = await client.post("/api/permits", json=body, headers=admin)
    assert issued.status == 201, await issued.text()
    pid = (await issued.json())["permit_id"]
    await add_user(client, hub, "boss", "admin")
    csrf = await log_in(client, "boss")
    bpn = body["worker"]["border_pass_no"]
    await client.post(f"/workers/{bpn}/revoke", data={"csrf": csrf, "reason": XSS})
    await client.post("/employers/E-XSS/revoke", data={"csrf": csrf, "reason": XSS})
    pages = ["/", "/permits", f"/permits/{pid}", f"/permits/{pid}/card", f"/workers/{bpn}",
             "/employers", "/employers/E-XSS", "/revocations", "/public/expelled",
             f"/permits?border_pass_no={XSS}", "/permits/new"]  # fmt: skip
    for path in pages:
        response = await client.get(path)
        text = await response.text()
        assert XSS not in text, path
        if path != "/permits/new":
            assert ESCAPED in text, path
    csrf_error = await client.post("/permits", data={"csrf": csrf, "employer_id": XSS})
    assert XSS not in await csrf_error.text()
