"""Registering an organisation at /registrer: the provider, its first member and an empty draft in one
go, audited; the new member is logged in with a new session id. Every refusal keeps what was typed
(never the password) and names the field."""
from __future__ import annotations

import html

import pytest
from factories import make_provider, next_cvr

from marketplace.accounts.tables import SessionRecord, User
from marketplace.audit.tables import AuditEntry
from marketplace.providers.tables import ListingRevision, Provider
from tests.accounts.support import PASSWORD, make_user, session_row

from .support import post

SECRET = "hemmelig hest på taget 42"


def registration(**changes: str) -> dict[str, str]:
    form = {
        "cvr": next_cvr(), "name": "Jobhjælpen Århus ApS", "type": "privat",
        "contact_email": "kontakt@jobhjaelpen.example", "contact_phone": "86 12 34 56",
        "member_name": "Mette Madsen", "member_email": "mette@jobhjaelpen.example",
        "password": SECRET, "password_repeat": SECRET,
    }
    form.update(changes)
    return form


async def test_the_registration_page_is_public_and_asks_for_organisation_and_member(client) -> None:
    response = await client.get("/registrer")

    assert response.status_code == 200
    for name in ("cvr", "name", "type", "contact_email", "contact_phone", "member_name", "member_email",
                 "password", "password_repeat", "_csrf_token"):
        assert f'name="{name}"' in response.text, name
    assert "Registrér jeres organisation" in response.text


async def test_registration_creates_provider_member_and_empty_draft_and_logs_the_member_in(client) -> None:
    form = registration()
    anonymous_session = client.cookies.get("session")

    response = await post(client, "/registrer", form)

    assert response.status_code == 303
    assert response.headers["location"] == "/provider?done=registered"
    provider = await Provider.select().where(Provider.cvr == form["cvr"]).first()
    assert provider["name"] == "Jobhjælpen Århus ApS" and provider["status"] == "registered"
    assert provider["slug"] == "jobhjaelpen-aarhus-aps" and provider["type"] == "privat"
    assert provider["last_confirmed_at"] is None
    user = await User.objects().where(User.email == "mette@jobhjaelpen.example").first()
    assert user.role == "provider" and user.provider == provider["id"] and user.display_name == "Mette Madsen"
    assert user.password_hash.startswith("$argon2id$")
    drafts = await ListingRevision.select().where(ListingRevision.provider == provider["id"]).output(load_json=True)
    assert [(d["number"], d["status"], d["description"]) for d in drafts] == [(1, "draft", "")]
    assert drafts[0]["contact"]["email"] == "kontakt@jobhjaelpen.example"
    # logged in with a fresh session id
    session_id = response.cookies["session"]
    assert session_id != anonymous_session
    assert (await session_row(session_id))["data"]["uid"] == user.id
    overview = await client.get("/provider?done=registered")
    assert overview.status_code == 200
    assert "Jobhjælpen Århus ApS" in overview.text and "Jeres organisation er registreret" in overview.text
    # audited, without the password
    entries = await AuditEntry.select().where(AuditEntry.object_id == str(provider["id"]),
                                              AuditEntry.action == "provider.registered").output(load_json=True)
    assert len(entries) == 1 and entries[0]["actor_id"] == user.id
    assert SECRET not in str(await AuditEntry.select())


async def test_a_registered_member_can_log_in_later(client) -> None:
    form = registration()
    await post(client, "/registrer", form)
    client.cookies.clear()

    from tests.accounts.support import login

    response = await login(client, form["member_email"], SECRET)

    assert response.status_code == 303 and response.headers["location"] == "/provider"


async def test_two_organisations_with_the_same_name_get_different_slugs(client) -> None:
    await post(client, "/registrer", registration(member_email="a@x.example"))
    client.cookies.clear()
    await post(client, "/registrer", registration(member_email="b@x.example"))

    slugs = sorted(r["slug"] for r in await Provider.select(Provider.slug))
    assert slugs == ["jobhjaelpen-aarhus-aps", "jobhjaelpen-aarhus-aps-2"]


async def test_a_cvr_number_already_registered_is_refused(client) -> None:
    existing = await make_provider()

    response = await post(client, "/registrer", registration(cvr=existing["cvr"]))

    assert response.status_code == 400
    assert "CVR-nummeret er allerede registreret" in html.unescape(response.text)
    assert await Provider.count() == 1
    assert not await User.exists().where(User.email == "mette@jobhjaelpen.example")


async def test_an_email_already_in_use_is_refused_and_nothing_is_created(client) -> None:
    taken = await make_user("citizen")
    form = registration(member_email=taken.email)

    response = await post(client, "/registrer", form)

    assert response.status_code == 400
    assert "Der findes allerede en bruger med denne e-mail" in response.text
    assert not await Provider.exists().where(Provider.cvr == form["cvr"])
    assert await ListingRevision.count() == 0


@pytest.mark.parametrize(("field", "value", "field_id", "message"), [
    ("cvr", "", "cvr", "Indtast CVR-nummer"),
    ("cvr", "1234567", "cvr", "CVR-nummeret skal være præcis 8 cifre"),
    ("cvr", "02345678", "cvr", "CVR-nummeret kan ikke begynde med 0"),
    ("cvr", "12345678", "cvr", "CVR-nummeret er ikke gyldigt"),
    ("name", "", "name", "Skriv organisationens navn"),
    ("type", "konsulent", "type", "Vælg hvilken type aktør I er"),
    ("contact_email", "kontakt(at)firma", "contact-email", "Skriv en gyldig e-mail-adresse"),
    ("contact_phone", "1234", "contact-phone", "Skriv et telefonnummer med 8 cifre"),
    ("member_name", "", "member-name", "Skriv dit navn"),
    ("member_email", "mette", "member-email", "Indtast en gyldig e-mail-adresse"),
    ("password", "kort", "password", "Adgangskoden skal være mindst 12 tegn"),
    ("password_repeat", "noget helt andet end før", "password-repeat", "Skriv den samme adgangskode i begge felter"),
])
async def test_each_invalid_field_is_named_and_the_form_keeps_what_was_typed(client, field, value, field_id, message) -> None:
    form = registration(**{field: value})
    if field == "password":
        form["password_repeat"] = value

    response = await post(client, "/registrer", form)

    assert response.status_code == 400
    page = html.unescape(response.text)
    assert message in page
    assert f'href="#{field_id}"' in page  # the error summary links to the field
    assert f'id="{field_id}-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Jobhjælpen Århus ApS"' in page or field == "name"
    assert 'value="Mette Madsen"' in page or field == "member_name"
    assert SECRET not in page and (field not in ("password", "password_repeat") or value not in page)
    assert await Provider.count() == 0 and await User.count() == 0


async def test_a_password_is_never_shown_again(client) -> None:
    response = await post(client, "/registrer", registration(cvr="12345678"))

    assert response.status_code == 400
    assert SECRET not in response.text
    assert 'name="password" value=""' in response.text


async def test_a_logged_in_citizen_who_registers_becomes_the_new_member(client) -> None:
    from tests.accounts.support import login

    citizen = await make_user("citizen")
    await login(client, citizen.email, PASSWORD)
    before = client.cookies["session"]

    response = await post(client, "/registrer", registration())

    assert response.status_code == 303
    assert response.cookies["session"] != before
    assert await SessionRecord.count().where(SessionRecord.key == before) == 0
    assert (await client.get("/provider")).status_code == 200
