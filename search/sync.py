"""Keeping the index true: read providers from the database, deliver outbox events, rebuild.

    drain_once(engine)     deliver up to `limit` pending events to one target
    run_worker(engine, …)  the background loop: drain, back off while Meilisearch is down
    rebuild(engine, …)     fill a fresh index from the database and swap it in atomically
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Iterable

from litestar.concurrency import sync_to_thread
from piccolo.query.functions.aggregate import Avg, Count

from marketplace.outcomes.tables import ProviderResult
from marketplace.providers.freshness import is_stale
from marketplace.providers.tables import ListingRevision, Provider
from marketplace.reviews.tables import Review
from search import outbox
from search.client import SearchEngine
from search.documents import ProviderSnapshot, is_public, provider_document

log = logging.getLogger("marketplace.search")

BATCH = 500


async def load_snapshots(provider_ids: Iterable[int]) -> dict[int, ProviderSnapshot]:
    """Everything the documents of these providers are built from, keyed by provider id.
    Providers that no longer exist are absent from the result."""
    ids = sorted(set(provider_ids))
    if not ids:
        return {}
    providers = await Provider.select().where(Provider.id.is_in(ids))
    revisions = await (
        ListingRevision.select()
        .where(ListingRevision.provider.is_in(ids), ListingRevision.status == ListingRevision.Status.approved)
        .output(load_json=True)
    )
    by_provider = {r["provider"]: r for r in revisions}
    results: dict[int, dict] = {}
    for row in await (
        ProviderResult.select().where(ProviderResult.provider.is_in(ids)).order_by(ProviderResult.id, ascending=False)
        .output(load_json=True)
    ):
        results.setdefault(row["provider"], row)
    # A rating counts when there is no text to moderate or its text is published; while the text
    # waits for moderation, or after it was rejected, the rating is held back (marketplace.reviews).
    reviews = {
        r["provider"]: r
        for r in await Review.select(Review.provider, Avg(Review.rating, alias="avg"), Count(alias="n"))
        .where(Review.provider.is_in(ids),
               Review.text_status.is_in([Review.TextStatus.none.value, Review.TextStatus.published.value]))
        .group_by(Review.provider)
    }
    snaps = {}
    for p in providers:
        res = results.get(p["id"], {})
        rev = reviews.get(p["id"])
        snaps[p["id"]] = ProviderSnapshot(
            provider=p,
            revision=by_provider.get(p["id"]),
            results=res.get("results") or {},
            results_by_target_group=res.get("results_by_target_group") or {},
            review_avg=float(rev["avg"]) if rev and rev["avg"] is not None else None,
            review_count=int(rev["n"]) if rev else 0,
            stale=is_stale(p["last_confirmed_at"]),
            method_version=res.get("method_version"),
        )
    return snaps


def split(ids: Iterable[int], snaps: dict[int, ProviderSnapshot]) -> tuple[list[dict], list[int]]:
    """Documents to upsert (public providers) and ids to delete (everything else)."""
    upserts, deletes = [], []
    for pid in sorted(set(ids)):
        snap = snaps.get(pid)
        if snap is not None and is_public(snap):
            upserts.append(provider_document(snap))
        else:
            deletes.append(pid)
    return upserts, deletes


async def drain_once(engine: SearchEngine, limit: int = BATCH) -> int:
    """Deliver up to `limit` pending events to `engine`; return how many were delivered.
    Raises when Meilisearch fails; the cursor then stays where it was."""
    events = await outbox.pending(engine.target, limit)
    if not events:
        return 0
    ids = {e["provider_id"] for e in events}
    upserts, deletes = split(ids, await load_snapshots(ids))
    await sync_to_thread(engine.apply, upserts, deletes)
    await outbox.advance_cursor(engine.target, events[-1]["id"])
    return len(events)


async def drain_all(engine: SearchEngine) -> int:
    """Deliver every pending event (used by tests, the CLI and start-up)."""
    total = 0
    while n := await drain_once(engine):
        total += n
    return total


async def run_worker(
    engine: SearchEngine, stop: asyncio.Event, poll_seconds: float = 0.5, delivered: asyncio.Event | None = None
) -> None:
    """Drain the outbox until `stop` is set; back off (up to 30 s) while Meilisearch fails.
    `delivered` (optional) is set whenever events were delivered."""
    wake = outbox.wakeup_event()
    delay = poll_seconds
    while not stop.is_set():
        try:
            wake.clear()
            if await drain_once(engine):
                delay = poll_seconds
                if delivered is not None:
                    delivered.set()
                continue
            delay = poll_seconds
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the worker must outlive any failure; the events stay pending
            delay = min(max(delay * 2, 1.0), 30.0)
            log.warning("outbox delivery to %s failed (%s); retrying in %.0f s", engine.target, exc, delay)
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()


async def public_provider_ids() -> list[int]:
    """Ids of providers that may be public (active), ascending."""
    rows = await Provider.select(Provider.id).where(Provider.status == Provider.Status.active).order_by(Provider.id)
    return [r["id"] for r in rows]


async def rebuild(engine: SearchEngine, progress: Callable[[int, int], None] | None = None) -> int:
    """Build a fresh index from the database beside the live one and swap it in atomically.
    Searches are answered from the old index throughout. Returns the number of documents.

    Batches are queued without waiting (Meilisearch merges consecutive additions into one indexing
    batch); the swap waits until every task has succeeded. `progress(done, total)` counts
    providers read, then tasks finished."""
    high = await outbox.latest_event_id()  # everything up to here is in the database we read below
    fresh = f"{engine.index_uid}_rebuild"
    await sync_to_thread(engine.delete_index, fresh)
    await sync_to_thread(engine.ensure_index, fresh)
    await sync_to_thread(engine.ensure_index)  # the live index must exist to be swapped
    ids = await public_provider_ids()
    tasks: list[tuple[int, int]] = []  # (task uid, providers covered so far)
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        upserts, _ = split(chunk, await load_snapshots(chunk))
        if upserts:
            tasks.append((await sync_to_thread(engine.send_documents, upserts, fresh), start + len(chunk)))
        done += len(upserts)
        if progress:
            progress(start + len(chunk), 2 * len(ids))
    for task_uid, covered in tasks:  # tasks run in order: this waits for each as it finishes
        await sync_to_thread(engine.wait, task_uid)
        if progress:
            progress(len(ids) + covered, 2 * len(ids))
    await sync_to_thread(engine.swap, engine.index_uid, fresh)
    await sync_to_thread(engine.delete_index, fresh)
    await outbox.advance_cursor(engine.target, high)  # later events replay on top: idempotent
    return done
