"""Keeping the index true: read providers from the database, deliver outbox events, rebuild.

    drain_once(engine)     deliver up to `limit` pending events to one target
    run_worker(engine, …)  the background loop: drain, back off while Meilisearch is down
    rebuild(engine, …)     fill a fresh index from the database and swap it in atomically
    rebuild_reason(engine) why the index must be rebuilt before it can be kept up to date, if so
"""
from __future__ import annotations

import asyncio
import gc
import logging
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

import msgspec

from litestar.concurrency import sync_to_thread
from piccolo.columns import JSON
from piccolo.query.functions.aggregate import Avg, Count

from marketplace.outcomes.tables import ProviderResult
from marketplace.providers.freshness import is_stale
from marketplace.providers.tables import ListingRevision, Provider
from marketplace.reviews.tables import Review
from search import geo, outbox
from search.client import SearchEngine
from search.documents import DETAIL, ProviderSnapshot, index_document, is_public

log = logging.getLogger("marketplace.search")

BATCH = 500  # events per delivery
REBUILD_BATCH = 5_000  # documents per upload in a rebuild (Meilisearch merges them into large batches)
LOCK_WAIT_S = 60.0  # how long drain_all and rebuild wait for another deliverer to finish
WAKE_RECHECK_S = 0.01
REVISION_JSON = [c._meta.name for c in ListingRevision._meta.columns if isinstance(c, JSON)]


def _json(value: Any) -> Any:
    """A JSON column's value: decoded here (msgspec is several times faster than the json module
    Piccolo would use, and the rebuild decodes hundreds of thousands of them)."""
    return msgspec.json.decode(value) if isinstance(value, (str, bytes)) else value


def _among(column: Any, ids: list[int]) -> Any:
    """`column` is one of `ids` (sorted). A dense run of ids becomes a range (cheap to build and to
    run for thousands of ids; the caller drops rows outside `ids`), anything else an IN list."""
    if len(ids) > 50 and ids[-1] - ids[0] < 2 * len(ids):
        return (column >= ids[0]) & (column <= ids[-1])
    return column.is_in(ids)


