"""Changing one's password (/account/password): the current one must be right (rate-limited like a
login), the new one strong and typed twice alike; every problem named at once and nothing changed;
afterwards the new password logs in, the old one does not, and every other session has ended."""
from __future__ import annotations

import html

import pytest
from factories import app_client

from marketplace.accounts.tables import User
from marketplace.audit.tables import AuditEntry

from .support import PASSWORD, csrf_token, login, make_user

NEW = "en helt ny og lang adgangskode"


async def _change(client, current: str = PASSWORD, new: str = NEW, repeat: str | None = None):
    token = await csrf_token(client)
    return await client.post("/account/password", data={
        "current_password": current, "new_password": new, "new_password_repeat": new if repeat is None else repeat,
        "_csrf_token": token})


@pytest.mark.parametrize("role", ["citizen", "provider", "authority"])
async def test_every_role_can_change_its_password_and_other_sessions_end(client, engine, role) -> None:
    user = await make_user(role)
    async with app_client(engine) as elsewhere:  # the same user logged in on another device
        assert (await login(elsewhere, user.email)).status_code == 303
        home = {"citizen": "/me", "provider": "/provider", "authority": "/authority"}[role]
        assert (await elsewhere.get(home)).status_code == 200
        await login(client, user.email)
        area = await client.get(home)
        assert 'href="/account/password"' in area.text
        before = client.cookies["session"]

        response = await _change(client)

        assert response.status_code == 303 and response.headers["location"] == "/account/password?done=1"
        assert client.cookies["session"] != before  # this session renewed, and still logged in
        done = html.unescape((await client.get(response.headers["location"])).text)
        assert "Din adgangskode er skiftet." in done
        assert (await client.get(home)).status_code == 200
        gone = await elsewhere.get(home)  # the other device is logged out
        assert gone.status_code == 302 and gone.headers["location"].startswith("/login")
    client.cookies.clear()
    assert (await login(client, user.email, PASSWORD)).status_code == 400
    assert (await login(client, user.email, NEW)).status_code == 303
    assert await AuditEntry.count().where(AuditEntry.action == "password.changed", AuditEntry.actor_id == user.id) == 1


async def test_every_problem_is_named_at_once_and_nothing_changes(client) -> None:
    user = await make_user("citizen")
    await login(client, user.email)
    stored = (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"]

    response = await _change(client, current="forkert gammel kode", new="kort", repeat="noget andet")

    assert response.status_code == 400
    page = html.unescape(response.text)
    for field, words in [("current_password", "Den nuværende adgangskode er forkert."),
                         ("new_password", "Adgangskoden skal være mindst 12 tegn"),
                         ("new_password_repeat", "Skriv den samme nye adgangskode to gange.")]:
        assert f'href="#{field}"' in response.text and f'id="{field}"' in response.text and words in page, field
    assert "forkert gammel kode" not in page and "noget andet" not in page  # passwords are never sent back
    assert (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"] == stored
    assert await AuditEntry.count().where(AuditEntry.action == "password.change_failed") == 1
    assert (await client.get("/me")).status_code == 200  # still logged in


async def test_the_same_password_again_is_refused(client) -> None:
    user = await make_user("citizen")
    await login(client, user.email)

    response = await _change(client, new=PASSWORD)

    assert response.status_code == 400
    assert "Vælg en anden adgangskode end den nuværende." in html.unescape(response.text)


async def test_guessing_the_current_password_meets_the_login_limit(client) -> None:
    user = await make_user("citizen")
    await login(client, user.email)
    stored = (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"]
    for n in range(5):
        assert (await _change(client, current=f"gæt nummer {n} af mange")).status_code == 400

    response = await _change(client)  # right this time, but over the limit

    assert response.status_code == 400
    assert "Den nuværende adgangskode er forkert." in html.unescape(response.text)
    assert (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"] == stored


async def test_an_anonymous_visitor_is_sent_to_log_in(client) -> None:
    response = await client.get("/account/password")
    assert response.status_code == 302 and response.headers["location"].startswith("/login?next=/account/password")
