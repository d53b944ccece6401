"""CSRF: every state-changing request needs the token (form field or header) that matches the
cookie; without it: 403, JSON under /api and a Danish page elsewhere."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
from factories import running
from litestar import post
from litestar.params import JSONBody

from .support import PASSWORD, csrf_token, make_user


@post("/api/test-echo", name="test:echo", sync_to_thread=False)
def echo(data: JSONBody[dict]) -> dict:
    """A state-changing API route that exists only in this test module."""
    return data


@asynccontextmanager
async def api_client(engine) -> AsyncIterator[httpx.AsyncClient]:
    """The real app plus `echo`."""
    from marketplace.app import create_app

    app = create_app(search_engine=engine, run_outbox_worker=False)
    app.register(echo)
    async with running(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local") as http:
            yield http


async def test_post_login_without_token_is_refused_with_a_danish_page(client) -> None:
    user = await make_user("citizen")
    await csrf_token(client)  # the cookie alone is not enough

    response = await client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Du har ikke adgang til siden" in response.text
    assert "session" not in response.cookies


async def test_post_login_with_a_token_that_does_not_match_the_cookie_is_refused(client) -> None:
    user = await make_user("citizen")
    await csrf_token(client)
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD, "_csrf_token": "x" * 128})
    assert response.status_code == 403


async def test_post_to_the_api_without_token_is_refused_with_json(engine) -> None:
    async with api_client(engine) as client:
        response = await client.post("/api/test-echo", json={"a": 1})
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["status_code"] == 403

        token = (await client.get("/api/providers")).cookies["csrftoken"]
        accepted = await client.post("/api/test-echo", json={"a": 1}, headers={"x-csrftoken": token})
        assert accepted.status_code == 201 and accepted.json() == {"a": 1}


async def test_the_header_token_is_accepted_as_well_as_the_form_field(client) -> None:
    user = await make_user("citizen")
    token = await csrf_token(client)
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD},
                                 headers={"x-csrftoken": token})
    assert response.status_code == 303
