"""Helpers for the authority tests: submitted revisions built like the provider self-service
builds them, users and logins through the accounts helpers, and reading pages back."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
from factories import default_revision, make_provider

from marketplace.accounts.tables import User
from marketplace.db import write_transaction
from marketplace.providers import standards
from marketplace.providers.tables import ListingRevision
from tests.accounts.support import PASSWORD, csrf_token, login, make_user

__all__ = ["ALL_MET", "PASSWORD", "approve_form", "csrf_token", "login", "login_as", "make_user", "submit_revision",
           "revision_row", "post_form"]

ALL_MET: dict[str, bool] = {s.slug: True for s in standards.STANDARDS}


async def submit_revision(provider_id: int | None = None, **fields: Any) -> dict[str, Any]:
    """A submitted revision. Without `provider_id`: a new provider (status registered) applying for
    the first time. With it: a change to that provider's listing (the approved content plus
    `fields`). Returns the revision row (JSON loaded)."""
    now = datetime.now(timezone.utc)
    if provider_id is None:
        provider = await make_provider(approved=False, **fields)
        revision_id = provider["revision"]["id"]
        async with write_transaction():
            await ListingRevision.update({
                ListingRevision.status: ListingRevision.Status.submitted, ListingRevision.submitted_at: now,
                ListingRevision.version: ListingRevision.version + 1,
            }).where(ListingRevision.id == revision_id)
        return await revision_row(revision_id)
    current = await ListingRevision.select().where(
        ListingRevision.provider == provider_id, ListingRevision.status == ListingRevision.Status.approved
    ).first().output(load_json=True)
    base = default_revision()
    if current:
        base.update({k: current[k] for k in base})
    numbers = await ListingRevision.select(ListingRevision.number).where(ListingRevision.provider == provider_id)
    async with write_transaction():
        revision = ListingRevision(provider=provider_id, number=max([r["number"] for r in numbers], default=0) + 1,
                                   status=ListingRevision.Status.submitted, submitted_at=now, version=2,
                                   **{**base, **fields})
        await revision.save()
    return await revision_row(revision.id)


async def revision_row(revision_id: int) -> dict[str, Any]:
    row = await ListingRevision.select().where(ListingRevision.id == revision_id).first().output(load_json=True)
    assert row is not None
    return row


async def login_as(client: httpx.AsyncClient, role: str = "authority", **kwargs: Any) -> User:
    """A fresh user of `role`, logged in on `client`."""
    user = await make_user(role, **kwargs)
    response = await login(client, user.email)
    assert response.status_code == 303, response.text
    return user


def approve_form(revision: dict[str, Any], *, standards_met: list[str] | None = None, reason: str = "") -> dict[str, Any]:
    """The review page's form as a browser sends it (without the CSRF token)."""
    ticked = list(ALL_MET) if standards_met is None else standards_met
    return {"standard": ticked, "version": str(revision["version"]), "reason": reason}


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, Any]) -> httpx.Response:
    """POST a form with the CSRF token, as the page does."""
    return await client.post(path, data={**data, "_csrf_token": await csrf_token(client)})
