"""The outbox keeps the index true: events written with the change, delivered idempotently, nothing
lost while Meilisearch is down."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from factories import database_documents, index_all, indexed_documents, make_provider, set_status
from meilisearch.errors import MeilisearchCommunicationError

from marketplace.db import write_transaction
from marketplace.errors import SearchUnavailable
from marketplace.providers.tables import Provider
from search import outbox, sync
from search.client import SearchEngine
from search.server import MeiliServer
from search.tables import OutboxCursor, OutboxEvent


async def test_creating_a_provider_writes_an_outbox_event_for_it():
    provider = await make_provider()

    events = await OutboxEvent.select(OutboxEvent.provider_id)

    assert events == [{"provider_id": provider["id"]}]


async def test_a_rolled_back_change_leaves_no_outbox_event():
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with write_transaction():
            provider = Provider(cvr="23456789", name="Fortrudt", slug="fortrudt", type="privat", status="active")
            await provider.save()
            await outbox.enqueue(provider.id, "test")
            raise Abort

    assert await OutboxEvent.count() == 0
    assert await Provider.count() == 0


async def test_drain_once_delivers_the_document_and_advances_the_cursor(engine):
    provider = await make_provider(name="Leveret")

    delivered = await sync.drain_once(engine)

    assert delivered == 1
    assert engine.get_document(provider["id"])["name"] == "Leveret"
    assert await outbox.cursor_of(engine.target) == await outbox.latest_event_id()
    assert await outbox.backlog(engine.target) == 0


async def test_a_drained_outbox_has_nothing_more_to_deliver(engine):
    await make_provider()
    await index_all(engine)

    assert await sync.drain_once(engine) == 0


async def test_a_suspended_provider_is_deleted_from_the_index_on_the_next_drain(engine):
    provider = await make_provider()
    await index_all(engine)
    assert engine.get_document(provider["id"]) is not None

    await set_status(provider["id"], "suspended")
    await sync.drain_once(engine)

    assert engine.get_document(provider["id"]) is None


async def test_a_provider_without_an_approved_listing_never_reaches_the_index(engine):
    draft = await make_provider(approved=False)

    await index_all(engine)

    assert engine.get_document(draft["id"]) is None
    assert engine.document_count() == 0


async def test_delivering_the_same_events_twice_leaves_one_document(engine):
    provider = await make_provider()
    async with write_transaction():
        await outbox.enqueue(provider["id"], "test-again")
    await index_all(engine)
    await OutboxCursor.update({OutboxCursor.last_event_id: 0}).where(OutboxCursor.target == engine.target)

    assert await sync.drain_once(engine) == 2

    assert engine.document_count() == 1
    assert indexed_documents(engine) == await database_documents()


async def test_events_wait_while_meilisearch_is_down_and_are_delivered_when_it_is_back(tmp_path: Path):
    server = MeiliServer(data_dir=tmp_path / "meili")
    server.start()
    try:
        engine = SearchEngine(server.url, server.master_key, "providers", target_name="restart-test")
        engine.ensure_index()
        kept = await make_provider(name="Bliver")
        leaving = await make_provider(name="Suspenderes")
        await index_all(engine)
        cursor = await outbox.cursor_of(engine.target)

        server.stop()
        newcomer = await make_provider(name="Ny aktør")
        await set_status(leaving["id"], "suspended")
        with pytest.raises((MeilisearchCommunicationError, SearchUnavailable)):
            await sync.drain_once(engine)
        assert await outbox.cursor_of(engine.target) == cursor
        assert await outbox.backlog(engine.target) == 2

        server = MeiliServer(data_dir=server.data_dir, port=server.port, master_key=server.master_key)
        server.start()
        assert await sync.drain_all(engine) == 2

        assert await outbox.backlog(engine.target) == 0
        assert sorted(indexed_documents(engine)) == sorted([kept["id"], newcomer["id"]])
        assert indexed_documents(engine) == await database_documents()
    finally:
        server.stop()


async def test_the_background_worker_delivers_new_events_on_its_own(engine):
    stop, delivered = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(sync.run_worker(engine, stop, poll_seconds=0.05, delivered=delivered))
    try:
        provider = await make_provider(name="Af sig selv")

        await asyncio.wait_for(delivered.wait(), timeout=30)  # the write woke the worker
        assert await outbox.backlog(engine.target) == 0
        assert engine.get_document(provider["id"])["name"] == "Af sig selv"
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=10)


async def test_the_background_worker_stops_when_asked(engine):
    stop = asyncio.Event()
    worker = asyncio.create_task(sync.run_worker(engine, stop, poll_seconds=30))

    stop.set()

    await asyncio.wait_for(worker, timeout=5)
    assert worker.done() and worker.exception() is None
