"""The back office through the front door: the queue, the review page with its diff and
checklist, deciding by POST (303), refused forms that keep what was typed, conflicts shown as such,
the provider actions, and CSRF on every POST."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from factories import form_values, make_provider

from marketplace.providers.tables import Decision, ListingRevision, Provider

from .support import approve_form, login_as, post_form, revision_row, submit_revision


async def test_the_queue_lists_pending_revisions_oldest_first(client) -> None:
    newer = await submit_revision(name="Nyere Aktør")
    older = await submit_revision(name="Ældre Aktør")
    await ListingRevision.update({ListingRevision.submitted_at: datetime.now(timezone.utc) - timedelta(days=3)}).where(
        ListingRevision.id == older["id"])
    await make_provider(name="Allerede Godkendt")
    await login_as(client)

    page = await client.get("/authority/queue")

    assert page.status_code == 200
    assert page.text.index("Ældre Aktør") < page.text.index("Nyere Aktør")
    assert "Allerede Godkendt" not in page.text
    assert f'href="/authority/revisions/{older["id"]}"' in page.text
    assert "2 ansøgninger venter" in page.text and "Første ansøgning" in page.text


async def test_the_front_page_counts_what_waits_and_links_every_back_office_page(client) -> None:
    await submit_revision()
    await make_provider(last_confirmed_at=datetime.now(timezone.utc) - timedelta(days=400))
    await login_as(client)

    page = await client.get("/authority")

    assert page.status_code == 200
    assert "<strong>1</strong> ansøgninger venter på behandling" in page.text
    assert "<strong>1</strong> opslag er ikke bekræftet for nylig" in page.text
    for href in ("/authority/queue", "/authority/providers", "/authority/audit", "/authority/reviews", "/authority/outcomes",
                 "/authority/results"):
        assert f'href="{href}"' in page.text
    assert 'action="/logout"' in page.text  # still the area page


async def test_the_review_page_shows_the_field_by_field_diff_against_the_public_revision(client) -> None:
    provider = await make_provider(name="Mentorhuset", municipalities=[751, 101],
                                   description="Vi hjælper ledige i Aarhus.")
    revision = await submit_revision(
        provider["id"], municipalities=[751, 461], description="Vi hjælper unge ledige i Odense.",
        services=[{"slug": "jobsamtaler", "price_dkk": 6500, "duration_weeks": 8}],
        languages=["da", "uk"])
    await login_as(client)

    page = await client.get(f"/authority/revisions/{revision['id']}")

    assert page.status_code == 200
    text = page.text
    assert "Ansøgning fra Mentorhuset" in text
    assert "Sammenlignet med det offentlige opslag (nr. 1)" in text
    assert '<del><span class="sr-only">Fjernet: </span>Aarhus.</del>' in text
    assert '<ins><span class="sr-only">Tilføjet: </span>Odense.</ins>' in text
    assert '<span class="badge badge-success">Tilføjet</span> Odense' in text
    assert '<span class="badge badge-error">Fjernet</span> København' in text
    assert "<del>5.000 kr.</del> → <ins>6.500 kr.</ins>" in text
    assert '<span class="badge badge-success">Tilføjet</span> Ukrainsk' in text
    # the checklist with the automatic results, and both decisions
    assert 'name="standard" value="dpa"' in text and "Kontrolleres manuelt" in text
    assert "Automatisk kontrol: opfyldt" in text
    assert f'action="/authority/revisions/{revision["id"]}/approve"' in text
    assert f'formaction="/authority/revisions/{revision["id"]}/reject"' in text
    assert form_values(text)["version"] == [str(revision["version"])]


async def test_a_first_application_is_shown_as_all_new(client) -> None:
    revision = await submit_revision(name="Nyt Spor")
    await login_as(client)
    page = await client.get(f"/authority/revisions/{revision['id']}")
    assert "Første ansøgning: aktøren har intet offentligt opslag endnu, så alt er nyt." in page.text
    assert "Ændret</span>" not in page.text


async def test_approving_by_post_redirects_to_the_queue_which_says_so(client, engine) -> None:
    revision = await submit_revision(name="Nyt Spor")
    user = await login_as(client)

    response = await post_form(client, f"/authority/revisions/{revision['id']}/approve", approve_form(revision))

    assert response.status_code == 303
    assert response.headers["location"].startswith("/authority/queue?decided=")
    queue = await client.get(response.headers["location"])
    assert "Ansøgningen fra Nyt Spor er godkendt" in queue.text
    assert "Der er ingen ansøgninger, der venter." in queue.text
    decision = await Decision.select().first()
    assert decision["decided_by"] == user.id and decision["action"] == "approve"


async def test_an_unmet_standard_shows_the_form_again_with_what_was_ticked_and_typed(client) -> None:
    revision = await submit_revision()
    await login_as(client)
    ticked = ["cvr", "coverage", "services_priced", "method", "offices", "contact"]

    response = await post_form(client, f"/authority/revisions/{revision['id']}/approve",
                               approve_form(revision, standards_met=ticked, reason="Fin ansøgning"))

    assert response.status_code == 400
    assert 'class="alert alert-error"' in response.text and 'href="#checklist"' in response.text
    assert "Alle standarder skal være opfyldt for at godkende. Ikke bekræftet: databehandleraftale er bekræftet, " \
           "klageadgang er beskrevet." in response.text
    values = form_values(response.text)
    assert values["standard"] == ticked
    assert ">Fin ansøgning</textarea>" in response.text
    assert (await revision_row(revision["id"]))["status"] == "submitted"


async def test_rejecting_without_a_reason_shows_the_form_again(client) -> None:
    revision = await submit_revision()
    await login_as(client)

    response = await post_form(client, f"/authority/revisions/{revision['id']}/reject",
                               approve_form(revision, standards_met=["cvr"]))

    assert response.status_code == 400
    assert 'href="#reason"' in response.text and 'aria-invalid="true"' in response.text
    assert form_values(response.text)["standard"] == ["cvr"]
    assert await Decision.count() == 0


async def test_rejecting_with_a_reason_records_it(client) -> None:
    revision = await submit_revision(name="Nyt Spor")
    await login_as(client)

    response = await post_form(client, f"/authority/revisions/{revision['id']}/reject",
                               approve_form(revision, standards_met=[], reason="Metoden er ikke beskrevet."))

    assert response.status_code == 303
    queue = await client.get(response.headers["location"])
    assert "Ansøgningen fra Nyt Spor er afvist" in queue.text
    decision = await Decision.select().first()
    assert decision["reason"] == "Metoden er ikke beskrevet." and decision["action"] == "reject"
    page = await client.get(f"/authority/revisions/{revision['id']}")
    assert "Begrundelse: Metoden er ikke beskrevet." in page.text and "Afvis med begrundelse" not in page.text


async def test_a_second_caseworker_deciding_the_same_revision_is_told_it_is_already_decided(client, engine) -> None:
    from factories import app_client

    revision = await submit_revision(name="Nyt Spor")
    await login_as(client)
    async with app_client(engine) as colleague:
        await login_as(colleague)
        first = await post_form(colleague, f"/authority/revisions/{revision['id']}/approve", approve_form(revision))
        assert first.status_code == 303

    second = await post_form(client, f"/authority/revisions/{revision['id']}/reject",
                             approve_form(revision, reason="For sent."))

    assert second.status_code == 409
    assert "Ansøgningen er allerede behandlet af en anden sagsbehandler." in second.text
    assert "Din afgørelse er ikke gemt." in second.text
    assert await Decision.count() == 1


async def test_the_provider_list_shows_status_and_filters(client) -> None:
    await make_provider(name="Aktiv Aktør")
    await make_provider(name="Suspenderet Aktør", status="suspended")
    await make_provider(name="Gammel Aktør", last_confirmed_at=datetime.now(timezone.utc) - timedelta(days=400))
    await login_as(client)

    everyone = await client.get("/authority/providers")
    suspended = await client.get("/authority/providers?status=suspended")
    stale = await client.get("/authority/providers?stale=1")
    by_name = await client.get("/authority/providers?q=aktiv")

    assert all(n in everyone.text for n in ("Aktiv Aktør", "Suspenderet Aktør", "Gammel Aktør"))
    assert "Suspenderet Aktør" in suspended.text and "Aktiv Aktør" not in suspended.text
    assert "Gammel Aktør" in stale.text and "Aktiv Aktør" not in stale.text
    assert "Aktiv Aktør" in by_name.text and "Gammel Aktør" not in by_name.text


async def test_suspending_from_the_provider_page_needs_a_reason_then_says_so(client, engine) -> None:
    provider = await make_provider(name="Mentorhuset")
    await login_as(client)
    page = await client.get(f"/authority/providers/{provider['id']}")
    assert f'formaction="/authority/providers/{provider["id"]}/suspend"' in page.text
    assert f'formaction="/authority/providers/{provider["id"]}/revoke"' in page.text
    assert "/reinstate" not in page.text

    refused = await post_form(client, f"/authority/providers/{provider['id']}/suspend",
                              {"version": str(provider["version"]), "reason": ""})
    assert refused.status_code == 400 and 'href="#reason"' in refused.text

    done = await post_form(client, f"/authority/providers/{provider['id']}/suspend",
                           {"version": str(provider["version"]), "reason": "Klager over fremmøde."})
    assert done.status_code == 303
    after = await client.get(done.headers["location"])
    assert "Mentorhuset er suspenderet og fjernes fra søgningen." in after.text
    assert f'formaction="/authority/providers/{provider["id"]}/reinstate"' in after.text
    assert "Klager over fremmøde." in after.text  # the decision history

    stale = await post_form(client, f"/authority/providers/{provider['id']}/revoke",
                            {"version": str(provider["version"]), "reason": "Snyd."})
    assert stale.status_code == 409
    assert "Aktøren er ændret af en anden sagsbehandler" in stale.text
    assert (await Provider.select(Provider.status).where(Provider.id == provider["id"]).first())["status"] == "suspended"


async def test_the_decision_history_on_the_public_page_is_in_danish_and_english(client) -> None:
    from marketplace.providers import decisions

    from .support import make_user

    authority = await make_user("authority")
    provider = await make_provider(name="Mentorhuset")
    await decisions.suspend_provider(provider["id"], by=authority, reason="Undersøges.",
                                     expected_version=provider["version"])

    danish = await client.get(f"/providers/{provider['slug']}")
    client.cookies.set("lang", "en")
    english = await client.get(f"/providers/{provider['slug']}")

    assert "Suspenderet – Undersøges." in danish.text
    assert "Suspended – Undersøges." in english.text


@pytest.mark.parametrize("path", ["/authority/revisions/{revision}/approve", "/authority/revisions/{revision}/reject",
                                  "/authority/providers/{provider}/suspend", "/authority/providers/{provider}/revoke",
                                  "/authority/providers/{provider}/reinstate"])
async def test_every_decision_post_without_the_csrf_token_is_refused(client, path: str) -> None:
    provider = await make_provider()
    revision = await submit_revision(provider["id"])
    await login_as(client)
    url = path.format(revision=revision["id"], provider=provider["id"])
    data = {**approve_form(revision, reason="Begrundelse."), "version": str(revision["version"])}

    without = await client.post(url, data=data)
    wrong = await client.post(url, data={**data, "_csrf_token": "x" * 64})

    assert without.status_code == 403 and wrong.status_code == 403
    assert "Du har ikke adgang til siden" in without.text
    assert await Decision.count() == 0
    assert (await revision_row(revision["id"]))["status"] == "submitted"


async def test_a_providers_draft_is_not_shown_to_the_authority(client) -> None:
    draft = (await make_provider(approved=False))["revision"]
    await login_as(client)
    assert (await client.get(f"/authority/revisions/{draft['id']}")).status_code == 404


@pytest.mark.parametrize("lang", ["da", "en"])
async def test_every_back_office_page_is_translated(client, lang: str) -> None:
    import re

    from marketplace.providers import decisions

    from .support import make_user

    provider = await make_provider(name="Mentorhuset")
    change = await submit_revision(provider["id"], description="Ny tekst.", capacity="waitlist", waiting_weeks=2)
    first = await submit_revision(name="Nyt Spor")
    authority = await make_user("authority")
    await decisions.reject_revision(first["id"], by=authority, reason="Nej.", expected_version=first["version"])
    await login_as(client)
    client.cookies.set("lang", lang)
    for path in ("/authority", "/authority/queue", f"/authority/revisions/{change['id']}",
                 f"/authority/revisions/{first['id']}", "/authority/providers", f"/authority/providers/{provider['id']}",
                 "/authority/audit"):
        page = await client.get(path)
        assert page.status_code == 200, path
        raw = re.findall(r"\b(?:authority|diff|audit|decision)\.[a-z_.]+\b", page.text)
        assert raw == [], path  # an untranslated key shows as itself
    assert ("Applications to decide" in (await client.get("/authority/queue")).text) == (lang == "en")
