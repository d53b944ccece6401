"""Helpers for the tests of choices, experiences and comparisons: users made through the real use
cases, logging in through the real form, POSTs with the CSRF token as a browser sends them, and
enrolments in a given state (for what a test is not about)."""
from __future__ import annotations

import html
import itertools
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx

from marketplace.accounts.tables import User
from marketplace.db import write_transaction
from marketplace.enrolments.tables import Enrolment
from tests.accounts.support import PASSWORD, csrf_token, login, logout, make_user, session_row

__all__ = ["PASSWORD", "session_row", "as_user", "choose", "citizen", "enrolment", "make_enrolment", "post", "make_user",
           "reference_from", "login", "logout", "text_of_page"]

_refs = itertools.count(1)


async def post(client: httpx.AsyncClient, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
    """POST a form as a browser does (with the CSRF token in `_csrf_token`)."""
    token = await csrf_token(client)
    return await client.post(path, data={**(data or {}), "_csrf_token": token})


async def as_user(client: httpx.AsyncClient, user: User) -> None:
    """Log out whoever is logged in on this client, then log `user` in."""
    if "session" in client.cookies:
        await logout(client)
    response = await login(client, user.email)
    assert response.status_code == 303, response.text


async def citizen(client: httpx.AsyncClient | None = None, *, municipality: int | None = 751,
                  target_group: str = "dagpenge", age_band: str = "30-39", name: str | None = None) -> User:
    """A citizen with a profile (logged in on `client` when given)."""
    user = await make_user("citizen", name=name)
    async with write_transaction():
        await User.update({User.municipality_code: municipality, User.target_group: target_group,
                           User.age_band: age_band}).where(User.id == user.id)
    user.municipality_code, user.target_group, user.age_band = municipality, target_group, age_band
    if client is not None:
        await as_user(client, user)
    return user


async def choose(client: httpx.AsyncClient, slug: str, *, target_group: str = "dagpenge",
                 service: str = "jobsamtaler", municipality: str = "751") -> httpx.Response:
    """POST the confirm form of /providers/{slug}/choose."""
    return await post(client, f"/providers/{slug}/choose",
                      {"target_group": target_group, "service": service, "municipality": municipality})


def reference_from(response: httpx.Response) -> str:
    """The receipt number a choice or switch redirected to."""
    match = re.match(r"/me/enrolments/([A-Z0-9-]+)\?", response.headers["location"])
    assert match, response.headers.get("location")
    return match.group(1)


async def enrolment(reference: str) -> dict[str, Any]:
    """The stored enrolment row."""
    row = await Enrolment.select().where(Enrolment.reference == reference).first()
    assert row is not None, reference
    return row


async def make_enrolment(citizen_id: int, provider_id: int, *, status: str = "chosen", target_group: str = "dagpenge",
                         service: str = "jobsamtaler", first_contact_by: date | None = None,
                         created_days_ago: int = 0) -> str:
    """An enrolment in a given state, written directly (for tests about what comes after)."""
    now = datetime.now(timezone.utc)
    started = status in ("started", "ended")
    reference = f"T-{next(_refs):06d}"
    async with write_transaction():
        await Enrolment(
            reference=reference, citizen=citizen_id, provider=provider_id, target_group=target_group, service=service,
            status=status, created_at=now - timedelta(days=created_days_ago), updated_at=now,
            started_at=now if started else None, ended_at=now if status == "ended" else None,
            first_contact_by=first_contact_by or date.today() + timedelta(days=7),
        ).save()
    return reference


def text_of_page(response: httpx.Response) -> str:
    """The page's visible text, whitespace collapsed (tags removed, entities decoded)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
