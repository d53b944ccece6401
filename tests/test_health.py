"""GET /health: database, search and the outbox backlog."""
from __future__ import annotations

from factories import index_all, make_provider


async def test_health_is_ok_with_database_and_search_up_and_nothing_waiting(client, engine):
    await make_provider()
    await index_all(engine)

    response = await client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["search"] == {"ok": True, "index": engine.index_uid, "documents": 1}
    assert body["outbox"]["backlog"] == 0


async def test_health_counts_events_not_yet_delivered(client):
    await make_provider()
    await make_provider()

    body = (await client.get("/health")).json()

    assert body["status"] == "ok"
    assert body["outbox"]["backlog"] == 2


async def test_health_is_degraded_with_the_backlog_when_search_is_down(down_client):
    await make_provider()

    response = await down_client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["search"]["ok"] is False
    assert body["database"]["ok"] is True
    assert body["outbox"]["backlog"] == 1
