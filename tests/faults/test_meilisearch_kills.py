"""Meilisearch SIGKILLed 20 times while the portal writes: after the last restart the index equals
the database (ids and content hashes of every public provider's document) within 60 s."""
from __future__ import annotations

import pytest

from search.client import SearchEngine

from .scenarios import meilisearch_kills

pytestmark = pytest.mark.slow

KILLS = 20


async def test_twenty_kills_during_writes_lose_nothing_and_the_index_converges_within_60_s(own_meilisearch):
    engine = SearchEngine(own_meilisearch.url, own_meilisearch.master_key, "providers", target_name="fault-kills")
    engine.ensure_index()

    figures = await meilisearch_kills(own_meilisearch, engine, kills=KILLS)

    assert figures["kills"] == KILLS
    assert figures["writes"] >= KILLS * 3  # writes went on between and during the outages
    assert figures["converged"], figures
    assert figures["lost"] == 0, figures
    assert figures["seconds_to_converge"] <= 60
    assert figures["documents"] > 0
