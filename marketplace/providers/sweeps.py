"""Background sweeps for providers: time alone makes listings stale, so something must tell the
search index when a confirmation deadline passes.

Every process runs the sweep (an event written twice is harmless: delivery is idempotent). A
process's first sweep looks back to shortly before the newest sweep event any process wrote (that
sweep covered every deadline up to then), or over a whole period when there is none, so a restart
after downtime misses nobody and a restart or deploy does not send every stale listing again.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from marketplace.providers.freshness import CONFIRM_EVERY_DAYS
from marketplace.providers.listing import STALE_REASON, enqueue_newly_stale
from search.tables import OutboxEvent

log = logging.getLogger("marketplace.providers")

SWEEP_EVERY_SECONDS = 3600.0
OVERLAP = timedelta(hours=1)  # a sweep's event is written a moment after the `now` it swept up to


async def first_sweep_since(now: datetime) -> datetime:
    """Where a process's first sweep starts: OVERLAP before the newest sweep event in the outbox,
    but never further back than a whole period (and a day)."""
    earliest = now - timedelta(days=CONFIRM_EVERY_DAYS + 1)
    row = await OutboxEvent.select(OutboxEvent.created_at).where(OutboxEvent.reason == STALE_REASON).order_by(
        OutboxEvent.id, ascending=False).first()  # newest first along the primary key: stops at the first match
    newest = (row or {}).get("created_at")
    if newest is None:
        return earliest
    if newest.tzinfo is None:
        newest = newest.replace(tzinfo=timezone.utc)
    return max(earliest, newest - OVERLAP)


async def run_freshness_sweeps(
    stop: asyncio.Event, every_seconds: float = SWEEP_EVERY_SECONDS, swept: asyncio.Event | None = None
) -> None:
    """Until `stop` is set: mark listings whose confirmation deadline passed since the last sweep.
    `swept` (optional) is set after every sweep."""
    since: datetime | None = None
    while not stop.is_set():
        now = datetime.now(timezone.utc)
        try:
            if since is None:
                since = await first_sweep_since(now)
            n = await enqueue_newly_stale(since, now)
            if n:
                log.info("%d listings passed their confirmation deadline", n)
            since = now
        except Exception as exc:  # a sweep must never take the portal down; try again next time
            log.warning("freshness sweep failed: %s", exc)
        if swept is not None:
            swept.set()
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
        except asyncio.TimeoutError:
            pass
