"""Helpers for the accounts tests: users made through the real use case, and logging in through
the real login form (with its CSRF token)."""
from __future__ import annotations

import itertools
import json
import time
from typing import Any

import httpx

from marketplace.accounts.services import create_user
from marketplace.accounts.tables import SessionRecord, User
from marketplace.db import write_transaction
from factories import make_provider

PASSWORD = "korrekt hest batteri hæfteklamme"
_numbers = itertools.count(1)


async def make_user(role: str = "citizen", *, email: str | None = None, password: str = PASSWORD,
                    provider_id: int | None = None, name: str | None = None) -> User:
    """An active user with a password (a provider member gets a fresh provider unless one is given)."""
    n = next(_numbers)
    if role == "provider" and provider_id is None:
        provider_id = (await make_provider())["id"]
    return await create_user(email=email or f"{role}-{n}@test.invalid",
                             password=password, role=role, display_name=name or f"{role.title()} {n}",
                             provider_id=provider_id, actor=None, actor_label="test")


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The CSRF token (cookie `csrftoken`), fetching the login page first if there is none yet."""
    if "csrftoken" not in client.cookies:
        response = await client.get("/login")
        assert response.status_code == 200
    return client.cookies["csrftoken"]


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    """POST the login form as a browser does (form field `_csrf_token`)."""
    token = await csrf_token(client)
    return await client.post("/login", data={"email": email, "password": password, "_csrf_token": token, **extra})


async def logout(client: httpx.AsyncClient) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post("/logout", data={"_csrf_token": token})


async def session_row(session_id: str) -> dict[str, Any] | None:
    """The stored session (value decoded) or None."""
    row = await SessionRecord.select().where(SessionRecord.key == session_id).first()
    if row is None:
        return None
    return {**row, "data": json.loads(bytes(row["value"]))}


async def age_session(session_id: str, *, idle: float = 0, since_login: float = 0) -> None:
    """Move a session's timestamps into the past: `idle` seconds since the last request and
    `since_login` seconds since login (how tests drive time instead of sleeping)."""
    row = await session_row(session_id)
    assert row is not None
    data = row["data"]
    now = time.time()
    data["_seen"] = now - idle
    data["_created"] = now - max(since_login, idle)
    async with write_transaction():
        await SessionRecord.update({SessionRecord.value: json.dumps(data).encode()}).where(
            SessionRecord.key == session_id
        )
