"""schemathesis against /schema/openapi.json: every operation, positive and negative cases, default
checks (no server error, documented status, content type, headers, response schema, negative data
rejected, positive data accepted). CI runs 100 cases per operation and mode; `python -m
bench.probe_api` runs 1,000 on a larger data set."""
from __future__ import annotations

import asyncio

from factories import index_all, make_provider

from bench.probe_api import probe

CASES = 100


async def test_every_api_operation_conforms_to_its_schema(portal: str, engine) -> None:
    await make_provider(name="Aarhus Jobhjælp", postcode="8000", municipalities=[751])
    await make_provider(name="Remote Mentor", postcode="2100", municipalities=[101], remote=True,
                        results={"courses": 40, "success_rate": 0.5, "score": 1.1, "stars": 4})
    await index_all(engine)

    report = await asyncio.to_thread(probe, portal, CASES, 1)

    by_label = {op.label: op for op in report.operations}
    assert {"GET /api/providers", "GET /api/providers/{provider_id}", "GET /health", "GET /api/providers.csv",
            "GET /api/results/national", "GET /api/ratings-history.csv"} <= set(by_label)
    for label in ("GET /api/providers", "GET /api/providers/{provider_id}"):
        assert by_label[label].cases["positive"] == CASES and by_label[label].cases["negative"] == CASES, label
    search = by_label["GET /api/providers"].statuses
    assert search[200] > 0 and search[400] > 0  # both searches that run and refusals were exercised
    assert report.failures == {}, report.markdown()
