"""The search API's JSON written from stored hit JSON (marketplace.providers.api_json) is byte for
byte what encoding SearchOut from whole hits writes, for searches with and without a place, near
and covering, by distance; a hit's JSON is reused, and a changed listing is a different hit."""
from __future__ import annotations

import msgspec
from factories import index_all, make_provider

from marketplace.db import write_transaction
from marketplace.providers.api_json import HitJson, search_json
from marketplace.providers.schemas import PlaceOut, SearchOut, provider_out
from marketplace.providers.tables import Provider
from search import outbox
from search.queries import SearchParams, SearchResult, parse_search_params, search

SEARCHES = [
    {},
    {"q": ["Mentor"]},
    {"postcode": ["8000"]},
    {"postcode": ["8000"], "radius_km": ["60"]},
    {"postcode": ["8000"], "radius_km": ["60"], "sort": ["distance"]},
    {"municipality": ["Aarhus"], "radius_km": ["60"], "target_group": ["dagpenge"], "per_page": ["1"], "page": ["2"]},
]


def whole_json(result: SearchResult, params: SearchParams) -> bytes:
    """The answer as SearchOut from whole hits (what the API wrote before api_json)."""
    place = params.place
    return msgspec.json.encode(SearchOut(
        hits=[provider_out(h) for h in result.hits], total=result.total, page=result.page,
        per_page=result.per_page, pages=result.pages, facets=result.facets,
        place=PlaceOut(place.municipality, place.lat, place.lon, place.label) if place else None,
        covering_total=result.covering_total,
    ))


async def providers() -> list[dict]:
    return [
        await make_provider(name="Mentorhuset Aarhus", postcode="8000",
                            results={"courses": 40, "success_rate": 0.5, "stars": 4}, reviews=[5, 4]),
        await make_provider(name="Mentor Randers", postcode="8900", municipalities=[730]),
        await make_provider(name="Jobhjælp Skanderborg", postcode="8660", municipalities=[746]),
        await make_provider(name="Fjernhjælp", municipalities=[101], remote=True, offices=[]),
    ]


async def test_the_api_json_from_stored_hits_is_what_searchout_writes(engine):
    await providers()
    await index_all(engine)
    store = HitJson()
    for raw in SEARCHES:
        params = parse_search_params(raw)
        expected = whole_json(await search(engine, params), params)
        assert msgspec.json.decode(expected)["hits"], raw  # each search finds something to compare
        for _ in range(2):  # written, then from the stored hits
            assert search_json(await search(engine, params, light=True), params, store) == expected, raw
    assert store.hits > 0 and store.misses == len(store)


async def test_a_changed_listing_is_a_new_hit_and_the_store_is_bounded(engine):
    first, *_ = await providers()
    await index_all(engine)
    store = HitJson(size=2)
    params = parse_search_params({"q": ["Mentorhuset"]})
    before = msgspec.json.decode(search_json(await search(engine, params, light=True), params, store))
    assert [h["name"] for h in before["hits"]] == ["Mentorhuset Aarhus"]

    async with write_transaction():
        await Provider.update({Provider.name: "Mentorhuset Aarhus C"}).where(Provider.id == first["id"])
        await outbox.enqueue(first["id"], "test-rename")
    await index_all(engine)
    after = msgspec.json.decode(search_json(await search(engine, params, light=True), params, store))
    assert [h["name"] for h in after["hits"]] == ["Mentorhuset Aarhus C"]

    everyone = parse_search_params({})
    search_json(await search(engine, everyone, light=True), everyone, store)
    assert len(store) == 2  # the least recently used went first
