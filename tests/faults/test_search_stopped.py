"""Meilisearch stopped while the portal runs: the search page and the API answer 503 with a clear
message, /health says degraded with the backlog, and the portal's writes are still accepted — a
provider's capacity change, an authority's approval, a citizen's choice, each through its HTTP form —
landing in the database and the outbox. When Meilisearch is back, the index catches up and equals
the database. (tests/pages and tests/api cover the 503 pages against a port where nothing ever
listened; here a real server goes away mid-run and comes back.)"""
from __future__ import annotations

import html
from contextlib import AsyncExitStack

import httpx
from factories import index_all, make_provider, running

from marketplace.enrolments.tables import Enrolment
from marketplace.providers.tables import ListingRevision
from search import outbox
from search.client import SearchEngine
from search.tables import OutboxEvent
from tests.accounts.support import login, make_user
from tests.authority.support import approve_form, post_form, submit_revision
from tests.providers.support import as_pairs, form_values, post

from .scenarios import index_matches_database


async def test_with_search_stopped_pages_degrade_writes_are_accepted_and_the_index_catches_up(own_meilisearch):
    from marketplace.app import create_app

    engine = SearchEngine(own_meilisearch.url, own_meilisearch.master_key, "providers", target_name="fault-stopped")
    engine.ensure_index()
    chosen = await make_provider(name="Vælges Mens Søgningen Er Nede", capacity="open")
    changing = await make_provider(name="Ændres Mens Søgningen Er Nede")
    revision = await submit_revision(changing["id"], description="Den nye tekst, godkendt mens søgningen var nede.")
    await index_all(engine)
    member = await make_user("provider", provider_id=chosen["id"])
    authority = await make_user("authority")
    citizen = await make_user("citizen")

    app = create_app(search_engine=engine, run_outbox_worker=False)
    async with running(app), AsyncExitStack() as clients:
        def new_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")

        anonymous, provider_side, authority_side, citizen_side = [
            await clients.enter_async_context(new_client()) for _ in range(4)]
        for http, user in ((provider_side, member), (authority_side, authority), (citizen_side, citizen)):
            assert (await login(http, user.email)).status_code == 303

        own_meilisearch.stop()
        events_before = await outbox.latest_event_id()

        # reading degrades, with a clear message
        page = await anonymous.get("/", params={"q": "aktør"})
        assert page.status_code == 503
        assert "Søgningen er midlertidigt utilgængelig" in html.unescape(page.text)
        api = await anonymous.get("/api/providers", params={"q": "aktør"})
        assert api.status_code == 503 and api.json()["detail"]
        health = (await anonymous.get("/health")).json()
        assert health["status"] == "degraded" and health["search"]["ok"] is False and health["database"]["ok"] is True

        # writing goes on
        form = form_values((await provider_side.get("/provider/capacity")).text)
        form.pop("_csrf_token", None)
        response = await post(provider_side, "/provider/capacity", as_pairs(form, capacity="waitlist", waiting_weeks="7"))
        assert response.status_code == 303, response.text[-500:]
        response = await post_form(authority_side, f"/authority/revisions/{revision['id']}/approve",
                                   approve_form(revision))
        assert response.status_code == 303, response.text[-500:]
        response = await post_form(citizen_side, f"/providers/{chosen['slug']}/choose",
                                   {"target_group": "dagpenge", "service": "jobsamtaler", "municipality": "751"})
        assert response.status_code == 303, response.text[-500:]

        # … into the database and the outbox
        public = await ListingRevision.select().where(ListingRevision.provider == chosen["id"],
                                                      ListingRevision.status == "approved").first()
        assert (public["capacity"], public["waiting_weeks"]) == ("waitlist", 7)
        approved = await ListingRevision.select().where(ListingRevision.id == revision["id"]).first()
        assert approved["status"] == "approved"
        assert await Enrolment.exists().where(Enrolment.citizen == citizen.id, Enrolment.provider == chosen["id"])
        waiting = await OutboxEvent.select(OutboxEvent.provider_id).where(OutboxEvent.id > events_before)
        assert {chosen["id"], changing["id"]} <= {e["provider_id"] for e in waiting}
        health = (await anonymous.get("/health")).json()
        assert health["status"] == "degraded" and health["outbox"]["backlog"] == len(waiting)

        # Meilisearch is back (same data, same port): the backlog is delivered and the index is true
        own_meilisearch.start()
        assert await index_all(engine) == len(waiting)
        same, diff = await index_matches_database(engine)
        assert same, diff
        assert engine.get_document(chosen["id"])["capacity"] == "waitlist"
        assert engine.get_document(changing["id"])["summary"].startswith("Den nye tekst")
        health = (await anonymous.get("/health")).json()
        assert health["status"] == "ok" and health["outbox"]["backlog"] == 0
        assert (await anonymous.get("/", params={"q": "aktør"})).status_code == 200
