"""The index document (search.documents): the public shape for the API and pages, and the packed
shape Meilisearch stores, with the fields that are only shown packed into one JSON string."""
from __future__ import annotations

import json

from factories import make_provider

from search import sync
from search.documents import DETAIL, DETAIL_FIELDS, index_document, provider_document, unpack
from search.queries import RETRIEVE
from search.settings import FILTERABLE, INDEX_SETTINGS


async def test_the_index_document_unpacks_to_the_public_document():
    provider = await make_provider(
        name="Pakkeriet", reviews=[4],
        results={"courses": 40, "success_rate": 0.5, "score": 1.1, "stars": 4},
        results_by_target_group={"dagpenge": {"courses": 30, "success_rate": 0.6, "score": 1.2, "stars": 5}},
    )
    snap = (await sync.load_snapshots([provider["id"]]))[provider["id"]]

    public, packed = provider_document(snap), index_document(snap)

    assert isinstance(packed[DETAIL], str) and set(json.loads(packed[DETAIL])) == set(DETAIL_FIELDS)
    assert not set(DETAIL_FIELDS) & set(packed)
    assert unpack(json.loads(json.dumps(packed))) == json.loads(json.dumps(public))
    assert public["results_by_target_group"]["dagpenge"]["success_rate"] == 0.6
    assert unpack({"id": 1, "name": "uden detail"}) == {"id": 1, "name": "uden detail"}


def test_packed_fields_are_only_shown_never_searched_filtered_or_sorted():
    used = set(INDEX_SETTINGS["searchableAttributes"]) | set(FILTERABLE) | set(INDEX_SETTINGS["sortableAttributes"])
    for name in DETAIL_FIELDS:
        assert not any(u == name or u.startswith(name + ".") for u in used), name
    assert DETAIL in RETRIEVE
