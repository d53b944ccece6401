"""Choosing a provider: the confirm page, the receipt, and every refusal with its reason."""
from __future__ import annotations

from datetime import date

import pytest
from factories import make_provider, set_status

from marketplace.audit.tables import AuditEntry
from marketplace.enrolments.services import add_working_days, today
from marketplace.enrolments.tables import Enrolment

from .support import choose, citizen, enrolment, make_enrolment, post, reference_from, text_of_page


# -- the working-day promise -------------------------------------------------------------------------
@pytest.mark.parametrize(("start", "days", "expected"), [
    (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday + 1 → Monday
    (date(2026, 11, 18), 5, date(2026, 11, 25)),  # Wednesday + 5 → next Wednesday
    (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday + 1 → Monday
    (date(2026, 11, 23), 3, date(2026, 11, 26)),  # Monday + 3 → Thursday
    (date(2026, 11, 20), 0, date(2026, 11, 20)),
])
def test_first_contact_counts_working_days_and_skips_weekends(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize(("start", "days", "expected"), [
    (date(2026, 12, 23), 1, date(2026, 12, 28)),  # juleaftensdag, juledag, anden juledag, the weekend
    (date(2026, 12, 30), 1, date(2027, 1, 4)),  # nytårsaftensdag, nytårsdag, the weekend
    (date(2026, 4, 1), 1, date(2026, 4, 7)),  # skærtorsdag, langfredag, the weekend, anden påskedag
    (date(2026, 5, 13), 1, date(2026, 5, 15)),  # Kristi himmelfartsdag
    (date(2026, 5, 22), 1, date(2026, 5, 26)),  # the weekend, anden pinsedag
    (date(2026, 6, 4), 1, date(2026, 6, 8)),  # grundlovsdag (a Friday), the weekend
    (date(2023, 5, 4), 1, date(2023, 5, 8)),  # store bededag 2023, the weekend
    (date(2024, 4, 25), 1, date(2024, 4, 26)),  # store bededag was abolished from 2024
    (date(2026, 4, 30), 1, date(2026, 5, 1)),  # 1 May is a working day by law
])
def test_first_contact_skips_danish_holidays(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


# -- the confirm page --------------------------------------------------------------------------------
async def test_an_anonymous_visitor_is_asked_to_log_in_first(client) -> None:
    provider = await make_provider()
    response = await client.get(f"/providers/{provider['slug']}/choose")
    assert response.status_code == 302
    assert response.headers["location"] == f"/login?next=/providers/{provider['slug']}/choose"


async def test_the_provider_page_offers_the_choice(client) -> None:
    provider = await make_provider(name="Jobvejen")
    page = await client.get(f"/providers/{provider['slug']}")
    assert f'href="/providers/{provider["slug"]}/choose"' in page.text
    assert "Vælg denne aktør" in page.text


async def test_a_suspended_provider_page_offers_no_choice(client) -> None:
    provider = await make_provider(status="suspended")
    page = await client.get(f"/providers/{provider['slug']}")
    assert page.status_code == 200 and f"/providers/{provider['slug']}/choose" not in page.text


async def test_the_confirm_page_says_what_happens_the_duty_nobody_waiting_and_first_contact(client) -> None:
    provider = await make_provider(name="Jobvejen", capacity="waitlist", waiting_weeks=3, first_contact_days=4)
    await citizen(client)

    response = await client.get(f"/providers/{provider['slug']}/choose")

    assert response.status_code == 200
    text = text_of_page(response)
    promise = add_working_days(today(), 4)
    assert "Vælg Jobvejen" in text
    assert "Venteliste: cirka 3 uger" in text
    assert f"senest {promise.day}." in text  # "… kontakte dig senest 27. november 2026"
    assert "Din pligt til at søge og tage arbejde er den samme" in text
    assert "Vælger du ingen, fortsætter du hos dit jobcenter som hidtil." in text
    assert "Hvad sker der, når du har valgt?" in text
    assert 'name="target_group" value="dagpenge" checked' in response.text  # from the profile
    assert 'name="service" value="jobsamtaler" checked' in response.text  # the only service
    assert '<option value="751" selected>' in response.text  # the profile's municipality


async def test_an_unknown_provider_is_404(client) -> None:
    await citizen(client)
    response = await client.get("/providers/findes-ikke/choose")
    assert response.status_code == 404


# -- choosing ----------------------------------------------------------------------------------------
async def test_choosing_gives_a_receipt_with_a_reference_number_and_the_promise(client) -> None:
    provider = await make_provider(name="Jobvejen", first_contact_days=5)
    user = await citizen(client)

    response = await choose(client, provider["slug"])

    assert response.status_code == 303
    reference = reference_from(response)
    row = await enrolment(reference)
    assert row["status"] == "chosen" and row["citizen"] == user.id and row["provider"] == provider["id"]
    assert row["target_group"] == "dagpenge" and row["service"] == "jobsamtaler"
    promise = add_working_days(today(), 5)
    assert str(row["first_contact_by"])[:10] == promise.isoformat()
    receipt = await client.get(response.headers["location"])
    text = text_of_page(receipt)
    assert receipt.status_code == 200
    assert f"Kvitteringsnummer: {reference}" in text
    assert "Du har valgt Jobvejen" in text
    assert "Valgt – venter på aktøren" in text
    assert "Din pligt til at søge og tage arbejde er den samme" in text
    assert "fortsætter du hos dit jobcenter" in text
    assert "Ingen ventetid" in text
    assert f"senest {promise.day}." in text
    audit = await AuditEntry.select().where(AuditEntry.action == "enrolment.choose").first()
    assert audit is not None and audit["actor_id"] == user.id


async def test_a_missing_service_and_municipality_keep_what_was_typed_with_an_error_summary(client) -> None:
    provider = await make_provider(services=[{"slug": "jobsamtaler", "price_dkk": 5000, "duration_weeks": 8},
                                             {"slug": "mentor", "price_dkk": 9000, "duration_weeks": 12}])
    await citizen(client)

    response = await post(client, f"/providers/{provider['slug']}/choose", {"target_group": "dagpenge"})

    assert response.status_code == 400, text_of_page(response)[:3000]
    assert 'class="alert alert-error"' in response.text, text_of_page(response)[:3000]
    assert '<a href="#service">Vælg den indsats, du ønsker.</a>' in response.text
    assert '<a href="#municipality">Vælg den kommune, du bor i.</a>' in response.text
    assert 'name="target_group" value="dagpenge" checked' in response.text
    assert await Enrolment.count() == 0


async def test_refused_when_the_provider_is_full(client) -> None:
    provider = await make_provider(name="Fuldt Hus", capacity="full")
    await citizen(client)

    page = await client.get(f"/providers/{provider['slug']}/choose")
    assert "Du kan ikke vælge Fuldt Hus" in text_of_page(page)
    assert 'action="/providers/' not in page.text  # no form to submit

    response = await choose(client, provider["slug"])
    assert response.status_code == 409
    assert "Fuldt Hus har ingen ledige pladser lige nu (fuldt booket)." in text_of_page(response)
    assert await Enrolment.count() == 0


async def test_a_waiting_list_can_still_be_chosen(client) -> None:
    provider = await make_provider(capacity="waitlist", waiting_weeks=6)
    await citizen(client)
    response = await choose(client, provider["slug"])
    assert response.status_code == 303
    receipt = await client.get(response.headers["location"])
    assert "Venteliste: cirka 6 uger" in text_of_page(receipt)


@pytest.mark.parametrize(("status", "reason"), [
    ("suspended", "er suspenderet af myndigheden og kan ikke vælges lige nu."),
    ("revoked", "godkendelse er tilbagekaldt, så aktøren kan ikke vælges."),
])
async def test_refused_when_the_provider_is_suspended_or_revoked(client, status: str, reason: str) -> None:
    provider = await make_provider(name="Stop")
    await set_status(provider["id"], status)
    await citizen(client)

    page = await client.get(f"/providers/{provider['slug']}/choose")
    assert page.status_code == 200 and reason in text_of_page(page)

    response = await choose(client, provider["slug"])
    assert response.status_code == 409
    assert reason in text_of_page(response)
    assert await Enrolment.count() == 0


async def test_a_provider_never_approved_cannot_be_chosen(client) -> None:
    provider = await make_provider(approved=False)
    await citizen(client)
    assert (await choose(client, provider["slug"])).status_code == 404


async def test_refused_when_the_provider_does_not_cover_the_citizens_municipality(client) -> None:
    provider = await make_provider(name="Aarhushjælpen", municipalities=[751], remote=False)
    await citizen(client, municipality=101)

    response = await choose(client, provider["slug"], municipality="101")

    assert response.status_code == 409
    assert ("Aarhushjælpen dækker ikke København Kommune og tilbyder ikke hjælp online. Vælg en aktør, der dækker "
            "din kommune.") in text_of_page(response)
    assert '<option value="101" selected>' in response.text  # what was chosen is kept
    assert await Enrolment.count() == 0


async def test_remote_help_is_the_exception_to_coverage(client) -> None:
    provider = await make_provider(municipalities=[751], remote=True)
    await citizen(client, municipality=101)

    response = await choose(client, provider["slug"], municipality="101")

    assert response.status_code == 303
    assert (await enrolment(reference_from(response)))["status"] == "chosen"


async def test_refused_when_the_provider_does_not_serve_the_target_group(client) -> None:
    provider = await make_provider(name="Dagpengehjælpen", target_groups=[{"slug": "dagpenge", "years": 3}])
    await citizen(client, target_group="sygedagpenge")

    page = await client.get(f"/providers/{provider['slug']}/choose")
    assert "Ifølge din profil er du i målgruppen Sygedagpenge" in text_of_page(page)

    response = await choose(client, provider["slug"], target_group="sygedagpenge")
    assert response.status_code == 409
    assert "Dagpengehjælpen hjælper ikke borgere i målgruppen Sygedagpenge" in text_of_page(response)
    assert await Enrolment.count() == 0


async def test_a_service_the_provider_does_not_offer_is_a_field_error(client) -> None:
    provider = await make_provider()
    await citizen(client)
    response = await choose(client, provider["slug"], service="mentor")
    assert response.status_code == 400
    assert "tilbyder ikke Mentorstøtte" in text_of_page(response)


async def test_a_second_active_choice_for_the_same_target_group_is_refused_with_a_switch_offer(client) -> None:
    first = await make_provider(name="Første")
    second = await make_provider(name="Anden")
    await citizen(client)
    reference = reference_from(await choose(client, first["slug"]))

    page = await client.get(f"/providers/{second['slug']}/choose")
    assert "Du har allerede valgt Første for Dagpengemodtagere" in text_of_page(page)

    response = await choose(client, second["slug"])
    assert response.status_code == 409
    text = text_of_page(response)
    assert f"Du har allerede valgt Første for Dagpengemodtagere (kvittering {reference})." in text
    assert "du kan skifte aktør i stedet" in text
    assert f'href="/me/enrolments/{reference}/switch?to={second["slug"]}"' in response.text
    assert await Enrolment.count() == 1


async def test_another_target_group_may_have_its_own_active_choice(client) -> None:
    provider = await make_provider(target_groups=[{"slug": "dagpenge", "years": 3}, {"slug": "fleksjob", "years": 2}])
    await citizen(client)
    assert (await choose(client, provider["slug"], target_group="dagpenge")).status_code == 303
    assert (await choose(client, provider["slug"], target_group="fleksjob")).status_code == 303


async def test_after_a_decline_the_citizen_may_choose_again(client) -> None:
    provider = await make_provider()
    user = await citizen(client)
    await make_enrolment(user.id, provider["id"], status="declined")
    assert (await choose(client, provider["slug"])).status_code == 303


async def test_the_database_itself_refuses_two_active_choices_for_one_target_group() -> None:
    provider = await make_provider()
    user = await citizen()
    await make_enrolment(user.id, provider["id"], status="accepted")
    with pytest.raises(Exception) as caught:
        await make_enrolment(user.id, provider["id"], status="chosen")
    assert "unique" in str(caught.value).lower()
    await make_enrolment(user.id, provider["id"], status="ended")  # history is no constraint


# -- object checks -----------------------------------------------------------------------------------
async def test_a_citizen_cannot_see_another_citizens_receipt(client) -> None:
    provider = await make_provider(name="Hemmelig Aktør")
    owner = await citizen()
    reference = await make_enrolment(owner.id, provider["id"], status="started")
    await citizen(client)

    for path in (f"/me/enrolments/{reference}", f"/me/enrolments/{reference}/switch",
                 f"/me/enrolments/{reference}/review"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Hemmelig Aktør" not in response.text
    assert (await post(client, f"/me/enrolments/{reference}/review", {"rating": "5"})).status_code == 404
    switch = await post(client, f"/me/enrolments/{reference}/switch",
                        {"to": provider["slug"], "service": "jobsamtaler", "municipality": "751", "reason": "x"})
    assert switch.status_code == 404
    assert (await enrolment(reference))["status"] == "started"


async def test_only_citizens_can_choose(client) -> None:
    from .support import as_user, make_user

    provider = await make_provider()
    await as_user(client, await make_user("authority"))
    assert (await client.get(f"/providers/{provider['slug']}/choose")).status_code == 403
    assert (await choose(client, provider["slug"])).status_code == 403
