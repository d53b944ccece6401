"""Switching provider: the old choice ends as switched with the reason, the new one is chosen, the
history is kept, all in one audited transaction; and the refusals."""
from __future__ import annotations

from factories import make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.enrolments.tables import Enrolment

from .support import choose, citizen, enrolment, make_enrolment, post, reference_from, text_of_page


async def _switch(client, reference: str, to: str, *, reason: str = "Jeg følte mig ikke hjulpet.",
                  service: str = "jobsamtaler", municipality: str = "751"):
    return await post(client, f"/me/enrolments/{reference}/switch",
                      {"to": to, "service": service, "municipality": municipality, "reason": reason})


async def test_switching_ends_the_old_choice_keeps_the_reason_and_links_both(client) -> None:
    old_provider = await make_provider(name="Gamle Aktør")
    new_provider = await make_provider(name="Nye Aktør")
    user = await citizen(client)
    old_ref = reference_from(await choose(client, old_provider["slug"]))

    form = await client.get(f"/me/enrolments/{old_ref}/switch?to={new_provider['slug']}")
    assert form.status_code == 200 and "Skift til Nye Aktør" in text_of_page(form)

    response = await _switch(client, old_ref, new_provider["slug"])

    assert response.status_code == 303
    new_ref = reference_from(response)
    assert response.headers["location"] == f"/me/enrolments/{new_ref}?switched=1"
    old, new = await enrolment(old_ref), await enrolment(new_ref)
    assert old["status"] == "switched" and old["reason"] == "Jeg følte mig ikke hjulpet." and old["ended_at"]
    assert new["status"] == "chosen" and new["switched_from"] == old["id"] and new["provider"] == new_provider["id"]
    assert new["target_group"] == old["target_group"] and new["citizen"] == user.id
    assert await Enrolment.count().where(Enrolment.citizen == user.id) == 2  # history kept
    entry = await AuditEntry.select().where(AuditEntry.action == "enrolment.switch").first()
    assert entry["actor_id"] == user.id and entry["object_id"] == str(old["id"])

    receipt = text_of_page(await client.get(response.headers["location"]))
    assert "Du har skiftet til Nye Aktør" in receipt and old_ref in receipt
    old_receipt = text_of_page(await client.get(f"/me/enrolments/{old_ref}"))
    assert "Skiftet til en anden aktør" in old_receipt and "Jeg følte mig ikke hjulpet." in old_receipt
    assert new_ref in old_receipt
    listing = text_of_page(await client.get("/me/enrolments"))
    assert old_ref in listing and new_ref in listing


async def test_a_started_course_can_be_switched_too(client) -> None:
    old_provider, new_provider = await make_provider(), await make_provider()
    user = await citizen(client)
    reference = await make_enrolment(user.id, old_provider["id"], status="started")
    assert (await _switch(client, reference, new_provider["slug"])).status_code == 303
    assert (await enrolment(reference))["status"] == "switched"


async def test_a_switch_needs_a_reason_and_keeps_what_was_typed(client) -> None:
    old_provider, new_provider = await make_provider(), await make_provider()
    user = await citizen(client)
    reference = await make_enrolment(user.id, old_provider["id"])

    response = await _switch(client, reference, new_provider["slug"], reason="", municipality="")

    assert response.status_code == 400
    assert '<a href="#reason">Skriv kort, hvorfor du vil skifte aktør.</a>' in response.text
    assert '<a href="#municipality">Vælg den kommune, du bor i.</a>' in response.text
    assert 'name="service" value="jobsamtaler" checked' in response.text
    assert (await enrolment(reference))["status"] == "chosen"


async def test_switching_to_a_full_provider_is_refused_and_nothing_changes(client) -> None:
    old_provider = await make_provider()
    full = await make_provider(name="Fuld Aktør", capacity="full")
    user = await citizen(client)
    reference = await make_enrolment(user.id, old_provider["id"])

    response = await _switch(client, reference, full["slug"])

    assert response.status_code == 409
    assert "Fuld Aktør har ingen ledige pladser lige nu" in text_of_page(response)
    assert (await enrolment(reference))["status"] == "chosen"
    assert await Enrolment.count() == 1


async def test_switching_to_a_provider_not_covering_the_municipality_is_refused(client) -> None:
    old_provider = await make_provider(municipalities=[101])
    far = await make_provider(name="Langt Væk", municipalities=[851])
    user = await citizen(client, municipality=101)
    reference = await make_enrolment(user.id, old_provider["id"])

    response = await _switch(client, reference, far["slug"], municipality="101")

    assert response.status_code == 409
    assert "Langt Væk dækker ikke København Kommune" in text_of_page(response)
    assert (await enrolment(reference))["status"] == "chosen"


async def test_switching_to_the_same_provider_is_refused(client) -> None:
    provider = await make_provider()
    user = await citizen(client)
    reference = await make_enrolment(user.id, provider["id"])
    response = await _switch(client, reference, provider["slug"])
    assert response.status_code == 409
    assert "Du har allerede valgt denne aktør." in text_of_page(response)


async def test_a_choice_that_is_no_longer_active_cannot_be_switched(client) -> None:
    old_provider, new_provider = await make_provider(), await make_provider()
    user = await citizen(client)
    reference = await make_enrolment(user.id, old_provider["id"], status="declined")

    page = await client.get(f"/me/enrolments/{reference}/switch?to={new_provider['slug']}")
    assert "ikke aktivt længere" in text_of_page(page)
    response = await _switch(client, reference, new_provider["slug"])
    assert response.status_code == 409
    assert await Enrolment.count() == 1


async def test_without_a_target_the_switch_page_says_how_to_find_one(client) -> None:
    provider = await make_provider()
    user = await citizen(client)
    reference = await make_enrolment(user.id, provider["id"])
    page = await client.get(f"/me/enrolments/{reference}/switch")
    assert page.status_code == 200
    assert 'href="/?target_group=dagpenge&amp;municipality=751"' in page.text
