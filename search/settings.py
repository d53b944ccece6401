"""The providers index: its uid and settings, applied before any document is added."""
from __future__ import annotations

from marketplace.reference import TARGET_GROUPS

PRIMARY_KEY = "id"

FILTERABLE = [
    "id", "municipalities", "regions", "target_groups", "services", "languages", "type",
    "capacity", "remote", "stars", "stale",
    "office_postcode",  # search.geo: the radius filter and the distance order (no `_geo`)
]
COMPARED = ["stars"]  # `stars >= n` (search.queries.filters); every other filter is `=`, `IN` or `NOT … =`


def _filter_features(attributes: list[str], comparison: bool) -> dict:
    return {"attributePatterns": attributes,
            "features": {"facetSearch": False, "filter": {"equality": True, "comparison": comparison}}}


# Only the filter features the portal uses (bench/index_settings.py at 100,000 providers: a full
# build took 31 and 34 s against 38 s with every feature on every attribute, in two runs; a
# one-document update is the same within noise).
FILTERABLE_SETTINGS: list = [
    _filter_features(COMPARED, comparison=True),
    _filter_features([a for a in FILTERABLE if a not in COMPARED], comparison=False),
]
FACETS = ["target_groups", "services", "languages", "type", "capacity", "regions", "stars", "remote"]

INDEX_SETTINGS: dict = {
    "searchableAttributes": [
        "name", "target_group_names", "service_names", "summary", "municipality_names", "office_cities",
        "region_names", "type_name",
    ],
    "displayedAttributes": ["*"],
    "filterableAttributes": FILTERABLE_SETTINGS,
    "sortableAttributes": [
        "score", "success_rate", "review_avg", "price_min", "name",
        "stale",  # the "best" sort ranks listings not confirmed recently lower (search.queries.sort_rules)
        *[f"score_by_tg.{slug}" for slug in TARGET_GROUPS],
        *[f"success_by_tg.{slug}" for slug in TARGET_GROUPS],
    ],
    "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
    # Sorting by distance counts the hits per office postcode (search.queries): every postcode (~1,100)
    # must be counted. The portal's own facets have at most 16 values.
    "faceting": {"maxValuesPerFacet": 1500, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 2000},
    "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 8}},
    # Indexing cost (bench/reindex.py; Meilisearch CPU for 10k documents): proximity by attribute
    # instead of by word costs about a quarter less (the `proximity` rule then ranks documents with
    # all query words in one attribute first, which suits short names and summaries); facet search
    # (the /facet-search route, which the portal does not use) is not built at all.
    "proximityPrecision": "byAttribute",
    "facetSearch": False,
    # Danish synonyms: what citizens type ↔ what listings say. Multi-way groups.
    "synonyms": {},
}

_SYNONYM_GROUPS = [
    ["ledig", "ledige", "arbejdsløs", "arbejdsløse", "arbejdsledig", "arbejdsledige", "jobsøgende"],
    ["a-kasse", "arbejdsløshedskasse", "akasse"],
    ["jobcenter", "jobcentret", "kommunen"],
    ["praktik", "virksomhedspraktik", "arbejdsprøvning"],
    ["løntilskud", "loentilskud", "løntilskudsjob"],
    ["sygemeldt", "sygedagpenge", "syg"],
    ["kontanthjælp", "kontanthjaelp", "bistand"],
    ["mentor", "støtteperson", "mentorstøtte"],
    ["kursus", "forløb", "opkvalificering", "efteruddannelse"],
    ["cv", "ansøgning", "jobsøgning"],
    ["flygtning", "integration", "indvandrer"],
    ["dansk", "danskundervisning", "sprogskole"],
    ["job", "arbejde", "beskæftigelse"],
    ["fleksjob", "flexjob"],
    ["psykisk", "mental", "stress", "angst"],
]
for _group in _SYNONYM_GROUPS:
    for _word in _group:
        INDEX_SETTINGS["synonyms"][_word] = [w for w in _group if w != _word]
