"""The popular-search cache (search.result_cache) through the real app, database and Meilisearch:
a repeated anonymous search is served from the cache, a change delivered to the index shows at
once (this process's worker) or within the cursor check (another process's delivery), and a
signed-in visitor never gets a shared page."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
from factories import index_all, make_provider, running

from marketplace.db import write_transaction
from marketplace.providers.tables import Provider
from search import outbox
from search.client import SearchEngine
from search.result_cache import STATE_KEY, SearchCache
from tests.accounts.support import login, make_user
from tests.pages.test_search_page import visible_text

SEARCH = "/?q=Mentorhuset"


@asynccontextmanager
async def portal(engine: SearchEngine, *, worker: bool) -> AsyncIterator[tuple[httpx.AsyncClient, SearchCache]]:
    """The app with its search cache on, with or without this process's outbox worker."""
    from marketplace.app import create_app

    app = create_app(search_engine=engine, run_outbox_worker=worker, search_cache=True)
    async with running(app):
        async with browser(app) as http:
            yield http, app.state[STATE_KEY]


def browser(app: object) -> httpx.AsyncClient:
    """A client of its own (own cookies) for the app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")


async def rename(provider_id: int, name: str) -> None:
    """Change a provider's name the way a use case does: with its outbox event."""
    async with write_transaction():
        await Provider.update({Provider.name: name}).where(Provider.id == provider_id)
        await outbox.enqueue(provider_id, "test-rename")


async def test_a_repeated_search_is_cached_and_a_delivered_change_shows_on_the_next_request(engine):
    provider = await make_provider(name="Mentorhuset")
    await index_all(engine)
    async with portal(engine, worker=True) as (client, cache):
        first = await client.get(SEARCH)
        second = await client.get(SEARCH)
        assert first.status_code == second.status_code == 200
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
        assert second.headers["content-encoding"] == "gzip"
        assert "content-security-policy" in second.headers  # the hooks still run on a cached answer
        assert second.text == first.text and "Mentorhuset" in visible_text(second.text)

        await rename(provider["id"], "Mentorhuset Nord")
        await asyncio.wait_for(cache.delivered.wait(), timeout=30)  # this process's worker delivered it
        assert await outbox.cursor_of(engine.target) == await outbox.latest_event_id()

        after = await client.get(SEARCH)
        assert after.headers["x-cache"] == "MISS"
        assert "Mentorhuset Nord" in visible_text(after.text)
        assert (await client.get(SEARCH)).headers["x-cache"] == "HIT"


async def test_another_process_delivering_invalidates_within_the_cursor_check(engine):
    async with portal(engine, worker=False) as (client, cache):
        now = [1000.0]
        cache.clock = lambda: now[0]  # the cache's own clock: the cursor check comes when the test says
        provider = await make_provider(name="Mentorhuset")
        await index_all(engine)
        assert "Mentorhuset" in visible_text((await client.get(SEARCH)).text)
        assert (await client.get(SEARCH)).headers["x-cache"] == "HIT"

        await rename(provider["id"], "Mentorhuset Syd")
        await index_all(engine)  # as another process's worker would: only the cursor tells
        still = await client.get(SEARCH)  # within check_seconds of the last read: the stored page
        assert still.headers["x-cache"] == "HIT" and "Mentorhuset Syd" not in visible_text(still.text)

        now[0] += cache.check_seconds  # the next request reads the cursor
        fresh = await client.get(SEARCH)
        assert fresh.headers["x-cache"] == "MISS" and "Mentorhuset Syd" in visible_text(fresh.text)
        assert cache.stores == 2


async def test_a_reload_is_searched_again_and_renews_the_stored_answer(engine):
    async with portal(engine, worker=False) as (client, cache):
        now = [1000.0]
        cache.clock = lambda: now[0]  # no cursor check during the test: only the reload can see the change
        provider = await make_provider(name="Mentorhuset")
        await index_all(engine)
        assert (await client.get(SEARCH)).headers["x-cache"] == "MISS"

        await rename(provider["id"], "Mentorhuset Vest")
        await index_all(engine)  # as another process's worker would: only the cursor tells
        stored = await client.get(SEARCH)
        assert stored.headers["x-cache"] == "HIT" and "Mentorhuset Vest" not in visible_text(stored.text)

        reload = await client.get(SEARCH, headers={"Cache-Control": "no-cache"})
        assert reload.headers["x-cache"] == "MISS" and reload.headers["content-encoding"] == "gzip"
        assert "Mentorhuset Vest" in visible_text(reload.text)
        renewed = await client.get(SEARCH)
        assert renewed.headers["x-cache"] == "HIT" and renewed.text == reload.text
        assert cache.stores == 2


