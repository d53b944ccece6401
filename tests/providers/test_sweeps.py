"""The freshness sweep tells the index about listings whose confirmation deadline has passed."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from factories import index_all, make_provider

from marketplace.providers.freshness import CONFIRM_EVERY_DAYS
from marketplace.providers.listing import STALE_REASON
from marketplace.providers.sweeps import run_freshness_sweeps
from search.tables import OutboxEvent


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


async def _sweep_once() -> None:
    """One process's first sweep (as at start-up)."""
    stop, swept = asyncio.Event(), asyncio.Event()
    sweep = asyncio.create_task(run_freshness_sweeps(stop, every_seconds=3600, swept=swept))
    try:
        await asyncio.wait_for(swept.wait(), timeout=30)
    finally:
        stop.set()
        await sweep


async def _sweep_events() -> dict[int, int]:
    rows = await OutboxEvent.select(OutboxEvent.provider_id).where(OutboxEvent.reason == STALE_REASON)
    counts: dict[int, int] = {}
    for r in rows:
        counts[r["provider_id"]] = counts.get(r["provider_id"], 0) + 1
    return counts


async def test_a_restart_sends_only_deadlines_passed_since_the_last_sweep(engine):
    now = datetime.now(timezone.utc)
    period = timedelta(days=CONFIRM_EVERY_DAYS)
    old = await make_provider(name="Gammel Aktør", last_confirmed_at=now - period - timedelta(days=3))
    await _sweep_once()  # the first sweep ever: a whole period back
    assert (await _sweep_events()) == {old["id"]: 1}

    await _sweep_once()  # a restart right after: nothing new has passed its deadline
    assert (await _sweep_events()) == {old["id"]: 1}

    # Downtime: the last sweep ran two days ago, and since then another listing's deadline passed.
    await OutboxEvent.update({OutboxEvent.created_at: now - timedelta(days=2)}).where(
        OutboxEvent.reason == STALE_REASON)
    lapsed = await make_provider(name="Forsinket Aktør", last_confirmed_at=now - period - timedelta(days=1))
    await _sweep_once()
    assert (await _sweep_events()) == {old["id"]: 1, lapsed["id"]: 1}
