"""A full rebuild: a fresh index from the database, swapped in without downtime."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from factories import database_documents, index_all, indexed_documents, make_provider

from marketplace.providers.tables import Provider
from search import outbox, queries, sync
from search.queries import SearchResult, parse_search_params


async def test_rebuild_fills_the_index_with_the_public_documents_from_the_database(engine):
    await make_provider(name="Aktiv 1", reviews=[4], results={"courses": 30, "success_rate": 0.5})
    await make_provider(name="Aktiv 2")
    await make_provider(name="Suspenderet", status="suspended")
    await make_provider(name="Kladde", approved=False)

    count = await sync.rebuild(engine)

    assert count == 2
    assert indexed_documents(engine) == await database_documents()
    assert sorted(doc["name"] for doc in indexed_documents(engine).values()) == ["Aktiv 1", "Aktiv 2"]


async def test_the_live_index_answers_during_a_rebuild_and_stale_documents_are_gone_after_the_swap(engine):
    await make_provider(name="Bliver")
    removed = await make_provider(name="Forsvundet")
    await index_all(engine)
    # A row deleted behind the outbox's back: the index still holds it until a rebuild.
    await Provider.delete().where(Provider.id == removed["id"])
    await make_provider(name="Ny")
    everything = parse_search_params({"sort": "name"})
    seen_during_rebuild: list[list[str]] = []

    async def search_once() -> SearchResult:
        try:
            return await queries.search(engine, everything)
        finally:
            await engine.aclose()  # this loop's connections

    def search_live_index(done: int, total: int) -> None:  # progress is called on the rebuild's loop: search from another
        with ThreadPoolExecutor(1) as thread:
            result = thread.submit(asyncio.run, search_once()).result()
        seen_during_rebuild.append([hit["name"] for hit in result.hits])

    await sync.rebuild(engine, progress=search_live_index)

    assert seen_during_rebuild, "progress was never reported"
    assert all(names == ["Bliver", "Forsvundet"] for names in seen_during_rebuild), seen_during_rebuild
    after = await queries.search(engine, everything)
    assert [hit["name"] for hit in after.hits] == ["Bliver", "Ny"]


async def test_rebuild_keeps_the_index_settings(engine):
    await make_provider(name="Mentorhuset")

    await sync.rebuild(engine)

    result = await queries.search(engine, parse_search_params({"q": "mentorhusst", "sort": "name"}))
    assert [hit["name"] for hit in result.hits] == ["Mentorhuset"]
    assert result.facets["type"] == {"privat": 1}


async def test_rebuild_moves_the_cursor_to_the_latest_event(engine):
    await make_provider()
    await make_provider()

    await sync.rebuild(engine)

    assert await outbox.cursor_of(engine.target) == await outbox.latest_event_id()
    assert await outbox.backlog(engine.target) == 0


async def test_rebuild_leaves_no_temporary_index_behind(engine):
    await make_provider()

    await sync.rebuild(engine)

    uids = {index.uid for index in engine.client.get_indexes({"limit": 1000})["results"]}
    assert engine.index_uid in uids
    assert f"{engine.index_uid}_rebuild" not in uids


async def test_the_index_is_rebuilt_when_it_is_missing_unfilled_empty_or_of_an_older_shape(engine):
    from search.documents import DETAIL, unpack

    assert await sync.rebuild_reason(engine) == "never filled"  # the fixture made an empty index
    provider = await make_provider(name="Formskifte")
    await sync.rebuild(engine)
    assert await sync.rebuild_reason(engine) is None

    # A document as an earlier release indexed it: the public shape, nothing packed in `detail`.
    old_shape = unpack(dict(indexed_documents(engine)[provider["id"]]))
    assert DETAIL not in old_shape and "results_by_target_group" in old_shape
    engine.wait(engine.index.delete_all_documents().task_uid)
    assert await sync.rebuild_reason(engine) == "empty"
    engine.apply([old_shape], [])
    assert await sync.rebuild_reason(engine) == "older document shape"
    # … and as the release before this one did: packed, but located by Meilisearch's `_geo` and
    # without `office_postcode` (search.geo).
    await sync.rebuild(engine)
    geo_shape = {k: v for k, v in indexed_documents(engine)[provider["id"]].items() if k != "office_postcode"}
    assert DETAIL in geo_shape
    engine.apply([geo_shape], [])
    assert "office_postcode" not in indexed_documents(engine)[provider["id"]]
    assert await sync.rebuild_reason(engine) == "older document shape"

    await sync.rebuild(engine)
    assert await sync.rebuild_reason(engine) is None
    assert indexed_documents(engine) == await database_documents()
    engine.delete_index(engine.index_uid)
    assert await sync.rebuild_reason(engine) == "no index"
