"""Sessions: logout ends them, idle and absolute timeouts end them, and the database store honours
expiry. Time is driven by writing the session's timestamps, never by sleeping."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from marketplace.accounts.store import DatabaseStore
from marketplace.accounts.tables import SessionRecord

from .support import age_session, csrf_token, login, logout, make_user, session_row


async def test_logout_ends_the_session_and_the_old_cookie_no_longer_authenticates(client) -> None:
    user = await make_user("citizen")
    session_id = (await login(client, user.email)).cookies["session"]
    assert (await client.get("/me")).status_code == 200

    response = await logout(client)

    assert response.status_code == 303 and response.headers["location"] == "/login?out=1"
    cleared = next(h for h in response.headers.get_list("set-cookie") if h.startswith("session="))
    assert "expires=" in cleared.lower() or "max-age=0" in cleared.lower()
    assert await session_row(session_id) is None
    client.cookies.set("session", session_id)  # a stolen copy of the cookie is worthless now
    again = await client.get("/me")
    assert again.status_code == 302 and again.headers["location"].startswith("/login")


async def test_the_logout_link_shows_a_form_that_posts_with_a_csrf_token(client) -> None:
    response = await client.get("/logout")
    assert response.status_code == 200
    assert 'method="post" action="/logout"' in response.text and 'name="_csrf_token"' in response.text


async def test_logout_without_csrf_token_is_refused_and_keeps_the_session(client) -> None:
    user = await make_user("citizen")
    session_id = (await login(client, user.email)).cookies["session"]

    response = await client.post("/logout")

    assert response.status_code == 403
    assert await session_row(session_id) is not None


async def test_a_session_idle_longer_than_30_minutes_ends(client) -> None:
    user = await make_user("citizen")
    session_id = (await login(client, user.email)).cookies["session"]
    await age_session(session_id, idle=29 * 60)
    assert (await client.get("/me")).status_code == 200  # 29 minutes idle: still fine

    await age_session(session_id, idle=31 * 60)
    response = await client.get("/me")

    assert response.status_code == 302 and response.headers["location"].startswith("/login")
    assert await session_row(session_id) is None


async def test_a_session_ends_8_hours_after_login_however_busy(client) -> None:
    user = await make_user("citizen")
    session_id = (await login(client, user.email)).cookies["session"]

    await age_session(session_id, idle=10, since_login=8 * 3600 + 1)
    response = await client.get("/me")

    assert response.status_code == 302
    assert await session_row(session_id) is None


async def test_activity_moves_the_idle_clock_forward(client) -> None:
    user = await make_user("citizen")
    session_id = (await login(client, user.email)).cookies["session"]
    await age_session(session_id, idle=20 * 60, since_login=20 * 60)
    before = (await session_row(session_id))["data"]

    assert (await client.get("/me")).status_code == 200

    after = (await session_row(session_id))["data"]
    assert after["_seen"] > before["_seen"] + 19 * 60
    assert after["_created"] == before["_created"]  # the absolute limit does not move


async def test_the_stored_expiry_is_the_earlier_of_the_two_limits(client) -> None:
    user = await make_user("citizen")
    session_id = (await login(client, user.email)).cookies["session"]
    row = await session_row(session_id)
    left = (row["expires_at"] - datetime.now(timezone.utc)).total_seconds()
    assert 29 * 60 < left <= 30 * 60


async def test_an_expired_row_is_refused_even_with_fresh_timestamps(client) -> None:
    user = await make_user("citizen")
    session_id = (await login(client, user.email)).cookies["session"]
    await SessionRecord.update({SessionRecord.expires_at: datetime.now(timezone.utc) - timedelta(seconds=1)}).where(
        SessionRecord.key == session_id
    )
    assert (await client.get("/me")).status_code == 302


async def test_the_database_store_honours_expiry() -> None:
    store = DatabaseStore()
    await store.set("k1", b"v1", expires_in=60)
    await store.set("k2", "v2")
    assert await store.get("k1") == b"v1" and await store.get("k2") == b"v2"
    assert 58 <= (await store.expires_in("k1")) <= 60 and await store.expires_in("k2") is None
    assert await store.exists("k1")

    await store.set("k1", b"v1b", expires_in=timedelta(seconds=120))  # replaces value and expiry
    assert await store.get("k1") == b"v1b" and (await store.expires_in("k1")) > 100

    await SessionRecord.update({SessionRecord.expires_at: datetime.now(timezone.utc) - timedelta(seconds=1)}).where(
        SessionRecord.key == "k1"
    )
    assert not await store.exists("k1")
    assert await store.get("k1") is None
    assert await SessionRecord.count().where(SessionRecord.key == "k1") == 0  # deleted when met

    await store.delete("k2")
    await store.delete("never-there")
    assert await store.get("k2") is None


async def test_the_store_renews_and_purges() -> None:
    store = DatabaseStore()
    await store.set("short", b"x", expires_in=5)
    assert await store.get("short", renew_for=600) == b"x"
    assert await store.expires_in("short") > 500
    await store.set("old", b"y", expires_in=1)
    await SessionRecord.update({SessionRecord.expires_at: datetime.now(timezone.utc) - timedelta(seconds=1)}).where(
        SessionRecord.key == "old"
    )
    assert await store.delete_expired() == 1
    await store.delete_all()
    assert await SessionRecord.count() == 0


async def test_a_csrf_token_is_renewed_at_login(client) -> None:
    user = await make_user("citizen")
    before = await csrf_token(client)
    response = await login(client, user.email)
    assert response.cookies["csrftoken"] != before
