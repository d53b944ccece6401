"""The provider's side: incoming choices, accept or decline with a reason, started and ended, the
list past the first-contact promise; and the object checks between providers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.enrolments.services import today

from .support import as_user, citizen, enrolment, make_enrolment, make_user, post, text_of_page


async def _provider_member(client, provider: dict):
    member = await make_user("provider", provider_id=provider["id"])
    await as_user(client, member)
    return member


async def test_the_provider_sees_its_incoming_choices_with_the_citizens_contact(client) -> None:
    provider = await make_provider()
    person = await citizen(name="Birgit Borger")
    reference = await make_enrolment(person.id, provider["id"])
    await _provider_member(client, provider)

    response = await client.get("/provider/enrolments")

    assert response.status_code == 200
    text = text_of_page(response)
    assert reference in text and "Birgit Borger" in text and person.email in text
    assert "Nye valg (1)" in text
    assert f'action="/provider/enrolments/{reference}/accept"' in response.text


async def test_accepting_shows_the_citizen_the_new_status(client) -> None:
    provider = await make_provider(name="Jobvejen")
    person = await citizen()
    reference = await make_enrolment(person.id, provider["id"])
    member = await _provider_member(client, provider)

    response = await post(client, f"/provider/enrolments/{reference}/accept")

    assert response.status_code == 303
    assert response.headers["location"] == f"/provider/enrolments?done=accept&ref={reference}"
    assert (await enrolment(reference))["status"] == "accepted"
    assert f"Valget {reference} er accepteret." in text_of_page(await client.get(response.headers["location"]))
    entry = await AuditEntry.select().where(AuditEntry.action == "enrolment.accept").first()
    assert entry["actor_id"] == member.id
    await as_user(client, person)
    assert "Accepteret" in text_of_page(await client.get("/me"))
    assert "Accepteret" in text_of_page(await client.get(f"/me/enrolments/{reference}"))


async def test_declining_needs_a_reason_which_the_citizen_then_sees(client) -> None:
    provider = await make_provider()
    person = await citizen()
    reference = await make_enrolment(person.id, provider["id"])
    await _provider_member(client, provider)

    form = await client.get(f"/provider/enrolments/{reference}/decline")
    assert form.status_code == 200 and 'name="reason"' in form.text
    missing = await post(client, f"/provider/enrolments/{reference}/decline", {"reason": "  "})
    assert missing.status_code == 400
    assert '<a href="#reason">Skriv hvorfor I afviser borgeren – borgeren ser begrundelsen.</a>' in missing.text
    assert (await enrolment(reference))["status"] == "chosen"

    done = await post(client, f"/provider/enrolments/{reference}/decline", {"reason": "Vi har ikke plads før til sommer."})
    assert done.status_code == 303
    row = await enrolment(reference)
    assert row["status"] == "declined" and row["reason"] == "Vi har ikke plads før til sommer."
    await as_user(client, person)
    receipt = text_of_page(await client.get(f"/me/enrolments/{reference}"))
    assert "Afvist af aktøren" in receipt and "Vi har ikke plads før til sommer." in receipt
    assert "fortsætter du hos dit jobcenter" in receipt


async def test_started_and_ended_follow_accepted_in_order(client) -> None:
    provider = await make_provider()
    person = await citizen()
    reference = await make_enrolment(person.id, provider["id"])
    await _provider_member(client, provider)

    too_early = await post(client, f"/provider/enrolments/{reference}/start")
    assert too_early.status_code == 409
    assert f"Valget {reference} er valgt og kan ikke markeres som startet." in text_of_page(too_early)

    for action, status in (("accept", "accepted"), ("start", "started"), ("end", "ended")):
        assert (await post(client, f"/provider/enrolments/{reference}/{action}")).status_code == 303
        assert (await enrolment(reference))["status"] == status
    row = await enrolment(reference)
    assert row["started_at"] is not None and row["ended_at"] is not None
    assert (await post(client, f"/provider/enrolments/{reference}/accept")).status_code == 409


async def test_choices_past_the_first_contact_promise_are_listed_first(client) -> None:
    provider = await make_provider()
    late, on_time, accepted = await citizen(), await citizen(), await citizen()
    overdue_ref = await make_enrolment(late.id, provider["id"], first_contact_by=today() - timedelta(days=1),
                                       created_days_ago=9)
    fresh_ref = await make_enrolment(on_time.id, provider["id"], first_contact_by=today() + timedelta(days=2))
    handled_ref = await make_enrolment(accepted.id, provider["id"], status="accepted",
                                       first_contact_by=today() - timedelta(days=3))
    await _provider_member(client, provider)

    response = await client.get("/provider/enrolments")

    text = text_of_page(response)
    assert "1 valg har ventet længere end jeres løfte om første kontakt" in text
    overdue_section = response.text.split('id="overdue"')[1].split('id="incoming"')[0]
    assert overdue_ref in overdue_section
    assert fresh_ref not in overdue_section and handled_ref not in overdue_section


async def test_the_promise_on_the_day_itself_is_not_yet_overdue(client) -> None:
    provider = await make_provider()
    person = await citizen()
    await make_enrolment(person.id, provider["id"], first_contact_by=today())
    await _provider_member(client, provider)
    assert "Overskredet" not in (await client.get("/provider/enrolments")).text


# -- object checks -----------------------------------------------------------------------------------
async def test_provider_b_cannot_see_provider_as_choices(client) -> None:
    provider_a, provider_b = await make_provider(name="Aktør A"), await make_provider(name="Aktør B")
    person = await citizen(name="Anna Andersen")
    reference = await make_enrolment(person.id, provider_a["id"])
    await _provider_member(client, provider_b)

    response = await client.get("/provider/enrolments")

    assert response.status_code == 200
    assert reference not in response.text and "Anna Andersen" not in response.text
    assert (await client.get(f"/provider/enrolments/{reference}/decline")).status_code == 403


@pytest.mark.parametrize("action", ["accept", "decline", "start", "end"])
async def test_provider_b_cannot_act_on_provider_as_choices(client, action: str) -> None:
    provider_a, provider_b = await make_provider(), await make_provider()
    person = await citizen()
    reference = await make_enrolment(person.id, provider_a["id"],
                                     status={"start": "accepted", "end": "started"}.get(action, "chosen"))
    before = (await enrolment(reference))["status"]
    await _provider_member(client, provider_b)

    response = await post(client, f"/provider/enrolments/{reference}/{action}", {"reason": "Nej tak"})

    assert response.status_code == 403
    assert "Du har ikke adgang til denne aktør." in text_of_page(response)
    assert (await enrolment(reference))["status"] == before


async def test_citizens_and_anonymous_visitors_cannot_reach_the_provider_list(client) -> None:
    anonymous = await client.get("/provider/enrolments")
    assert anonymous.status_code == 302 and anonymous.headers["location"].startswith("/login")
    await citizen(client)
    assert (await client.get("/provider/enrolments")).status_code == 403
