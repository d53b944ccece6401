"""The audit log: logins (both ways) and user creation are recorded; no secret ever is."""
from __future__ import annotations

import json

from marketplace.audit import services as audit
from marketplace.audit.tables import AuditEntry
from marketplace.db import write_transaction

from .support import PASSWORD, login, make_user


def _keys(value: object) -> list[str]:
    """Every key in a JSON value, at any depth."""
    if isinstance(value, dict):
        return [str(k) for k in value] + [k for v in value.values() for k in _keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


async def _entries(action: str) -> list[dict]:
    return await AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id).output(load_json=True)


async def test_record_drops_secret_keys_at_any_depth() -> None:
    async with write_transaction():
        entry = await audit.record(None, "test.action", "thing", 7, actor_label="cli",
                                   before={"password": "x", "name": "a"},
                                   after={"nested": {"api_token": "t", "Secret": "s", "password_hash": "h", "ok": 1},
                                          "list": [{"client_secret": "s", "keep": True}]})
    row = (await _entries("test.action"))[0]
    assert row["id"] == entry.id and row["actor_label"] == "cli" and row["object_id"] == "7"
    assert row["before"] == {"name": "a"}
    assert row["after"] == {"nested": {"ok": 1}, "list": [{"keep": True}]}
    assert row["at"] is not None


async def test_logins_and_user_creation_are_audited_without_secrets(client) -> None:
    user = await make_user("authority")
    typed = "et forkert gæt på kodeord"
    await login(client, user.email, password=typed)
    await login(client, "ingen@test.invalid", password=typed)
    await login(client, user.email)

    created, failed, succeeded = (await _entries("user.created"), await _entries("login.failed"),
                                  await _entries("login.succeeded"))
    assert [e["object_id"] for e in created] == [str(user.id)]
    assert created[0]["after"]["role"] == "authority"
    assert [e["after"]["reason"] for e in failed] == ["wrong_password", "unknown_user"]
    assert [e["actor_id"] for e in succeeded] == [user.id]

    rows = await AuditEntry.select().output(load_json=True)
    everything = json.dumps(rows, default=str)
    for secret in (PASSWORD, typed, "$argon2"):
        assert secret not in everything
    assert not [k for row in rows for k in _keys(row["before"]) + _keys(row["after"]) if audit.is_secret_key(k)]
