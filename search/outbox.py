"""The outbox: write an event in the caller's transaction; deliver events to each search target.

Events name a provider whose public document may have changed. Delivery re-reads the provider from
the database and upserts or deletes its document, so delivering an event twice, or out of order, is
harmless. Each target (Meilisearch URL + index) has its own cursor, advanced only after Meilisearch
reports the tasks `succeeded`: when Meilisearch is down nothing is lost, and it converges when back.

On PostgreSQL, `enqueue` takes a transaction-scoped advisory lock so outbox ids commit in id order
(a cursor must never skip an id that commits later). SQLite serialises writers already.

Delivery to a target runs under its delivery lock (`delivery_lock`): one deliverer at a time across
all portal processes, and a rebuild's swap and cursor reset (`set_cursor`) never interleave with a
delivery.
"""
from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
import zlib
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable, Iterable

from piccolo.query.functions.aggregate import Count, Max

from marketplace.db import is_sqlite, read_rows
from marketplace.piccolo_conf import DB
from search.tables import OutboxCursor, OutboxEvent

OUTBOX_LOCK_KEY = 7_061_022  # arbitrary, fixed advisory-lock key

_wakeup: asyncio.Event | None = None


def wakeup_event() -> asyncio.Event:
    """The in-process signal that new events were written (the worker also polls)."""
    global _wakeup
    if _wakeup is None:
        _wakeup = asyncio.Event()
    return _wakeup


async def enqueue(provider_ids: int | Iterable[int], reason: str) -> None:
    """Record that these providers' documents may have changed. Call inside the write transaction."""
    ids = [provider_ids] if isinstance(provider_ids, int) else sorted(set(provider_ids))
    if not ids:
        return
    if not is_sqlite():
        await DB.run_ddl(f"SELECT pg_advisory_xact_lock({OUTBOX_LOCK_KEY})")
    event_ids: list[int] = []
    for start in range(0, len(ids), 500):
        rows = await OutboxEvent.insert(
            *[OutboxEvent(provider_id=i, reason=reason[:60]) for i in ids[start : start + 500]]
        ).returning(OutboxEvent.id)
        event_ids += [int(r["id"]) for r in rows or [] if "id" in r]
    wakeup_event().set()
    _announce(ids, max(event_ids, default=None))


async def cursor_of(target: str) -> int:
    """The last event id delivered to a target (0 when new). A hot read (marketplace.db.read_rows):
    every process's outbox worker and search cache look several times a second."""
    rows = await read_rows(
        OutboxCursor.select(OutboxCursor.last_event_id).where(OutboxCursor.target == target).limit(1))
    return int(rows[0]["last_event_id"]) if rows else 0


async def advance_cursor(target: str, event_id: int) -> None:
    """Move a target's cursor forward to `event_id` (never backwards)."""
    current = await OutboxCursor.select(OutboxCursor.id, OutboxCursor.last_event_id).where(
        OutboxCursor.target == target
    ).first()
    if current is None:
        await OutboxCursor.insert(OutboxCursor(target=target, last_event_id=event_id))
    elif event_id > current["last_event_id"]:
        await OutboxCursor.update({OutboxCursor.last_event_id: event_id}).where(OutboxCursor.id == current["id"])


async def pending(target: str, limit: int) -> list[dict]:
    """Undelivered events for a target, oldest first (hot reads, as `cursor_of`: the worker's poll)."""
    after = await cursor_of(target)
    return await read_rows(
        OutboxEvent.select(OutboxEvent.id, OutboxEvent.provider_id)
        .where(OutboxEvent.id > after)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )


async def backlog(target: str) -> int:
    """How many events wait for delivery to a target."""
    after = await cursor_of(target)
    row = await OutboxEvent.select(Count()).where(OutboxEvent.id > after).first()
    return int(row["count"]) if row else 0


async def latest_event_id() -> int:
    """The highest event id written so far (0 when none)."""
    row = await OutboxEvent.select(Max(OutboxEvent.id, alias="high")).first()
    return int(row["high"] or 0) if row else 0



async def set_cursor(target: str, event_id: int) -> None:
    """Put a target's cursor at `event_id`, backwards too (a rebuild: later events replay on top)."""
    updated = await OutboxCursor.update({OutboxCursor.last_event_id: event_id}).where(
        OutboxCursor.target == target
    ).returning(OutboxCursor.id)
    if not updated:
        await OutboxCursor.insert(OutboxCursor(target=target, last_event_id=event_id))


# -- one deliverer per target --------------------------------------------------------------------
# Every portal process runs a worker. Two workers delivering the same target at once could let an
# older document overtake a newer one (each reads the database, then queues its own Meilisearch
# task: the later task may carry the earlier read), and a worker must not advance the cursor across
# a rebuild's swap. So a delivery holds the target's lock: on PostgreSQL a transaction-scoped
# advisory lock (held by the delivery's own transaction); on SQLite, whose processes share one
# machine, an exclusive flock on a file beside the database.
DELIVERY_LOCK_RETRY_S = 0.02


def _target_key(target: str) -> int:
    """A stable signed 32-bit key for the target (the second key of a two-key advisory lock)."""
    key = zlib.crc32(target.encode())
    return key - 2**32 if key >= 2**31 else key


def _lock_file(target: str) -> Path:
    return Path(f"{DB.path}.outbox-{zlib.crc32(target.encode()):08x}.lock")


@asynccontextmanager
async def delivery_lock(target: str, wait_seconds: float = 0.0) -> AsyncIterator[bool]:
    """Hold the target's delivery lock for the block; yields False when another deliverer kept it
    for `wait_seconds` (0: try once). On PostgreSQL the block runs in one transaction."""
    deadline = time.monotonic() + wait_seconds
    if is_sqlite():
        fd = os.open(_lock_file(target), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                await asyncio.sleep(DELIVERY_LOCK_RETRY_S)  # the holder is another process or task
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        return
    while True:
        async with DB.transaction():
            rows = await OutboxCursor.raw(
                "SELECT pg_try_advisory_xact_lock({}, {}) AS held", OUTBOX_LOCK_KEY, _target_key(target)
            )
            if rows and rows[0]["held"]:
                yield True
                return
        if time.monotonic() >= deadline:
            yield False
            return
        await asyncio.sleep(DELIVERY_LOCK_RETRY_S)


# -- in-process listeners ------------------------------------------------------------------------
# `enqueue` tells them which providers changed and the highest event id it wrote (None when the
# database did not return ids), right after writing: inside the caller's transaction, BEFORE its
# commit. The provider page cache (marketplace.providers.page_cache) listens, so this process never
# serves a provider's old page after its change, without waiting for its poll of the outbox.
EnqueueListener = Callable[[list[int], int | None], None]
_listeners: list[EnqueueListener] = []


def on_enqueue(listener: EnqueueListener) -> None:
    """Call `listener(provider_ids, highest_event_id)` after every `enqueue` in this process."""
    if listener not in _listeners:
        _listeners.append(listener)


def _announce(provider_ids: list[int], high: int | None) -> None:
    for listener in list(_listeners):
        try:
            listener(provider_ids, high)
        except Exception:  # a listener must never break the write it is told about
            logging.getLogger("search.outbox").exception("outbox listener failed")
