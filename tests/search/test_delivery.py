"""Delivery with several deliverers (one outbox worker per portal process) and beside a rebuild:
one deliverer per target at a time, a worker finds a change however it learns of it, and a rebuild
never swallows a change that was delivered to the old index while it ran."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

from factories import database_documents, index_all, indexed_documents, make_provider

from marketplace.db import write_transaction
from marketplace.providers.tables import Provider
from search import outbox, sync
from search.client import SearchEngine
from search.tables import OutboxEvent


async def rename(provider_id: int, name: str) -> None:
    """Rename a provider the way a use case does: with its outbox event, in one transaction."""
    async with write_transaction():
        await Provider.update({Provider.name: name}).where(Provider.id == provider_id)
        await outbox.enqueue(provider_id, "test-rename")


@asynccontextmanager
async def running_worker(engine: SearchEngine, poll_seconds: float) -> AsyncIterator[asyncio.Event]:
    """A background outbox worker for the block; yields its `delivered` signal."""
    stop, delivered = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(sync.run_worker(engine, stop, poll_seconds=poll_seconds, delivered=delivered))
    try:
        yield delivered
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=10)


async def test_a_delivery_leaves_the_events_to_the_deliverer_holding_the_target(engine):
    provider = await make_provider(name="Venter")
    go = asyncio.Event()

    async def other_deliverer() -> int:  # its own task: not inside the lock holder's transaction
        await go.wait()
        return await sync.drain_once(engine)

    attempt = asyncio.create_task(other_deliverer())
    async with outbox.delivery_lock(engine.target) as got:
        assert got
        go.set()
        assert await asyncio.wait_for(attempt, timeout=30) == 0

    assert await outbox.backlog(engine.target) == 1
    assert engine.get_document(provider["id"]) is None
    assert await sync.drain_once(engine) == 1
    assert engine.get_document(provider["id"])["name"] == "Venter"


async def test_drain_all_waits_for_the_other_deliverer_and_then_delivers_the_rest(engine):
    provider = await make_provider(name="Til sidst")
    holds, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with outbox.delivery_lock(engine.target) as got:
            assert got
            holds.set()
            await release.wait()

    holding = asyncio.create_task(holder())
    await asyncio.wait_for(holds.wait(), timeout=30)
    draining = asyncio.create_task(sync.drain_all(engine))
    done, _ = await asyncio.wait([draining], timeout=0.3)  # it must still be waiting for the lock
    assert not done
    release.set()

    assert await asyncio.wait_for(draining, timeout=30) == 1
    await holding
    assert engine.get_document(provider["id"])["name"] == "Til sidst"


async def test_two_workers_on_one_target_leave_the_index_equal_to_the_database(engine, meili):
    twin = SearchEngine(meili.url, meili.key or None, engine.index_uid, target_name=engine.target_name)
    assert twin.target == engine.target
    providers = [await make_provider(name=f"Aktør {i}") for i in range(4)]
    stop = asyncio.Event()
    workers = [asyncio.create_task(sync.run_worker(e, stop, poll_seconds=0.02)) for e in (engine, twin)]
    try:
        for round_ in range(6):
            for p in providers:
                await rename(p["id"], f"Aktør {p['id']} runde {round_}")
        newcomer = await make_provider(name="Nykommer")
        for _ in range(600):  # ≤ 30 s: both workers poll every 20 ms
            if await outbox.backlog(engine.target) == 0:
                break
            await asyncio.wait([asyncio.ensure_future(stop.wait())], timeout=0.05)
        assert await outbox.backlog(engine.target) == 0
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), timeout=30)

    documents = indexed_documents(engine)
    assert documents == await database_documents()
    assert {documents[p["id"]]["name"] for p in providers} == {f"Aktør {p['id']} runde 5" for p in providers}
    assert documents[newcomer["id"]]["name"] == "Nykommer"


async def test_a_worker_finds_an_event_written_by_another_process(engine):
    provider = await make_provider(name="Før")
    await index_all(engine)
    async with running_worker(engine, poll_seconds=0.05) as delivered:
        # Another process's write: its wake-up signal is not ours, only the row tells.
        async with write_transaction():
            await Provider.update({Provider.name: "Efter"}).where(Provider.id == provider["id"])
            await OutboxEvent.insert(OutboxEvent(provider_id=provider["id"], reason="other-process"))
        assert not outbox.wakeup_event().is_set()

        await asyncio.wait_for(delivered.wait(), timeout=30)
    assert engine.get_document(provider["id"])["name"] == "Efter"


async def test_a_worker_woken_before_the_commit_looks_again_without_waiting_for_its_poll(engine, monkeypatch):
    provider = await make_provider(name="Før")
    await index_all(engine)
    armed, looked_in_vain = False, asyncio.Event()
    real_drain = sync.drain_once

    async def observed_drain(*args, **kwargs) -> int:  # the worker's look, reported when it was empty
        started_armed = armed
        n = await real_drain(*args, **kwargs)
        if started_armed and n == 0:
            looked_in_vain.set()
        return n

    monkeypatch.setattr(sync, "drain_once", observed_drain)
    # A poll far longer than the test's deadline: only the re-check after the wake-up can deliver.
    async with running_worker(engine, poll_seconds=300) as delivered:
        async with write_transaction():
            await Provider.update({Provider.name: "Efter"}).where(Provider.id == provider["id"])
            armed = True
            await outbox.enqueue(provider["id"], "test-rename")  # wakes the worker before the commit
            # the woken worker looks before the commit and finds nothing committed yet
            await asyncio.wait_for(looked_in_vain.wait(), timeout=30)

        await asyncio.wait_for(delivered.wait(), timeout=30)
    assert engine.get_document(provider["id"])["name"] == "Efter"


async def test_a_change_delivered_to_the_old_index_during_a_rebuild_replays_on_the_new_one(engine):
    provider = await make_provider(name="Før")
    await index_all(engine)
    loop = asyncio.get_running_loop()
    state = {"reads_done": False, "changed": False}

    def progress(done: int, total: int) -> None:
        state["reads_done"] = state["reads_done"] or done * 2 >= total

    def change_and_deliver() -> None:
        """Between the rebuild's database reads and its swap: a change, delivered at once."""
        async def go() -> None:
            await rename(provider["id"], "Under genopbygningen")
            assert await sync.drain_once(engine) == 1  # into the old index, cursor past `high`

        asyncio.run_coroutine_threadsafe(go(), loop).result(timeout=30)

    real_wait = engine.wait

    def wait(task_uid: int, *args, **kwargs) -> None:  # runs in a thread (sync_to_thread)
        if state["reads_done"] and not state["changed"]:
            state["changed"] = True
            change_and_deliver()
        real_wait(task_uid, *args, **kwargs)

    engine.wait = wait  # type: ignore[method-assign]
    try:
        await sync.rebuild(engine, progress=progress)
    finally:
        del engine.wait
    assert state["changed"]

    # The new index was read before the change; the change waits to be replayed on top of it.
    assert await outbox.backlog(engine.target) == 1
    assert engine.get_document(provider["id"])["name"] == "Før"
    assert await sync.drain_all(engine) == 1
    assert engine.get_document(provider["id"])["name"] == "Under genopbygningen"
    assert indexed_documents(engine) == await database_documents()


async def test_a_rebuild_in_many_uploads_holds_every_public_document(engine, monkeypatch):
    monkeypatch.setattr(sync, "REBUILD_BATCH", 2)  # five providers: three uploads, read while sending
    for i in range(5):
        await make_provider(name=f"Aktør {i}", reviews=[i % 5 + 1])
    await make_provider(name="Suspenderet", status="suspended")

    assert await sync.rebuild(engine) == 5

    assert indexed_documents(engine) == await database_documents()
    assert len(indexed_documents(engine)) == 5


async def test_load_snapshots_of_a_dense_run_of_ids_returns_exactly_those_asked_for():
    providers = [await make_provider() for _ in range(60)]
    ids = [p["id"] for p in providers]
    asked = ids[:10] + ids[12:]  # dense enough to be read as a range; two left out in the middle

    snaps = await sync.load_snapshots(asked)

    assert sorted(snaps) == sorted(asked)
    assert all(snaps[i].revision is not None and snaps[i].revision["provider"] == i for i in asked)
    assert (await sync.load_snapshots([ids[20]]))[ids[20]] == snaps[ids[20]]  # read by IN: the same
