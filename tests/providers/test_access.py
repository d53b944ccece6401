"""Who may use the provider area: anonymous visitors are sent to /login, citizens and the authority get
403, and a member of provider A can neither read nor change provider B's listing on any route."""
from __future__ import annotations

import pytest
from factories import make_provider

from marketplace.providers.tables import Provider
from tests.accounts.support import csrf_token, login, make_user

from .support import as_pairs, editor_form, member, post, revisions_of

ROUTES = [
    ("GET", "/provider"), ("POST", "/provider/confirm"), ("GET", "/provider/listing"), ("POST", "/provider/listing"),
    ("POST", "/provider/listing/submit"), ("GET", "/provider/capacity"), ("POST", "/provider/capacity"),
]


async def request(client, method: str, path: str):
    if method == "GET":
        return await client.get(path)
    return await client.post(path, data={"_csrf_token": await csrf_token(client)})


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_an_anonymous_visitor_is_sent_to_login(client, method: str, path: str) -> None:
    response = await request(client, method, path)

    assert response.status_code == 302
    assert response.headers["location"] == f"/login?next={path}"


@pytest.mark.parametrize("role", ["citizen", "authority"])
async def test_other_roles_are_refused_on_every_route(client, role: str) -> None:
    user = await make_user(role)
    await login(client, user.email)
    for method, path in ROUTES:
        response = await request(client, method, path)
        assert response.status_code == 403, (role, method, path)


async def test_the_registration_page_is_open_to_everyone(client) -> None:
    assert (await client.get("/registrer")).status_code == 200


async def test_a_member_sees_only_its_own_provider(client) -> None:
    a = await make_provider(name="Aktør A", description="A's egen tekst om hjælp til ledige i hele Aarhus.")
    b = await make_provider(name="Aktør B", description="B's hemmelige kladdetekst, som A aldrig må se.",
                            capacity="full")
    await member(client, a)

    for path in ("/provider", "/provider/listing", "/provider/capacity"):
        page = (await client.get(path)).text
        assert "Aktør B" not in page and "hemmelige kladdetekst" not in page, path
    assert "Aktør A" in (await client.get("/provider")).text
    assert (await editor_form(client))["revision_id"] == [str(a["revision"]["id"])]
    assert b["id"] != a["id"]


async def test_a_member_cannot_change_another_providers_draft(client) -> None:
    a = await make_provider(approved=False)
    b = await make_provider(approved=False, description="B's kladde, som ikke må ændres af A overhovedet.")
    await member(client, a)
    [b_draft] = await revisions_of(b["id"])
    values = await editor_form(client)

    response = await post(client, "/provider/listing", as_pairs(
        values, revision_id=str(b_draft["id"]), version=str(b_draft["version"]),
        description="A forsøger at overskrive B's kladde med sin egen tekst."))

    assert response.status_code == 403
    [after] = await revisions_of(b["id"])
    assert after["description"] == b_draft["description"] and after["version"] == b_draft["version"]
    [a_draft] = await revisions_of(a["id"])
    assert a_draft["description"] != "A forsøger at overskrive B's kladde med sin egen tekst."


async def test_a_member_cannot_submit_another_providers_draft(client) -> None:
    a = await make_provider(approved=False)
    b = await make_provider(approved=False)
    await member(client, a)
    [b_draft] = await revisions_of(b["id"])

    response = await post(client, "/provider/listing/submit", {"revision_id": b_draft["id"], "version": b_draft["version"]})

    assert response.status_code == 403
    [after] = await revisions_of(b["id"])
    assert after["status"] == "draft"


async def test_a_member_cannot_change_another_providers_capacity(client) -> None:
    a = await make_provider()
    b = await make_provider(capacity="open")
    await member(client, a)
    [b_public] = await revisions_of(b["id"])

    response = await post(client, "/provider/capacity", {
        "revision_id": b_public["id"], "version": b_public["version"], "capacity": "full",
        "contact_email": "a@a.example", "contact_phone": "12345678",
    })

    assert response.status_code == 403
    [after] = await revisions_of(b["id"])
    assert after["capacity"] == "open" and after["version"] == b_public["version"]


async def test_confirming_confirms_only_the_members_own_provider(client) -> None:
    a = await make_provider(last_confirmed_at=None)
    b = await make_provider(last_confirmed_at=None)
    await member(client, a)

    await post(client, "/provider/confirm", {"provider_id": b["id"]})  # an extra field changes nothing

    rows = {r["id"]: r["last_confirmed_at"] for r in await Provider.select(Provider.id, Provider.last_confirmed_at)}
    assert rows[a["id"]] is not None and rows[b["id"]] is None
