"""Capacity and contact (/provider/capacity) change the public listing at once, without re-approval:
audited with before/after, an outbox event in the same transaction, and copied onto the open draft
and submitted revisions so a later approval does not turn them back."""
from __future__ import annotations

import html

from factories import index_all, indexed_documents, make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.providers.tables import Provider
from search.tables import OutboxEvent

from .support import as_pairs, editor_form, form_values, member, post, revisions_of


async def capacity_form(client) -> dict[str, list[str]]:
    response = await client.get("/provider/capacity")
    assert response.status_code == 200
    values = form_values(response.text)
    values.pop("_csrf_token", None)
    return values


async def test_the_capacity_page_explains_the_rule_and_shows_the_current_values(client) -> None:
    await member(client, capacity="waitlist", waiting_weeks=3)

    response = await client.get("/provider/capacity")

    page = html.unescape(response.text)
    assert "vises på jeres offentlige opslag med det samme – uden at myndigheden skal godkende dem" in page
    assert "Alt andet i opslaget" in page and "skal godkendes" in page
    values = form_values(response.text)
    assert values["capacity"] == ["waitlist"] and values["waiting_weeks"] == ["3"]
    assert values["contact_email"] == ["kontakt@aktoer.example"]


async def test_a_capacity_change_goes_live_without_approval(client, engine) -> None:
    provider = await make_provider(capacity="open")
    await index_all(engine)
    await member(client, provider)
    values = await capacity_form(client)
    events_before = await OutboxEvent.count()

    response = await post(client, "/provider/capacity", as_pairs(values, capacity="waitlist", waiting_weeks="6"))

    assert response.status_code == 303 and response.headers["location"] == "/provider?done=capacity"
    [approved] = await revisions_of(provider["id"])
    assert approved["status"] == "approved" and approved["capacity"] == "waitlist" and approved["waiting_weeks"] == 6
    assert approved["version"] == 2
    assert await OutboxEvent.count() == events_before + 1
    await index_all(engine)
    doc = indexed_documents(engine)[provider["id"]]
    assert doc["capacity"] == "waitlist" and doc["waiting_weeks"] == 6
    hits = (await client.get("/api/providers", params={"capacity": "waitlist"})).json()["hits"]
    assert [h["id"] for h in hits] == [provider["id"]]
    entry = await AuditEntry.select().where(AuditEntry.action == "listing.capacity_contact").first().output(load_json=True)
    assert entry["before"] == {"capacity": "open", "waiting_weeks": 0, "version": 1}
    assert entry["after"]["capacity"] == "waitlist" and entry["after"]["waiting_weeks"] == 6


async def test_a_contact_change_shows_on_the_public_page_at_once(client) -> None:
    provider = await make_provider()
    await member(client, provider)
    values = await capacity_form(client)

    await post(client, "/provider/capacity", as_pairs(values, contact_phone="+45 33 44 55 66",
                                                      contact_website="www.nyt-website.example"))

    [approved] = await revisions_of(provider["id"])
    assert approved["contact"]["phone"] == "+45 33 44 55 66"
    assert approved["contact"]["website"] == "https://www.nyt-website.example"
    page = (await client.get(f"/providers/{provider['slug']}")).text
    assert "+45 33 44 55 66" in page


async def test_capacity_and_contact_are_copied_onto_the_open_draft_without_bumping_it(client) -> None:
    provider = await make_provider(capacity="open")
    await member(client, provider)
    await post(client, "/provider/listing", as_pairs(await editor_form(client)))  # a draft
    _, draft = await revisions_of(provider["id"])

    await post(client, "/provider/capacity", as_pairs(await capacity_form(client), capacity="full"))

    approved, draft_after = await revisions_of(provider["id"])
    assert approved["capacity"] == "full" and draft_after["capacity"] == "full"
    assert draft_after["version"] == draft["version"]  # the editor's open form stays valid


async def test_saving_capacity_alone_does_not_confirm_but_the_checkbox_does(client) -> None:
    provider = await make_provider(last_confirmed_at=None)
    await member(client, provider)

    await post(client, "/provider/capacity", as_pairs(await capacity_form(client), capacity="full"))
    row = await Provider.select(Provider.last_confirmed_at).where(Provider.id == provider["id"]).first()
    assert row["last_confirmed_at"] is None

    response = await post(client, "/provider/capacity", as_pairs(await capacity_form(client), confirm="1"))
    assert response.headers["location"] == "/provider?done=capacity_confirmed"
    row = await Provider.select(Provider.last_confirmed_at).where(Provider.id == provider["id"]).first()
    assert row["last_confirmed_at"] is not None


async def test_invalid_capacity_values_are_named_and_kept(client) -> None:
    provider = await make_provider()
    await member(client, provider)

    response = await post(client, "/provider/capacity", as_pairs(await capacity_form(client), capacity="waitlist",
                                                                  waiting_weeks="", contact_email="ikke-en-mail"))

    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "Angiv ventetiden i hele uger fra 1 til 52" in page and "Skriv en gyldig e-mail-adresse" in page
    assert 'href="#waiting-weeks"' in page and 'href="#contact-email"' in page
    assert 'value="ikke-en-mail"' in page and 'value="waitlist" checked' in page
    [approved] = await revisions_of(provider["id"])
    assert approved["capacity"] == "open" and approved["version"] == 1


async def test_a_stale_capacity_save_is_refused_and_keeps_the_typed_values(client) -> None:
    provider = await make_provider()
    await member(client, provider)
    first, second = await capacity_form(client), await capacity_form(client)
    await post(client, "/provider/capacity", as_pairs(first, capacity="full"))

    late = await post(client, "/provider/capacity", as_pairs(second, capacity="waitlist", waiting_weeks="4"))

    assert late.status_code == 409
    page = html.unescape(late.text)
    assert "Opslaget er blevet ændret, siden du åbnede siden" in page
    assert 'value="waitlist" checked' in page and 'name="waiting_weeks" value="4"' in page
    [approved] = await revisions_of(provider["id"])
    assert approved["capacity"] == "full"


async def test_before_the_first_approval_capacity_is_part_of_the_listing(client) -> None:
    provider = await make_provider(approved=False)
    await member(client, provider)

    page = html.unescape((await client.get("/provider/capacity")).text)
    assert "Jeres opslag er ikke godkendt endnu" in page
    [draft] = await revisions_of(provider["id"])
    response = await post(client, "/provider/capacity", {"revision_id": draft["id"], "version": draft["version"],
                                                         "capacity": "full", "contact_email": "a@b.example",
                                                         "contact_phone": "12345678"})
    assert response.status_code == 409
    assert "Jeres opslag er ikke godkendt endnu" in html.unescape(response.text)
