"""Logging in: the form, the redirect, a new session id, one generic answer for every failure, and
the rate limit per account and per address."""
from __future__ import annotations

import html

from marketplace.accounts.tables import LoginAttempt, SessionRecord, User

from .support import csrf_token, login, make_user, session_row

GENERIC_DA = "Forkert e-mail eller adgangskode."


async def test_login_page_has_email_and_password_fields_and_a_csrf_field(client) -> None:
    response = await client.get("/login")

    assert response.status_code == 200
    assert 'name="email"' in response.text and 'name="password"' in response.text
    assert 'name="_csrf_token"' in response.text
    assert "csrftoken" in response.cookies
    assert "session" not in response.cookies  # an anonymous visitor gets no session


async def test_login_page_is_in_english_when_chosen(client) -> None:
    client.cookies.set("lang", "en")
    response = await client.get("/login")
    assert "<h1>Log in</h1>" in response.text and "Password" in response.text


async def test_login_redirects_to_the_roles_area_and_starts_a_session(client) -> None:
    user = await make_user("authority")

    response = await login(client, user.email)

    assert response.status_code == 303
    assert response.headers["location"] == "/authority"
    session_id = response.cookies["session"]
    stored = await session_row(session_id)
    assert stored is not None and stored["data"]["uid"] == user.id
    assert (await client.get("/authority")).status_code == 200


async def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_on_plain_http(client) -> None:
    user = await make_user("citizen")
    response = await login(client, user.email)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in attributes


async def test_login_issues_a_new_session_id_and_the_old_one_stops_working(client) -> None:
    first, second = await make_user("citizen"), await make_user("citizen")
    before = (await login(client, first.email)).cookies["session"]

    after = (await login(client, second.email)).cookies["session"]

    assert after != before
    assert await session_row(before) is None
    client.cookies.set("session", before)
    response = await client.get("/me")
    assert response.status_code == 302 and response.headers["location"].startswith("/login")


async def test_a_planted_session_id_is_never_adopted(client) -> None:
    user = await make_user("citizen")
    planted = "a" * 64
    client.cookies.set("session", planted)

    response = await login(client, user.email)

    assert response.cookies["session"] != planted
    assert await session_row(planted) is None


async def test_login_follows_next_only_to_paths_on_this_site(client) -> None:
    user = await make_user("citizen")
    assert (await login(client, user.email, next="/me?tab=valg")).headers["location"] == "/me?tab=valg"
    for evil in ("https://evil.example/", "//evil.example/me", "/\\evil.example", "javascript:alert(1)"):
        response = await login(client, user.email, next=evil)
        assert response.headers["location"] == "/me", evil


async def test_wrong_password_and_unknown_user_get_the_identical_answer(client) -> None:
    user = await make_user("citizen", email="kendt@test.invalid")

    known = await login(client, user.email, password="forkert adgangskode!")
    unknown = await login(client, "ukendt@test.invalid", password="forkert adgangskode!")

    assert known.status_code == unknown.status_code == 400
    assert GENERIC_DA in known.text
    assert known.text.replace("kendt@test.invalid", "E") == unknown.text.replace("ukendt@test.invalid", "E")
    assert "session" not in known.cookies and "session" not in unknown.cookies
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())


async def test_a_failed_login_keeps_the_email_but_never_the_password(client) -> None:
    user = await make_user("citizen")
    typed = "mit hemmelige gæt 123"

    response = await login(client, user.email, password=typed)

    assert f'value="{user.email}"' in response.text
    assert typed not in html.unescape(response.text)
    assert 'href="#email"' in response.text  # the DKFDS error summary links to the field


async def test_empty_fields_get_their_own_messages(client) -> None:
    response = await login(client, "", password="")
    assert response.status_code == 400
    assert "Indtast din e-mail-adresse." in response.text and "Indtast din adgangskode." in response.text


async def test_an_account_is_locked_after_5_failures_with_the_same_answer(client) -> None:
    user = await make_user("citizen")
    other = await make_user("citizen")
    for _ in range(5):
        assert (await login(client, user.email, password="forkert adgangskode!")).status_code == 400

    refused = await login(client, user.email)  # the right password, too late
    wrong = await login(client, other.email, password="forkert adgangskode!")

    assert refused.status_code == 400 and GENERIC_DA in refused.text
    assert refused.text.replace(user.email, "E") == wrong.text.replace(other.email, "E")
    assert "session" not in refused.cookies
    assert (await login(client, other.email)).status_code == 303  # other accounts are not locked


async def test_an_address_is_refused_after_20_failures_across_accounts(client) -> None:
    user = await make_user("citizen")
    address = "127.0.0.1"  # httpx's ASGI transport reports this client address
    for n in range(20):
        await LoginAttempt(email=f"gaet-{n}@test.invalid", address=address).save()

    refused = await login(client, user.email)

    assert refused.status_code == 400 and GENERIC_DA in refused.text
    assert "session" not in refused.cookies


async def test_a_successful_login_clears_the_accounts_failures(client) -> None:
    user = await make_user("citizen")
    for _ in range(4):
        await login(client, user.email, password="forkert adgangskode!")
    assert await LoginAttempt.count().where(LoginAttempt.email == user.email) == 4

    assert (await login(client, user.email)).status_code == 303

    assert await LoginAttempt.count().where(LoginAttempt.email == user.email) == 0
    last = await User.select(User.last_login_at).where(User.id == user.id).first()
    assert last["last_login_at"] is not None


async def test_an_inactive_user_cannot_log_in(client) -> None:
    user = await make_user("citizen")
    await User.update({User.active: False}).where(User.id == user.id)
    response = await login(client, user.email)
    assert response.status_code == 400 and GENERIC_DA in response.text


async def test_email_is_matched_without_regard_to_case_and_spaces(client) -> None:
    user = await make_user("citizen", email="anna@test.invalid")
    assert (await login(client, "  Anna@Test.Invalid ")).status_code == 303


async def test_anonymous_browsing_stores_no_sessions(client) -> None:
    await client.get("/login")
    await client.get("/metode")
    await csrf_token(client)
    assert await SessionRecord.count() == 0
