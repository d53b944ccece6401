"""The fixed mix of realistic citizen searches, and the exact Meilisearch requests the portal makes
for each (recorded by running `search.queries.search` against the live index)."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

# (name, query parameters as on `/` and `/api/providers`)
MIX: list[tuple[str, dict[str, Any]]] = [
    ("front page, no filter", {}),
    ("8000 +25 km, dagpenge", {"postcode": "8000", "radius_km": "25", "target_group": "dagpenge"}),
    ("2200 +10 km, kontanthjælp, by distance",
     {"postcode": "2200", "radius_km": "10", "target_group": "kontanthjaelp-jobparat", "sort": "distance"}),
    ("9000 +50 km, sygedagpenge, mentor",
     {"postcode": "9000", "radius_km": "50", "target_group": "sygedagpenge", "service": "mentor"}),
    ("5000 +30 km, dagpenge, page 3", {"postcode": "5000", "radius_km": "30", "target_group": "dagpenge", "page": "3"}),
    ("Aarhus (751), sygedagpenge", {"municipality": "751", "target_group": "sygedagpenge"}),
    ("Odense by name, integration, Arabic", {"municipality": "Odense", "target_group": "integration", "language": "ar"}),
    ("text typo 'jobsøgnig kursus'", {"q": "jobsøgnig kursus"}),
    ("text typo 'mentr københavn'", {"q": "mentr københavn"}),
    ("text typo 'virksomhedsprktik aarhus'", {"q": "virksomhedsprktik aarhus"}),
    ("text synonym 'arbejdsløs' + 4000", {"q": "arbejdsløs", "postcode": "4000"}),
    ("facets: fleksjob, 2 services, 2 types, open",
     {"target_group": "fleksjob", "service": ["virksomhedspraktik", "mentor"], "type": ["privat", "socialoekonomisk"],
      "capacity": "open"}),
    ("facets: Hovedstaden, English, remote, ≥3 stars",
     {"region": "1084", "language": "en", "remote": "true", "stars": "3"}),
    ("København (101), dagpenge, by success rate",
     {"municipality": "101", "target_group": "dagpenge", "sort": "success_rate"}),
    ("7100 +40 km, by reviews", {"postcode": "7100", "radius_km": "40", "sort": "reviews"}),
    ("jobafklaring, by price", {"target_group": "jobafklaring", "sort": "price"}),
    ("Syddanmark, by name", {"region": "1083", "sort": "name"}),
]

# One popular search for the repeated-search (cache) case.
POPULAR = ("8000 +25 km, dagpenge", {"postcode": "8000", "radius_km": "25", "target_group": "dagpenge"})


@dataclass
class Query:
    name: str
    params: dict[str, Any]
    path_qs: str  # "?postcode=8000&…" for / and /api/providers
    meili_bodies: list[bytes]  # the multi-search bodies the portal sends for /api/providers, in order
    total: int  # totalHits the portal reports
    page_bodies: list[bytes]  # … and for the page `/` (only a card's fields: search_form.CARD_FIELDS)


async def meili_requests(engine: Any, params: dict[str, Any], retrieve: list[str] | None = None
                         ) -> tuple[list[bytes], int]:
    """Run the portal's own search code against `engine`, recording each multi-search body exactly
    as the meilisearch client serialises it (`{"queries": [...], "federation": null}`). `retrieve`
    as the caller passes it: None for the API, search_form.CARD_FIELDS for the page."""
    from search.client import SearchEngine
    from search.queries import parse_search_params, search

    bodies: list[bytes] = []

    class Recorder(SearchEngine):
        async def multi_search(self, queries: list[dict[str, Any]], raw_hits: bool = False) -> list[dict[str, Any]]:
            sent = copy.deepcopy(queries)
            for q in sent:
                q.setdefault("indexUid", self.index_uid)
            bodies.append(json.dumps({"queries": sent, "federation": None}).encode())
            return await super().multi_search(queries, raw_hits)

    recorder = Recorder(engine.url, engine.client.config.api_key, engine.index_uid)
    try:
        result = await search(recorder, parse_search_params(
            {k: v if isinstance(v, list) else [v] for k, v in params.items()}), retrieve)
    finally:
        await recorder.aclose()
    return bodies, result.total


async def build(engine: Any, mix: list[tuple[str, dict[str, Any]]] = MIX) -> list[Query]:
    from marketplace.web.search_form import CARD_FIELDS

    out = []
    for name, params in mix:
        bodies, total = await meili_requests(engine, params)
        page_bodies, _ = await meili_requests(engine, params, CARD_FIELDS)
        qs = urlencode(params, doseq=True)
        out.append(Query(name, params, f"?{qs}" if qs else "", bodies, total, page_bodies))
    return out
