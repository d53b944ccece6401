"""Taking back a choice before the course starts: the choice becomes cancelled (the reason kept when
given), audited, the history kept and the target group free for a new choice; too late once started;
only one's own choice."""
from __future__ import annotations

from factories import make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.enrolments.tables import Enrolment

from .support import as_user, choose, citizen, enrolment, make_enrolment, make_user, post, reference_from, text_of_page


async def test_a_chosen_provider_can_be_taken_back_with_a_reason_and_chosen_anew(client) -> None:
    provider = await make_provider(name="Fortrudt Aktør")
    other = await make_provider(name="Anden Aktør")
    user = await citizen(client)
    reference = reference_from(await choose(client, provider["slug"]))

    receipt = await client.get(f"/me/enrolments/{reference}")
    assert f'href="/me/enrolments/{reference}/cancel"' in receipt.text and "Fortryd valget" in text_of_page(receipt)
    form = await client.get(f"/me/enrolments/{reference}/cancel")
    assert form.status_code == 200
    assert "Fortryd dit valg" in text_of_page(form) and "Fortrudt Aktør kan se det på sin liste" in text_of_page(form)

    response = await post(client, f"/me/enrolments/{reference}/cancel", {"reason": "Jeg har fået job."})

    assert response.status_code == 303
    assert response.headers["location"] == f"/me/enrolments/{reference}?cancelled=1"
    row = await enrolment(reference)
    assert row["status"] == "cancelled" and row["reason"] == "Jeg har fået job." and row["ended_at"]
    entry = await AuditEntry.select().where(AuditEntry.action == "enrolment.cancel").first()
    assert entry["actor_id"] == user.id and entry["object_id"] == str(row["id"])
    shown = text_of_page(await client.get(response.headers["location"]))
    assert "Dit valg af Fortrudt Aktør er annulleret." in shown and "Jeg har fået job." in shown
    assert "Status Annulleret" in shown and "Annulleret den" in shown and "Afsluttet den" not in shown
    assert "Fortryd valget" not in shown and "Skift aktør" not in shown  # nothing left to take back or switch
    again_form = await client.get(f"/me/enrolments/{reference}/cancel")  # an old tab, or the back button
    assert "valgets status er nu: Annulleret." in text_of_page(again_form) and "Forløbet er i gang" not in again_form.text
    assert f'action="/me/enrolments/{reference}/cancel"' not in again_form.text

    again = await choose(client, other["slug"])  # the target group is free again
    assert again.status_code == 303
    assert await Enrolment.count().where(Enrolment.citizen == user.id) == 2  # the cancelled one is kept

    await as_user(client, await make_user("provider", provider_id=provider["id"]))
    history = text_of_page(await client.get("/provider/enrolments"))
    assert reference in history and "Jeg har fået job." in history


async def test_an_accepted_choice_can_be_taken_back_without_a_reason(client) -> None:
    provider = await make_provider()
    user = await citizen(client)
    reference = await make_enrolment(user.id, provider["id"], status="accepted")

    response = await post(client, f"/me/enrolments/{reference}/cancel", {"reason": "  "})

    assert response.status_code == 303
    row = await enrolment(reference)
    assert row["status"] == "cancelled" and not row["reason"]


async def test_a_started_course_cannot_be_taken_back_and_nothing_changes(client) -> None:
    provider = await make_provider()
    user = await citizen(client)
    reference = await make_enrolment(user.id, provider["id"], status="started")
    receipt = await client.get(f"/me/enrolments/{reference}")
    assert "/cancel" not in receipt.text

    response = await post(client, f"/me/enrolments/{reference}/cancel", {"reason": "For sent"})

    assert response.status_code == 409
    page = text_of_page(response)
    assert "Valget blev ikke annulleret" in page and "er startet og kan ikke annulleres" in page
    assert "Skift aktør" in page  # the way that is left
    assert "valgets status er nu: I gang." in page and "Forløbet er i gang." in page
    assert 'action="/me/enrolments/' not in response.text  # no form to send again
    assert (await enrolment(reference))["status"] == "started"
    assert await AuditEntry.count().where(AuditEntry.action == "enrolment.cancel") == 0


async def test_a_too_long_reason_is_refused_and_kept_in_the_form(client) -> None:
    provider = await make_provider()
    user = await citizen(client)
    reference = await make_enrolment(user.id, provider["id"])

    response = await post(client, f"/me/enrolments/{reference}/cancel", {"reason": "x" * 1001})

    assert response.status_code == 400
    assert '<a href="#reason">Begrundelsen må højst være 1000 tegn.</a>' in response.text
    assert "x" * 1001 in response.text
    assert (await enrolment(reference))["status"] == "chosen"


async def test_someone_elses_choice_cannot_be_taken_back(client) -> None:
    provider = await make_provider()
    owner = await citizen()
    reference = await make_enrolment(owner.id, provider["id"])
    await citizen(client)  # another citizen, logged in

    assert (await client.get(f"/me/enrolments/{reference}/cancel")).status_code == 404
    response = await post(client, f"/me/enrolments/{reference}/cancel", {"reason": ""})

    assert response.status_code == 404
    assert (await enrolment(reference))["status"] == "chosen"
