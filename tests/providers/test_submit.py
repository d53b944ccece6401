"""Submitting a draft for approval: draft → submitted, audited; while it waits, the approved revision
stays public and search does not change."""
from __future__ import annotations

import html

import pytest
from factories import index_all, make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.errors import Conflict
from marketplace.providers import decisions, standards
from marketplace.providers.tables import ListingRevision

from .support import approve, as_pairs, authority, editor_form, member, post, revisions_of


async def test_submitting_the_draft_from_the_overview_marks_it_submitted_and_audits_it(client) -> None:
    provider = await make_provider(approved=False)
    await member(client, provider)
    overview = await client.get("/provider")
    assert "Send til godkendelse" in overview.text
    [draft] = await revisions_of(provider["id"])

    response = await post(client, "/provider/listing/submit", {"revision_id": draft["id"], "version": draft["version"]})

    assert response.status_code == 303 and response.headers["location"] == "/provider?done=submitted"
    [submitted] = await revisions_of(provider["id"])
    assert submitted["status"] == "submitted" and submitted["submitted_at"] is not None
    assert submitted["version"] == draft["version"] + 1
    entry = await AuditEntry.select().where(AuditEntry.action == "revision.submit").first().output(load_json=True)
    assert entry["before"]["status"] == "draft" and entry["after"]["status"] == "submitted"
    page = html.unescape((await client.get(response.headers["location"])).text)
    assert "Opslaget er sendt til godkendelse" in page and "venter på myndigheden" in page


async def test_save_and_submit_in_one_step(client) -> None:
    provider = await make_provider(approved=False)
    await member(client, provider)
    values = await editor_form(client)

    response = await post(client, "/provider/listing", as_pairs(values, action="submit"))

    assert response.status_code == 303 and response.headers["location"] == "/provider?done=submitted"
    [revision] = await revisions_of(provider["id"])
    assert revision["status"] == "submitted"


async def test_an_incomplete_draft_cannot_be_submitted_and_the_editor_says_what_is_missing(client) -> None:
    await post(client, "/registrer", {
        "cvr": "12345674", "name": "Ny Aktør", "type": "andet", "contact_email": "a@b.example",
        "contact_phone": "12345678", "member_name": "Ny", "member_email": "ny@b.example",
        "password": "en lang adgangskode", "password_repeat": "en lang adgangskode",
    })
    overview = html.unescape((await client.get("/provider")).text)
    assert "Kladden er ikke færdig" in overview and "Send til godkendelse</button>" not in overview
    values = await editor_form(client)

    response = await post(client, "/provider/listing/submit", {"revision_id": values["revision_id"][0],
                                                               "version": values["version"][0]})

    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "Skriv en beskrivelse af jeres tilbud" in page and "Vælg mindst én målgruppe" in page
    draft = await ListingRevision.select(ListingRevision.status).where(
        ListingRevision.id == int(values["revision_id"][0])).first()
    assert draft["status"] == "draft"


async def test_submitting_with_an_old_version_is_refused(client) -> None:
    provider = await make_provider(approved=False)
    await member(client, provider)
    [draft] = await revisions_of(provider["id"])
    await post(client, "/provider/listing", as_pairs(await editor_form(client)))  # version moves on

    response = await post(client, "/provider/listing/submit", {"revision_id": draft["id"], "version": draft["version"]})

    assert response.status_code == 409
    assert "Opslaget er blevet ændret" in html.unescape(response.text)
    [after] = await revisions_of(provider["id"])
    assert after["status"] == "draft"