async def test_a_signed_in_visitor_never_gets_a_shared_page_nor_leaves_one(engine):
    async with portal(engine, worker=False) as (anonymous, cache):
        await make_provider(name="Mentorhuset")
        await index_all(engine)
        stored = await anonymous.get(SEARCH)
        assert stored.headers["x-cache"] == "MISS"

        for name in ("Citizen Aase", "Citizen Bent"):  # each in a browser of their own
            user = await make_user("citizen", name=name)
            async with browser(anonymous._transport.app) as citizen:  # type: ignore[attr-defined]
                assert (await login(citizen, user.email)).status_code in (302, 303)
                page = await citizen.get(SEARCH)
                assert page.status_code == 200
                assert "x-cache" not in page.headers  # rendered for this visitor, never stored
                text = visible_text(page.text)
                assert f"Logget ind som {name}" in text and "Mentorhuset" in text
                assert "Log ind" not in text

        again = await anonymous.get(SEARCH)
        assert again.headers["x-cache"] == "HIT"
        assert "Logget ind som" not in visible_text(again.text) and "Log ind" in visible_text(again.text)
        assert len(cache) == 1


async def test_a_delivery_in_this_process_moves_the_generation_once():
    """The worker's signal and the cursor it committed are one change: the page stored right after
    the signal is still current when a later periodic read sees that cursor."""
    cursor = {"value": 5}

    async def read_cursor(target: str) -> int:
        return cursor["value"]

    cache = SearchCache("test", check_seconds=3600, read_cursor=read_cursor)
    assert await cache.generation() == (5, 0)

    cursor["value"] = 6  # the worker delivered, committed its cursor, then signalled
    cache.delivered.set()
    ticket = await cache.generation()
    cache.put(("da", b"q=x"), ticket, b"<p>svar</p>")

    cache.check_seconds = 0  # the next request reads the cursor again
    assert await cache.generation() == ticket == (6, 1)
    assert cache.get(("da", b"q=x"), await cache.generation()) is not None


API_SEARCH = "/api/providers?q=Mentorhuset"


async def test_a_repeated_api_search_is_shared_until_a_delivered_change(engine):
    provider = await make_provider(name="Mentorhuset")
    await index_all(engine)
    async with portal(engine, worker=True) as (client, cache):
        first = await client.get(API_SEARCH)
        second = await client.get(API_SEARCH)
        assert first.status_code == second.status_code == 200
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
        assert second.headers["content-type"].startswith("application/json")
        assert second.headers["content-encoding"] == "gzip" and "Accept-Encoding" in second.headers["vary"]
        assert second.json() == first.json() and [h["name"] for h in second.json()["hits"]] == ["Mentorhuset"]

        user = await make_user("citizen", name="Citizen Aase")  # the JSON is everybody's: shared with a signed-in caller
        async with browser(client._transport.app) as citizen:  # type: ignore[attr-defined]
            assert (await login(citizen, user.email)).status_code in (302, 303)
            theirs = await citizen.get(API_SEARCH, headers={"Accept-Encoding": "identity"})
            assert theirs.headers["x-cache"] == "HIT" and "content-encoding" not in theirs.headers
            assert theirs.json() == first.json()

        await rename(provider["id"], "Mentorhuset Nord")
        await asyncio.wait_for(cache.delivered.wait(), timeout=30)
        after = await client.get(API_SEARCH)
        assert after.headers["x-cache"] == "MISS" and [h["name"] for h in after.json()["hits"]] == ["Mentorhuset Nord"]


async def test_an_api_reload_is_searched_again_and_a_bad_search_is_never_stored(engine):
    async with portal(engine, worker=False) as (client, cache):
        now = [1000.0]
        cache.clock = lambda: now[0]  # no cursor check during the test: only the reload can see the change
        provider = await make_provider(name="Mentorhuset")
        await index_all(engine)
        assert (await client.get(API_SEARCH)).headers["x-cache"] == "MISS"

        await rename(provider["id"], "Mentorhuset Vest")
        await index_all(engine)  # as another process's worker would: only the cursor tells
        assert [h["name"] for h in (await client.get(API_SEARCH)).json()["hits"]] == ["Mentorhuset"]
        reload = await client.get(API_SEARCH, headers={"Cache-Control": "no-cache"})
        assert reload.headers["x-cache"] == "MISS" and [h["name"] for h in reload.json()["hits"]] == ["Mentorhuset Vest"]
        assert (await client.get(API_SEARCH)).json() == reload.json()

        stored = len(cache)
        for _ in range(2):
            bad = await client.get("/api/providers?sort=bogus")
            assert bad.status_code == 400 and bad.json()["field"] == "sort" and "x-cache" not in bad.headers
        assert len(cache) == stored