async def load_snapshots(provider_ids: Iterable[int]) -> dict[int, ProviderSnapshot]:
    """Everything the documents of these providers are built from, keyed by provider id.
    Providers that no longer exist are absent from the result."""
    ids = sorted(set(provider_ids))
    if not ids:
        return {}
    wanted = set(ids)
    providers = [p for p in await Provider.select().where(_among(Provider.id, ids)) if p["id"] in wanted]
    by_provider = {}
    for r in await ListingRevision.select().where(
        _among(ListingRevision.provider, ids), ListingRevision.status == ListingRevision.Status.approved
    ):
        for column in REVISION_JSON:
            r[column] = _json(r[column])
        by_provider[r["provider"]] = r
    results: dict[int, dict] = {}
    for row in await (
        ProviderResult.select(ProviderResult.provider, ProviderResult.method_version, ProviderResult.results,
                              ProviderResult.results_by_target_group)
        .where(_among(ProviderResult.provider, ids)).order_by(ProviderResult.id, ascending=False)
    ):
        results.setdefault(row["provider"], row)  # the newest computation only
    # A rating counts when there is no text to moderate or its text is published; while the text
    # waits for moderation, or after it was rejected, the rating is held back (marketplace.reviews).
    reviews = {
        r["provider"]: r
        for r in await Review.select(Review.provider, Avg(Review.rating, alias="avg"), Count(alias="n"))
        .where(_among(Review.provider, ids),
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
            results=_json(res.get("results")) or {},
            results_by_target_group=_json(res.get("results_by_target_group")) or {},
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
            upserts.append(index_document(snap))
        else:
            deletes.append(pid)
    return upserts, deletes


async def drain_once(engine: SearchEngine, limit: int = BATCH, wait_seconds: float = 0.0) -> int:
    """Deliver up to `limit` pending events to `engine`; return how many were delivered (0 also
    when another deliverer held the target for `wait_seconds`: it delivers them).
    Raises when Meilisearch fails; the cursor then stays where it was."""
    async with outbox.delivery_lock(engine.target, wait_seconds) as held:
        if not held:
            return 0
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
    while n := await drain_once(engine, wait_seconds=LOCK_WAIT_S):
        total += n
    return total


async def run_worker(
    engine: SearchEngine, stop: asyncio.Event, poll_seconds: float = 0.2, delivered: asyncio.Event | None = None
) -> None:
    """Drain the outbox until `stop` is set; back off (up to 30 s) while Meilisearch fails.
    `delivered` (optional) is set whenever events were delivered.

    A write in this process wakes the worker at once (`outbox.wakeup_event`), but the event is set
    inside the writer's transaction, before its commit: when the woken worker finds nothing yet, it
    looks again after 10, 20, 40 … ms up to `poll_seconds`. Writes in other processes are seen by
    polling every `poll_seconds` (two indexed one-row reads)."""
    wake = outbox.wakeup_event()
    delay = poll_seconds
    recheck = 0.0  # > 0 after a wake-up that found nothing: the next short wait
    while not stop.is_set():
        woken = wake.is_set()
        try:
            wake.clear()
            if await drain_once(engine):
                delay, recheck = poll_seconds, 0.0
                if delivered is not None:
                    delivered.set()
                continue
            if woken:
                recheck = WAKE_RECHECK_S
            elif recheck:
                recheck = recheck * 2 if recheck * 2 < poll_seconds else 0.0
            delay = recheck or poll_seconds
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the worker must outlive any failure; the events stay pending
            recheck = 0.0
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


@contextmanager
def _collections_paused() -> Iterator[None]:
    """No cyclic garbage collection while a rebuild batch builds its (acyclic) rows and documents:
    with thousands of new dicts alive, the collector's passes cost about a third of the CPU."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def rebuild_reason(engine: SearchEngine) -> str | None:
    """Why the index cannot just be kept up to date from the outbox (None when it can): it is
    missing or unreadable, was never filled, is empty while the database has public providers,
    or holds documents of an older shape (without `detail` or `office_postcode`, search.documents)."""
    count = await sync_to_thread(engine.document_count)
    if count is None:
        return "no index"
    if await outbox.cursor_of(engine.target) == 0:
        return "never filled"
    if count == 0:
        return "empty" if await public_provider_ids() else None
    sample = await sync_to_thread(engine.any_document, [DETAIL, geo.FIELD])
    if sample is not None and not (DETAIL in sample and geo.FIELD in sample):
        return "older document shape"
    return None


async def rebuild(engine: SearchEngine, progress: Callable[[int, int], None] | None = None) -> int:
    """Build a fresh index from the database beside the live one and swap it in atomically.
    Searches are answered from the old index throughout. Returns the number of documents.

    Batches of REBUILD_BATCH documents are uploaded without waiting for their tasks (Meilisearch
    merges consecutive additions into one indexing batch), each upload in a thread while the next
    batch is read from the database; the swap waits until every task has succeeded. The swap and
    the cursor move happen under the target's delivery lock: the cursor goes back to the last event
    read before the database was, so events after it (perhaps delivered to the old index during
    the rebuild) replay on top of the new one. `progress(done, total)` counts providers read, then
    tasks finished."""
    high = await outbox.latest_event_id()  # everything up to here is in the database we read below
    fresh = f"{engine.index_uid}_rebuild"
    await sync_to_thread(engine.delete_index, fresh)
    await sync_to_thread(engine.ensure_index, fresh)
    await sync_to_thread(engine.ensure_index)  # the live index must exist to be swapped
    ids = await public_provider_ids()
    tasks: list[tuple[int, int]] = []  # (task uid, providers covered so far)
    upload: asyncio.Future | None = None  # the previous batch's upload → its task uid
    covered_by_upload = 0
    done = 0
    try:
        for start in range(0, len(ids), REBUILD_BATCH):
            chunk = ids[start : start + REBUILD_BATCH]
            with _collections_paused():
                upserts, _ = split(chunk, await load_snapshots(chunk))
                payload = msgspec.json.encode(upserts) if upserts else b""
            done += len(upserts)
            del upserts
            if upload is not None:
                tasks.append((await upload, covered_by_upload))
                upload = None
            if payload:
                upload = asyncio.ensure_future(sync_to_thread(engine.send_documents_json, payload, fresh))
                covered_by_upload = start + len(chunk)
            if progress:
                progress(start + len(chunk), 2 * len(ids))
        if upload is not None:
            tasks.append((await upload, covered_by_upload))
            upload = None
    finally:
        if upload is not None:  # a read failed while an upload was under way: let it finish
            await asyncio.wait([upload])
    for task_uid, covered in tasks:  # tasks run in order: this waits for each as it finishes
        await sync_to_thread(engine.wait, task_uid)
        if progress:
            progress(len(ids) + covered, 2 * len(ids))
    async with outbox.delivery_lock(engine.target, LOCK_WAIT_S) as held:
        if not held:
            raise TimeoutError(f"rebuild: another deliverer kept {engine.target} for {LOCK_WAIT_S:.0f} s; "
                               f"the new index {fresh} was not swapped in")
        await sync_to_thread(engine.swap, engine.index_uid, fresh)
        await outbox.set_cursor(engine.target, high)  # later events replay on top: idempotent
    await sync_to_thread(engine.delete_index, fresh)
    return done
