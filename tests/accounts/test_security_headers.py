"""Security headers on every response: pages, the API, static files and errors."""
from __future__ import annotations

import pytest

from marketplace.web.security import CSP

STRICT = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize("path", ["/login", "/api/providers", "/static/app/site.css", "/findes-ikke",
                                  "/schema/openapi.json"])
async def test_every_response_has_the_security_headers(client, path: str) -> None:
    response = await client.get(path)
    for name, value in STRICT.items():
        assert response.headers.get(name) == value, (path, name)
    assert "strict-transport-security" not in response.headers  # plain HTTP


async def test_the_policy_allows_no_inline_script_and_no_framing() -> None:
    assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP
    assert "frame-ancestors 'none'" in CSP


async def test_hsts_is_sent_over_https(client) -> None:
    client.base_url = "https://testserver.local"
    response = await client.get("/login")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["content-security-policy"] == CSP


async def test_the_session_cookie_is_secure_over_https(client) -> None:
    from .support import login, make_user

    client.base_url = "https://testserver.local"
    user = await make_user("citizen")
    response = await login(client, user.email)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("session="))
    assert "secure" in cookie.lower()


async def test_the_swagger_ui_alone_may_load_its_cdn_script(client) -> None:
    response = await client.get("/schema/swagger")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in policy and "frame-ancestors 'none'" in policy


async def test_the_hook_sets_each_header_once_replacing_a_handlers_own_and_keeping_the_rest() -> None:
    from marketplace.settings import get_settings
    from marketplace.web.security import security_headers

    add = security_headers(get_settings())
    message = {"type": "http.response.start", "status": 200,
               "headers": [(b"content-type", b"text/html"), (b"X-Frame-Options", b"SAMEORIGIN"), [b"x-cache", b"HIT"]]}
    await add(message, {"type": "http", "path": "/", "scheme": "http"})
    headers = [(bytes(k).lower(), bytes(v)) for k, v in message["headers"]]
    names = [k for k, _ in headers]
    assert dict(headers)[b"x-frame-options"] == b"DENY" and names.count(b"x-frame-options") == 1
    assert dict(headers)[b"content-type"] == b"text/html" and dict(headers)[b"x-cache"] == b"HIT"
    assert dict(headers)[b"content-security-policy"] == CSP.encode()
    assert b"strict-transport-security" not in names
    body = {"type": "http.response.body", "body": b"x"}
    await add(body, {"type": "http", "path": "/", "scheme": "https"})
    assert body == {"type": "http.response.body", "body": b"x"}  # only the start of a response
    https = {"type": "http.response.start", "status": 200, "headers": []}
    await add(https, {"type": "http", "path": "/", "scheme": "https"})
    assert (b"strict-transport-security", b"max-age=31536000; includeSubDomains") in https["headers"]
