"""Background sweeps for providers: time alone makes listings stale, so something must tell the
search index when a confirmation deadline passes.

Every process runs the sweep (an event written twice is harmless: delivery is idempotent). The
first sweep looks back over a whole period so a restart after downtime misses nobody.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from marketplace.providers.freshness import CONFIRM_EVERY_DAYS
from marketplace.providers.listing import enqueue_newly_stale

log = logging.getLogger("marketplace.providers")

SWEEP_EVERY_SECONDS = 3600.0


async def run_freshness_sweeps(
    stop: asyncio.Event, every_seconds: float = SWEEP_EVERY_SECONDS, swept: asyncio.Event | None = None
) -> None:
    """Until `stop` is set: mark listings whose confirmation deadline passed since the last sweep.
    `swept` (optional) is set after every sweep."""
    since = datetime.now(timezone.utc) - timedelta(days=CONFIRM_EVERY_DAYS + 1)
    while not stop.is_set():
        now = datetime.now(timezone.utc)
        try:
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
