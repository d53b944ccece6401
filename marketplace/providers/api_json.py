"""The search API's answer (`/api/providers`) as JSON, written from each hit's JSON kept from an
earlier answer.

The same providers come back in search after search, and turning a hit into its JSON (decoding
the ~3 KB Meilisearch sent, unpacking its details, checking it against ProviderOut and encoding it
again) was most of the API's own time per search. A hit's JSON depends only on the hit as
Meilisearch sent it and on what the search adds to it (distance and coverage), so that is its key:
a changed listing, result or rating is a different hit, and nothing needs invalidating. The answer
is byte for byte what `msgspec.json.encode(SearchOut(...))` writes from whole hits (tests/api/test_api_json.py).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

import msgspec

from marketplace.providers.schemas import PlaceOut, SearchOut, provider_out
from search.documents import unpack
from search.queries import SearchParams, SearchResult


class HitJson:
    """Each API hit's JSON by what it is made from, bounded (least recently used first out); one
    per process, used only from the event loop's thread."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._json: OrderedDict[Hashable, msgspec.Raw] = OrderedDict()
        self.hits = self.misses = 0

    def encoded(self, hits: list[Mapping[str, Any]], sources: list[bytes]) -> list[msgspec.Raw]:
        """`hits`: light hits (search.queries.search(light=True)), `sources`: each hit's JSON as
        Meilisearch sent it (SearchResult.sources); each hit as ProviderOut's JSON."""
        out = []
        for hit, source in zip(hits, sources, strict=True):
            key = (source, hit["distance_km"], hit["covers_place"])
            raw = self._json.get(key)
            if raw is None:
                self.misses += 1
                doc = {**unpack(msgspec.json.decode(source)), **hit}
                raw = msgspec.Raw(msgspec.json.encode(provider_out(doc)))
                self._json[key] = raw
                if len(self._json) > self.size:
                    self._json.popitem(last=False)
            else:
                self.hits += 1
                self._json.move_to_end(key)
            out.append(raw)
        return out

    def __len__(self) -> int:
        return len(self._json)


HIT_JSON = HitJson()


def search_json(result: SearchResult, params: SearchParams, hit_json: HitJson | None = None) -> bytes:
    """The API's answer for a light search result (search(…, light=True)), encoded."""
    place = params.place
    # SearchOut itself, its hits already encoded: msgspec writes a Raw as it is (a Struct does not
    # check its fields' types when built), so the JSON is SearchOut's, field for field.
    return msgspec.json.encode(SearchOut(  # type: ignore[arg-type]
        hits=(HIT_JSON if hit_json is None else hit_json).encoded(result.hits, result.sources), total=result.total, page=result.page,
        per_page=result.per_page, pages=result.pages, facets=result.facets,
        place=PlaceOut(place.municipality, place.lat, place.lon, place.label) if place else None,
        covering_total=result.covering_total,
    ))
