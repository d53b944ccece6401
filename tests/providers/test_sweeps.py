"""The freshness sweep tells the index about listings whose confirmation deadline has passed."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from factories import index_all, make_provider

from marketplace.providers.freshness import CONFIRM_EVERY_DAYS
from marketplace.providers.sweeps import run_freshness_sweeps


async def test_a_listing_past_its_deadline_is_marked_stale_in_search_by_the_sweep(engine):
    long_ago = datetime.now(timezone.utc) - timedelta(days=CONFIRM_EVERY_DAYS + 3)
    old = await make_provider(name="Gammel Aktør", last_confirmed_at=long_ago)
    fresh = await make_provider(name="Frisk Aktør")
    await index_all(engine)
    # The document was built when the factory wrote it; make the index disagree with the clock, as
    # it does when a deadline passes with no change to the provider.
    engine.apply([{**engine.get_document(old["id"]), "stale": False}], [])
    assert engine.get_document(old["id"])["stale"] is False

    stop, swept = asyncio.Event(), asyncio.Event()
    sweep = asyncio.create_task(run_freshness_sweeps(stop, every_seconds=3600, swept=swept))
    try:
        await asyncio.wait_for(swept.wait(), timeout=30)  # the first sweep runs at once
    finally:
        stop.set()
        await sweep
    assert await index_all(engine) == 1  # one event: the provider whose deadline passed

    assert engine.get_document(old["id"])["stale"] is True
    assert engine.get_document(fresh["id"])["stale"] is False
