"""The citizen's account: sign-up through the same login interface, the profile, the profile as the
search's default filters, and /me."""
from __future__ import annotations

from factories import form_values, make_provider

from marketplace.accounts.tables import User
from marketplace.audit.tables import AuditEntry

from .support import PASSWORD, as_user, citizen, make_enrolment, post, text_of_page


async def _signup(client, **fields: str):
    data = {"name": "Bo Borger", "email": "bo@example.dk", "password": PASSWORD, "password_again": PASSWORD, **fields}
    return await post(client, "/signup", data)


async def test_the_sign_up_form_asks_for_no_cpr_number(client) -> None:
    response = await client.get("/signup")
    assert response.status_code == 200
    fields = {name for name in form_values(response.text)} | set()
    for name in ("name", "email", "password", "password_again"):
        assert f'name="{name}"' in response.text
    assert "cpr" not in "".join(fields).lower()
    assert "Vi beder ikke om dit CPR-nummer, og vi gemmer det ikke." in text_of_page(response)
    assert 'href="/signup"' in (await client.get("/login")).text


async def test_signing_up_creates_a_citizen_and_logs_in_through_the_login_interface(client) -> None:
    response = await _signup(client)

    assert response.status_code == 303 and response.headers["location"] == "/me/profile?new=1"
    session_id = client.cookies.get("session")
    assert session_id
    user = await User.objects().where(User.email == "bo@example.dk").first()
    assert user.role == "citizen" and user.display_name == "Bo Borger"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    page = await client.get("/me/profile?new=1")
    assert page.status_code == 200 and "Din bruger er oprettet, og du er logget ind." in text_of_page(page)
    actions = {r["action"] for r in await AuditEntry.select(AuditEntry.action)}
    assert {"user.created", "login.succeeded"} <= actions


async def test_sign_up_errors_keep_what_was_typed(client) -> None:
    response = await _signup(client, name="", email="bo@example.dk", password="kort", password_again="andet")

    assert response.status_code == 400
    assert '<a href="#name">Indtast dit navn.</a>' in response.text
    assert "Adgangskoden skal være mindst 12 tegn" in response.text
    assert '<a href="#password_again">De to adgangskoder er ikke ens.' in response.text
    assert form_values(response.text)["email"] == ["bo@example.dk"]
    assert form_values(response.text)["password"] == [""]  # never sent back
    assert await User.count() == 0


async def test_an_e_mail_in_use_cannot_sign_up_again(client) -> None:
    await citizen()
    existing = (await User.select(User.email).first())["email"]
    response = await _signup(client, email=existing.upper())
    assert response.status_code == 400
    assert "Der findes allerede en bruger med denne e-mail. Log ind i stedet." in response.text
    assert await User.count() == 1


async def test_the_profile_stores_the_municipality_of_a_postcode_target_group_and_age_band(client) -> None:
    user = await citizen(client, municipality=None, target_group="", age_band="")

    response = await post(client, "/me/profile", {"postcode": "8000", "municipality": "", "target_group": "sygedagpenge",
                                                  "age_band": "50-59"})

    assert response.status_code == 303 and response.headers["location"] == "/me/profile?saved=1"
    row = await User.select().where(User.id == user.id).first()
    assert (row["municipality_code"], row["target_group"], row["age_band"]) == (751, "sygedagpenge", "50-59")
    values = form_values((await client.get("/me/profile")).text)
    assert values["municipality"] == ["751"] and values["target_group"] == ["sygedagpenge"]
    assert await AuditEntry.count().where(AuditEntry.action == "profile.update") == 1


async def test_a_bad_postcode_in_the_profile_is_explained_and_kept(client) -> None:
    await citizen(client)
    response = await post(client, "/me/profile", {"postcode": "9999", "target_group": "nope"})
    assert response.status_code == 400
    assert '<a href="#postcode">Ukendt postnummer: 9999.' in response.text
    assert '<a href="#target_group">Vælg en målgruppe fra listen.</a>' in response.text
    assert form_values(response.text)["postcode"] == ["9999"]


async def test_the_bare_front_page_searches_with_the_citizens_profile(client, engine) -> None:
    from factories import index_all

    await make_provider(name="Aarhus Dagpenge", municipalities=[751])
    await make_provider(name="Odense Dagpenge", municipalities=[461], postcode="5000")
    await index_all(engine)
    await citizen(client, municipality=751, target_group="dagpenge")

    redirect = await client.get("/")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "/?municipality=751&target_group=dagpenge"
    page = await client.get(redirect.headers["location"])
    values = form_values(page.text)
    assert values["municipality"] == ["751"] and values["target_group"] == ["dagpenge"]
    assert "Søgningen er udfyldt ud fra din profil." in text_of_page(page)
    assert "Aarhus Dagpenge" in page.text and "Odense Dagpenge" not in page.text
    # what the citizen asks for wins: a submitted form (or the reset link) is never overridden
    assert (await client.get("/?q=")).status_code == 200
    everything = await client.get("/?q=&municipality=&target_group=")
    assert "Odense Dagpenge" in everything.text


async def test_anonymous_visitors_and_citizens_without_a_profile_get_the_plain_front_page(client) -> None:
    assert (await client.get("/")).status_code == 200
    await citizen(client, municipality=None, target_group="", age_band="")
    assert (await client.get("/")).status_code == 200


async def test_me_shows_the_status_of_each_active_choice(client) -> None:
    provider = await make_provider(name="Jobvejen")
    user = await citizen()
    chosen = await make_enrolment(user.id, provider["id"], status="started")
    old = await make_enrolment(user.id, provider["id"], status="ended")
    await as_user(client, user)

    page = await client.get("/me")

    text = text_of_page(page)
    assert page.status_code == 200
    assert chosen in text and "I gang" in text and "Jobvejen" in text
    assert old not in text  # history lives on /me/enrolments
    assert old in text_of_page(await client.get("/me/enrolments"))


async def test_signing_up_gives_a_new_session_id_even_over_an_existing_session(client) -> None:
    from .support import session_row

    await citizen(client)  # someone is logged in on this browser: a session exists
    old_id = client.cookies.get("session")

    response = await _signup(client, email="ny@example.dk")

    assert response.status_code == 303
    new_id = client.cookies.get("session")
    assert new_id and new_id != old_id
    assert await session_row(old_id) is None
    assert (await session_row(new_id))["data"]["uid"] == (await User.select(User.id).where(
        User.email == "ny@example.dk").first())["id"]
