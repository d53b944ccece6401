"""Bringing the served portal's index up to date from a test, without waiting on a clock.

The portal under test (conftest `portal`) runs its own outbox worker under the target
`portal_target(engine)`. A test that needs the index to show what it wrote delivers under that same
target: the delivery lock makes it wait for a delivery the portal has begun, and the shared cursor
means each event is delivered once, by whichever of the two comes first. `sync.drain_all` returns
when every event written so far is applied in Meilisearch (it waits for the tasks)."""
from __future__ import annotations

from typing import Any

from litestar.concurrency import sync_to_thread

from search import sync
from search.client import SearchEngine


def portal_target(engine: SearchEngine) -> str:
    """The outbox target name the served portal delivers under (its own cursor and delivery lock)."""
    return f"browser-{engine.index_uid}"


class Delivery:
    """`await deliver()`: the index holds every change written so far; the helpers then check it."""

    def __init__(self, engine: SearchEngine, api_key: str | None) -> None:
        self.engine = engine
        self.as_portal = SearchEngine(engine.url, api_key, engine.index_uid, target_name=portal_target(engine))

    async def __call__(self) -> int:
        return await sync.drain_all(self.as_portal)

    async def expect_documents(self, count: int) -> None:
        await self()
        held = await sync_to_thread(self.engine.document_count)
        assert held == count, f"the index holds {held} documents, not {count}"

    async def document(self, provider_id: int) -> dict[str, Any]:
        await self()
        doc = await sync_to_thread(self.engine.get_document, provider_id)
        assert doc is not None, f"provider {provider_id} is not in the index"
        return doc