async def test_while_a_revision_waits_for_approval_the_approved_one_stays_public(client, engine) -> None:
    provider = await make_provider(name="Mentorhuset", description="Den gamle godkendte tekst om mentorforløb for ledige.")
    await index_all(engine)
    await member(client, provider)
    values = await editor_form(client)

    await post(client, "/provider/listing", as_pairs(values, action="submit",
                                                      description="Den nye tekst om kurser, som venter på godkendelse."))
    await index_all(engine)

    approved, submitted = await revisions_of(provider["id"])
    assert approved["status"] == "approved" and submitted["status"] == "submitted"
    hits = (await client.get("/api/providers", params={"q": "Mentorhuset"})).json()["hits"]
    assert [h["summary"] for h in hits] == ["Den gamle godkendte tekst om mentorforløb for ledige."]
    public_page = html.unescape((await client.get(f"/providers/{provider['slug']}")).text)
    assert "Den gamle godkendte tekst" in public_page and "Den nye tekst om kurser" not in public_page

    await approve(submitted["id"])  # the authority approves: now the new text is public
    await index_all(engine)
    hits = (await client.get("/api/providers", params={"q": "Mentorhuset"})).json()["hits"]
    assert [h["summary"] for h in hits] == ["Den nye tekst om kurser, som venter på godkendelse."]


# -- withdrawing before the decision -----------------------------------------------------------------
async def _submitted(client, provider) -> dict:
    [draft] = await revisions_of(provider["id"])
    await post(client, "/provider/listing/submit", {"revision_id": draft["id"], "version": draft["version"]})
    [submitted] = await revisions_of(provider["id"])
    assert submitted["status"] == "submitted"
    return submitted


async def test_a_submitted_revision_can_be_withdrawn_edited_and_sent_again(client) -> None:
    provider = await make_provider(approved=False)
    await member(client, provider)
    submitted = await _submitted(client, provider)
    editor = html.unescape((await client.get("/provider/listing")).text)
    assert 'action="/provider/listing/withdraw"' in editor and "Træk tilbage fra godkendelse" in editor

    response = await post(client, "/provider/listing/withdraw",
                          {"revision_id": submitted["id"], "version": submitted["version"]})

    assert response.status_code == 303 and response.headers["location"] == "/provider/listing?done=withdrawn"
    [draft] = await revisions_of(provider["id"])
    assert draft["id"] == submitted["id"] and draft["status"] == "draft" and draft["submitted_at"] is None
    assert draft["version"] == submitted["version"] + 1
    entry = await AuditEntry.select().where(AuditEntry.action == "revision.withdraw").first().output(load_json=True)
    assert entry["before"]["status"] == "submitted" and entry["after"]["status"] == "draft"
    page = html.unescape((await client.get(response.headers["location"])).text)
    assert "er igen en kladde" in page and "Træk tilbage fra godkendelse" not in page

    values = await editor_form(client)  # editable again: save a change and send it once more
    sent = await post(client, "/provider/listing", as_pairs(values, action="submit",
                                                            description="En rettet beskrivelse af vores mentorforløb."))
    assert sent.status_code == 303
    [again] = await revisions_of(provider["id"])
    assert again["status"] == "submitted" and again["description"] == "En rettet beskrivelse af vores mentorforløb."


async def test_a_decision_on_the_version_before_the_withdrawal_is_refused(client) -> None:
    provider = await make_provider(approved=False)
    await member(client, provider)
    submitted = await _submitted(client, provider)
    await post(client, "/provider/listing/withdraw", {"revision_id": submitted["id"], "version": submitted["version"]})

    with pytest.raises(Conflict):
        await decisions.approve_revision(submitted["id"], by=await authority(), expected_version=submitted["version"],
                                         checklist={s.slug: True for s in standards.STANDARDS})
    [after] = await revisions_of(provider["id"])
    assert after["status"] == "draft"


async def test_a_revision_already_decided_cannot_be_withdrawn(client) -> None:
    provider = await make_provider(approved=False)
    await member(client, provider)
    submitted = await _submitted(client, provider)
    await approve(submitted["id"])

    response = await post(client, "/provider/listing/withdraw",
                          {"revision_id": submitted["id"], "version": submitted["version"]})

    assert response.status_code == 409
    assert "venter ikke længere på godkendelse" in html.unescape(response.text)
    [after] = await revisions_of(provider["id"])
    assert after["status"] == "approved"
    assert await AuditEntry.count().where(AuditEntry.action == "revision.withdraw") == 0
