"""The outbox: write an event in the caller's transaction; deliver events to each search target.

Events name a provider whose public document may have changed. Delivery re-reads the provider from
the database and upserts or deletes its document, so delivering an event twice, or out of order, is
harmless. Each target (Meilisearch URL + index) has its own cursor, advanced only after Meilisearch
reports the tasks `succeeded`: when Meilisearch is down nothing is lost, and it converges when back.

On PostgreSQL, `enqueue` takes a transaction-scoped advisory lock so outbox ids commit in id order
(a cursor must never skip an id that commits later). SQLite serialises writers already.
"""
from __future__ import annotations

import asyncio
from typing import Iterable

from piccolo.query.functions.aggregate import Count, Max

from marketplace.db import is_sqlite
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
    for start in range(0, len(ids), 500):
        await OutboxEvent.insert(*[OutboxEvent(provider_id=i, reason=reason[:60]) for i in ids[start : start + 500]])
    wakeup_event().set()


async def cursor_of(target: str) -> int:
    """The last event id delivered to a target (0 when new)."""
    row = await OutboxCursor.select(OutboxCursor.last_event_id).where(OutboxCursor.target == target).first()
    return int(row["last_event_id"]) if row else 0


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
    """Undelivered events for a target, oldest first."""
    after = await cursor_of(target)
    return await (
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
