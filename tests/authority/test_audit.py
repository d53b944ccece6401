"""The audit log: who, what, when (UTC), before/after for every decision, no secrets; the audit
page filters, pages newest first, and nothing can change the log."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from factories import make_provider

from marketplace.accounts.tables import User
from marketplace.audit import services as audit
from marketplace.audit.tables import AuditEntry
from marketplace.db import write_transaction
from marketplace.providers import decisions

from .support import ALL_MET, PASSWORD, login_as, make_user, submit_revision


async def entries(action: str) -> list[dict]:
    return await AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id).output(load_json=True)


async def test_every_decision_is_audited_with_who_what_when_and_before_after() -> None:
    authority = await make_user("authority", email="anna@myndighed.example")
    provider = await make_provider()
    revision = await submit_revision(provider["id"], description="Ny tekst.")
    start = datetime.now(timezone.utc) - timedelta(seconds=1)

    await decisions.approve_revision(revision["id"], by=authority, checklist=ALL_MET,
                                     expected_version=revision["version"])
    await decisions.suspend_provider(provider["id"], by=authority, reason="Undersøges.", expected_version=2)
    await decisions.reinstate_provider(provider["id"], by=authority, reason="I orden.", expected_version=3)
    other = await submit_revision(provider["id"], description="Endnu en.")
    await decisions.reject_revision(other["id"], by=authority, reason="Nej.", expected_version=other["version"])

    for action, object_type, object_id, before, after in [
        ("revision.approve", "listing_revision", revision["id"], "submitted", "approved"),
        ("provider.suspend", "provider", provider["id"], "active", "suspended"),
        ("provider.reinstate", "provider", provider["id"], "suspended", "active"),
        ("revision.reject", "listing_revision", other["id"], "submitted", "rejected"),
    ]:
        [entry] = await entries(action)
        assert entry["actor_id"] == authority.id and entry["actor_label"] == "anna@myndighed.example"
        assert entry["object_type"] == object_type and entry["object_id"] == str(object_id)
        assert entry["before"]["status"] == before and entry["after"]["status"] == after
        assert start <= entry["at"] <= datetime.now(timezone.utc) + timedelta(seconds=1)
        assert entry["at"].utcoffset() == timedelta(0)
    assert (await entries("provider.suspend"))[0]["after"]["reason"] == "Undersøges."
    assert (await entries("revision.reject"))[0]["after"]["reason"] == "Nej."


async def test_the_audit_log_holds_no_passwords_or_hashes() -> None:
    authority = await make_user("authority")
    revision = await submit_revision()
    await decisions.approve_revision(revision["id"], by=authority, checklist=ALL_MET,
                                     expected_version=revision["version"])
    stored_hash = (await User.select(User.password_hash).where(User.id == authority.id).first())["password_hash"]

    everything = json.dumps(await AuditEntry.select().output(load_json=True), default=str)

    assert PASSWORD not in everything and stored_hash not in everything and "$argon2" not in everything
    assert "password" not in everything.lower()


async def _entry(action: str, actor: str, object_type: str, object_id: int, at: datetime, **after) -> None:
    async with write_transaction():
        entry = await audit.record(None, action, object_type, object_id, before={"status": "før"},
                                   after={"status": "efter", **after}, actor_label=actor)
        await AuditEntry.update({AuditEntry.at: at}).where(AuditEntry.id == entry.id)


async def test_the_audit_page_filters_by_action_actor_object_and_dates(client) -> None:
    await login_as(client, email="viewer@myndighed.example")
    day = datetime(2026, 3, 3, 12, 0, tzinfo=timezone.utc)
    await _entry("provider.suspend", "anna@myndighed.example", "provider", 7, day, marker="MARK-A")
    await _entry("provider.revoke", "bo@myndighed.example", "provider", 8, day + timedelta(days=2), marker="MARK-B")
    await _entry("revision.approve", "anna@myndighed.example", "listing_revision", 7, day + timedelta(days=5),
                 marker="MARK-C")

    async def markers(query: str) -> list[str]:
        page = await client.get(f"/authority/audit?{query}")
        assert page.status_code == 200, page.text
        return [m for m in ("MARK-A", "MARK-B", "MARK-C") if m in page.text]

    assert len(await markers("")) == 3
    assert await markers("action=provider.revoke") == ["MARK-B"]
    assert await markers("actor=anna") == ["MARK-A", "MARK-C"]
    assert await markers("object_type=provider") == ["MARK-A", "MARK-B"]
    assert await markers("object_type=provider&object_id=7") == ["MARK-A"]
    assert await markers("from=2026-03-04&to=2026-03-07") == ["MARK-B"]
    assert await markers("from=2026-03-05") == ["MARK-B", "MARK-C"]  # the 5th and the 8th
    assert await markers("to=2026-03-03") == ["MARK-A"]  # the whole of the 3rd, in UTC


async def test_the_audit_page_is_newest_first_and_paginated(client) -> None:
    await login_as(client)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    async with write_transaction():
        for i in range(60):
            entry = await audit.record(None, "test.entry", "thing", i, after={"n": i}, actor_label="system")
            await AuditEntry.update({AuditEntry.at: start + timedelta(minutes=i)}).where(AuditEntry.id == entry.id)

    first = await client.get("/authority/audit?action=test.entry")
    second = await client.get("/authority/audit?action=test.entry&page=2")

    assert "60 hændelser" in first.text
    assert first.text.index("thing #59") < first.text.index("thing #58")
    assert "thing #10" in first.text and "thing #9<" not in first.text
    assert "thing #9<" in second.text and "thing #0<" in second.text and "thing #10<" not in second.text
    assert 'href="/authority/audit?action=test.entry&amp;page=2"' in first.text


async def test_a_bad_date_is_explained_and_the_typed_value_kept(client) -> None:
    await login_as(client)
    page = await client.get("/authority/audit?from=3.%20marts&actor=anna")
    assert page.status_code == 400
    assert 'href="#audit-from"' in page.text
    assert "Fra-datoen skal være en dato som 2026-03-03." in page.text
    assert 'value="3. marts"' in page.text and 'value="anna"' in page.text


async def test_nothing_can_change_the_audit_log(client) -> None:
    from marketplace.app import create_app

    app = create_app(run_outbox_worker=False)
    methods = {m for route in app.routes if route.path.startswith("/authority/audit")
               for m in getattr(route, "methods", set())}
    assert methods <= {"GET", "HEAD", "OPTIONS"}

    await login_as(client)
    token = client.cookies["csrftoken"]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/authority/audit", data={"_csrf_token": token},
                                        headers={"x-csrftoken": token})
        assert response.status_code == 405, method
