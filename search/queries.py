"""Search parameters → Meilisearch queries → a SearchResult.

`parse_search_params` validates raw query parameters (the same names on `/` and `/api/providers`)
and raises `InvalidInputs` naming every bad parameter. `build_queries` turns valid parameters into
Meilisearch multi-search queries; `search` runs them (a coroutine, on the event loop).

Location: a postcode or a municipality becomes a point and a municipality. Without a radius only
providers covering that municipality are found; with `radius_km`, covering providers come first and
then providers with an office within the radius that do not cover it. Distances are to the office
postcode's centre (search.geo): the radius is a filter on `office_postcode`, and sorting by distance
counts the hits per office postcode first, then fetches the slice of the nearest groups the page
needs (`_search_by_distance`). Within a group, and so between providers at the same distance, the
order is the score's; a text query only decides which providers match.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable, Mapping, TypeVar

import msgspec

from marketplace.errors import InvalidInput, collect
from marketplace.reference import LANGUAGES, PROVIDER_TYPES, REGIONS, SERVICES, TARGET_GROUPS, resolve_place
from marketplace.reference.catalog import CAPACITIES
from search import geo
from search.client import SearchEngine
from search.documents import unpack
from search.settings import FACETS

PER_PAGE = 20
MAX_PAGE = 100
MAX_RADIUS_KM = 300
MAX_QUERY_CHARS = 200
SORTS = ("best", "score", "success_rate", "reviews", "price", "distance", "name")

RETRIEVE = [  # `detail` holds results, results by target group, prices and offices (search.documents)
    "id", "slug", "cvr", "name", "type", "summary", "municipalities", "regions", "remote", "target_groups",
    "services", "price_min", "price_max", "languages", "capacity", "waiting_weeks", "first_contact_days",
    "detail", "method_version", "review_avg", "review_count", "last_confirmed_at", "stale", "company_oriented",
    geo.FIELD,
]


@dataclass(frozen=True)
class Place:
    municipality: int
    lat: float
    lon: float
    label: str


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    place: Place | None = None
    radius_km: int | None = None
    target_group: str | None = None
    services: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    regions: tuple[int, ...] = ()
    capacity: tuple[str, ...] = ()
    remote: bool = False
    fresh: bool = False  # only providers that confirmed their listing recently (`stale = false`)
    min_stars: int | None = None
    sort: str = "best"
    page: int = 1
    per_page: int = PER_PAGE
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class SearchResult:
    hits: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]]
    covering_total: int | None = None  # with a radius: how many of `total` cover the municipality
    sources: list[bytes] = field(default_factory=list)  # each hit's JSON as Meilisearch sent it (the search page keys its cards by it)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


# -- parsing -----------------------------------------------------------------------------------------
_T = TypeVar("_T")


def _values(raw: Mapping[str, Any], name: str) -> list[str]:
    """All non-empty values of a parameter (repeated or comma separated)."""
    value = raw.get(name)
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in items:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return out


def _one(raw: Mapping[str, Any], name: str) -> str:
    values = _values(raw, name)
    if len(values) > 1:
        raise InvalidInput(name, f"Angiv højst én værdi for {name}.", f"Give at most one value for {name}.")
    return values[0] if values else ""


def _whole(raw: Mapping[str, Any], name: str, low: int, high: int, da: str, en: str) -> int | None:
    text = _one(raw, name)
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise InvalidInput(name, da, en)
    return number


def _slugs(raw: Mapping[str, Any], name: str, allowed: Mapping[str, Any], what_da: str, what_en: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(_values(raw, name)))
    for v in values:
        if v not in allowed:
            known = ", ".join(allowed)
            raise InvalidInput(
                name, f"Ukendt {what_da}: {v[:40]}. Vælg en af: {known}.", f"Unknown {what_en}: {v[:40]}. Use one of: {known}."
            )
    return values


def _place(postcode: str, municipality: str) -> Place | None:
    if postcode:
        if not (postcode.isdigit() and len(postcode) == 4) or (found := resolve_place(postcode)) is None:
            raise InvalidInput("postcode", f"Ukendt postnummer: {postcode[:20]}. Indtast et dansk postnummer med 4 cifre – fx 8000.",
                               f"Unknown postcode: {postcode[:20]}. Enter a Danish 4-digit postcode, e.g. 8000.")
        return Place(*found)
    if municipality:
        found = resolve_place(municipality)
        if found is None or (municipality.isdigit() and len(municipality) == 4):
            raise InvalidInput("municipality", f"Ukendt kommune: {municipality[:40]}. Brug en kommunekode (fx 751) eller et kommunenavn (fx Aarhus).",
                               f"Unknown municipality: {municipality[:40]}. Use a municipality code (e.g. 751) or name (e.g. Aarhus).")
        return Place(*found)
    return None


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    value = _one(raw, name)
    if value not in ("", "true", "false", "1", "0", "on"):
        raise InvalidInput(name, f"{name} skal være true eller false.", f"{name} must be true or false.")
    return value in ("true", "1", "on")


def parse_search_params(raw: Mapping[str, Any]) -> SearchParams:
    """Validate raw query parameters. Every parameter is checked, and the bad ones raise InvalidInputs
    (it reads as the first; `every` names them all, in order)."""
    problems: list[InvalidInput] = []

    def checked(parse: Callable[[], _T], default: _T) -> _T:
        try:
            return parse()
        except InvalidInput as exc:
            problems.append(exc)
            return default

    def refuse(field: str, da: str, en: str) -> None:
        problems.append(InvalidInput(field, da, en))

    q = checked(lambda: _one(raw, "q"), "") if "q" in raw else ""
    if len(q) > MAX_QUERY_CHARS:
        refuse("q", f"Søgeteksten må højst være {MAX_QUERY_CHARS} tegn.",
               f"The search text may be at most {MAX_QUERY_CHARS} characters.")
    postcode = checked(lambda: _one(raw, "postcode"), "")
    municipality = checked(lambda: _one(raw, "municipality"), "")
    place = checked(lambda: _place(postcode, municipality), None)
    place_given = bool(postcode or municipality)  # given but unknown: that is the error, not what needs it
    radius = checked(lambda: _whole(raw, "radius_km", 1, MAX_RADIUS_KM,
                                    f"Afstand skal være et helt antal kilometer fra 1 til {MAX_RADIUS_KM}.",
                                    f"Distance must be a whole number of kilometres from 1 to {MAX_RADIUS_KM}."), None)
    if radius is not None and not place_given:
        refuse("radius_km", "Afstand kræver et postnummer eller en kommune.", "A distance needs a postcode or a municipality.")
    target_groups = checked(lambda: _slugs(raw, "target_group", TARGET_GROUPS, "målgruppe", "target group"), ())
    if len(target_groups) > 1:
        refuse("target_group", "Vælg højst én målgruppe.", "Choose at most one target group.")
    region_codes = checked(lambda: _slugs(raw, "region", {str(c): n for c, n in REGIONS.items()}, "region", "region"), ())
    stars = checked(lambda: _whole(raw, "stars", 1, 5, "Stjerner skal være et helt tal fra 1 til 5.",
                                   "Stars must be a whole number from 1 to 5."), None)
    sort = checked(lambda: _one(raw, "sort"), "") or "best"
    if sort not in SORTS:
        refuse("sort", f"Ukendt sortering: {sort[:40]}. Vælg en af: {', '.join(SORTS)}.",
               f"Unknown sort: {sort[:40]}. Use one of: {', '.join(SORTS)}.")
    elif sort == "distance" and not place_given:
        refuse("sort", "Sortering efter afstand kræver et postnummer eller en kommune.",
               "Sorting by distance needs a postcode or a municipality.")
    page = checked(lambda: _whole(raw, "page", 1, MAX_PAGE, f"Side skal være et helt tal fra 1 til {MAX_PAGE}.",
                                  f"Page must be a whole number from 1 to {MAX_PAGE}."), None) or 1
    per_page = checked(lambda: _whole(raw, "per_page", 1, 100, "per_page skal være et helt tal fra 1 til 100.",
                                      "per_page must be a whole number from 1 to 100."), None) or PER_PAGE
    remote = checked(lambda: _flag(raw, "remote"), False)
    fresh = checked(lambda: _flag(raw, "fresh"), False)
    services = checked(lambda: _slugs(raw, "service", SERVICES, "indsats", "service"), ())
    languages = checked(lambda: _slugs(raw, "language", LANGUAGES, "sprog", "language"), ())
    types = checked(lambda: _slugs(raw, "type", PROVIDER_TYPES, "aktørtype", "provider type"), ())
    capacity = checked(lambda: _slugs(raw, "capacity", CAPACITIES, "kapacitet", "capacity"), ())
    collect(*problems)
    return SearchParams(
        q=q, place=place, radius_km=radius, target_group=target_groups[0] if target_groups else None,
        services=services, languages=languages, types=types, regions=tuple(int(r) for r in region_codes),
        capacity=capacity, remote=remote, fresh=fresh, min_stars=stars, sort=sort, page=page, per_page=per_page,
        raw=raw,
    )


# -- query building ----------------------------------------------------------------------------------
def _any_of(attribute: str, values: tuple[Any, ...]) -> str:
    quoted = ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)
    return f"{attribute} IN [{quoted}]"


def base_filters(p: SearchParams) -> list[str]:
    """Filters from the facets (no location). Values are validated slugs, so quoting is safe."""
    filters = []
    if p.target_group:
        filters.append(f'target_groups = "{p.target_group}"')
    filters.extend(f'services = "{s}"' for s in p.services)  # every chosen service
    if p.languages:
        filters.append(_any_of("languages", p.languages))  # any chosen language
    if p.types:
        filters.append(_any_of("type", p.types))
    if p.regions:
        filters.append(_any_of("regions", p.regions))
    if p.capacity:
        filters.append(_any_of("capacity", p.capacity))
    if p.remote:
        filters.append("remote = true")
    if p.fresh:
        filters.append("stale = false")
    if p.min_stars:
        filters.append(f"stars >= {p.min_stars}")
    return filters


def sort_rules(p: SearchParams) -> list[str]:
    """Meilisearch sort for the chosen order; the target group's own numbers when one is chosen."""
    tg = p.target_group
    score = f"score_by_tg.{tg}:desc" if tg else "score:desc"
    success = f"success_by_tg.{tg}:desc" if tg else "success_rate:desc"
    return {
        "best": ["stale:asc", score, "review_avg:desc"],  # listings not confirmed recently rank lower
        "score": [score, "review_avg:desc"],  # strictly by the risk-adjusted score
        "success_rate": [success, score],
        "reviews": ["review_avg:desc", score],
        "price": ["price_min:asc", score],
        "distance": [score],  # within one office postcode: the distance order is _search_by_distance's
        "name": ["name:asc"],
    }[p.sort]


def _query(p: SearchParams, filters: list[str], retrieve: list[str]) -> dict[str, Any]:
    return {"q": p.q, "filter": filters, "sort": sort_rules(p), "attributesToRetrieve": retrieve}


def build_queries(
    p: SearchParams, retrieve: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The covering query and, with a radius, the nearby-but-not-covering query. `retrieve`: the
    document fields to return (nested ones with dots, e.g. `results.stars`); all of them (RETRIEVE,
    what the API shows) unless given."""
    filters = base_filters(p)
    fields = retrieve or RETRIEVE
    if geo.FIELD not in fields:  # distances and the distance order are worked out from it
        fields = [*fields, geo.FIELD]
    if p.place is None:
        return _query(p, filters, fields), None
    covering = _query(p, filters + [f"municipalities = {p.place.municipality}"], fields)
    if p.radius_km is None:
        return covering, None
    nearby = _query(p, filters + [_radius_filter(p.place.lat, p.place.lon, p.radius_km),
                                   f"NOT municipalities = {p.place.municipality}"], fields)
    return covering, nearby


@lru_cache(maxsize=2048)
def _radius_filter(lat: float, lon: float, km: int) -> str:
    """Office within `km` of a point: up to all ~1,100 postcodes, so made once per place and radius."""
    inside = geo.within(lat, lon, km)
    return _any_of(geo.FIELD, inside) if inside else f'{geo.FIELD} = ""'  # no postcode is ""


# -- running -----------------------------------------------------------------------------------------
# A light hit (search(light=True)): only what identifies it and places it; the rest stays in its source.
_LIGHT = msgspec.json.Decoder(msgspec.defstruct("_LightHit", [("id", int), (geo.FIELD, str | None, None)]))


@lru_cache(maxsize=4096)
def _light_fields(source: bytes) -> tuple[int, str | None]:
    """A hit's id and office postcode from its JSON, read once per distinct hit: the same providers
    come back in search after search, and finding two fields means scanning all of a hit's ~3 KB
    (≈ 1.5 µs each; the lookup hashes the bytes, which a card's key then reuses)."""
    hit = _LIGHT.decode(source)
    return hit.id, getattr(hit, geo.FIELD)  # type: ignore[attr-defined]


def _finish(hit: dict[str, Any], covering: bool, p: SearchParams) -> dict[str, Any]:
    unpack(hit)
    code = hit.get(geo.FIELD)
    hit["location"] = geo.location(code)
    hit["distance_km"] = geo.km_to_postcode(p.place.lat, p.place.lon, code) if p.place else None
    hit["covers_place"] = covering if p.place else None
    return hit


def _sum_facets(*dists: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    if len(dists) == 1:  # one query's counts, as they are (with every facet present)
        return {**{f: {} for f in FACETS}, **(dists[0] or {})}
    out: dict[str, dict[str, int]] = {f: {} for f in FACETS}
    for dist in dists:
        for facet, counts in (dist or {}).items():
            summed = out.setdefault(facet, {})
            for value, n in counts.items():
                summed[value] = summed.get(value, 0) + n
    return out


async def search(engine: SearchEngine, p: SearchParams, retrieve: list[str] | None = None,
                 light: bool = False) -> SearchResult:
    """Run a search. Raises SearchUnavailable when Meilisearch cannot answer. The hits
    carry the fields in `retrieve` (default: all, RETRIEVE) plus location, distance and coverage.
    `light` hits carry only `id` and the office postcode plus distance and coverage: the
    rest stays in `sources`, as Meilisearch sent it (packed), for a caller that mostly needs none
    of it (the search page: a card rendered before is found by its source)."""
    covering, nearby = build_queries(p, retrieve)
    hits: list[dict[str, Any]] = []
    sources: list[bytes] = []

    place = p.place

    def take(raw_hits: list[msgspec.Raw], covers: bool) -> None:
        for raw in raw_hits:
            source = bytes(raw)
            sources.append(source)
            if light:  # nothing to unpack, and no `location`: a card shows distance and coverage only
                hit_id, postcode = _light_fields(source)
                hits.append({"id": hit_id, geo.FIELD: postcode,
                             "distance_km": geo.km_to_postcode(place.lat, place.lon, postcode) if place else None,
                             "covers_place": covers if place else None})
            else:
                hits.append(_finish(msgspec.json.decode(source), covers, p))

    if p.sort == "distance" and p.place is not None:
        pieces, counted = await _by_distance(engine, p, covering, nearby)
        for raw_hits, covers in pieces:
            take(raw_hits, covers)
        totals = [answer["totalHits"] for answer in counted]
        return SearchResult(hits, sum(totals), p.page, p.per_page,
                            _sum_facets(*(answer.get("facetDistribution") for answer in counted)),
                            covering_total=totals[0] if nearby is not None else None, sources=sources)
    covering.update(page=p.page, hitsPerPage=p.per_page, facets=FACETS)
    if nearby is None:
        (res,) = await engine.multi_search([covering], raw_hits=True)
        take(res["hits"], True)
        return SearchResult(hits, res["totalHits"], p.page, p.per_page, _sum_facets(res.get("facetDistribution")),
                            sources=sources)
    # Covering first, then nearby: page over the concatenation of the two result lists.
    first_nearby = {**nearby, "page": 1, "hitsPerPage": p.per_page, "facets": FACETS}
    res_c, res_n = await engine.multi_search([covering, first_nearby], raw_hits=True)
    n_cover = res_c["totalHits"]
    take(res_c["hits"], True)
    offset = (p.page - 1) * p.per_page
    want = p.per_page - len(hits)
    if want > 0:
        start = max(0, offset - n_cover)
        if start == 0:
            more = res_n["hits"][:want]
        else:
            (extra,) = await engine.multi_search([{**nearby, "offset": start, "limit": want}], raw_hits=True)
            more = extra["hits"]
        take(more, False)
    facets = _sum_facets(res_c.get("facetDistribution"), res_n.get("facetDistribution"))
    return SearchResult(hits, n_cover + res_n["totalHits"], p.page, p.per_page, facets, covering_total=n_cover,
                        sources=sources)


@dataclass(frozen=True)
class _Group:
    """Hits of one part (covering or nearby) at one distance: their office postcodes, or None for
    the part's hits without a known office (they come last)."""

    part: int
    codes: tuple[str, ...] | None
    count: int


def _groups(part: int, counts: Mapping[str, int], total: int, ranks: Mapping[str, int],
            need: int) -> list[_Group]:
    """The first groups of a part's hits, nearest first, from its counts per office postcode, until
    they hold `need` (≤ `total`) hits; cut at `total` (its `totalHits`: Meilisearch pages over at
    most `maxTotalHits` hits, however many match). The group without a known office comes last."""
    placed = sorted((ranks[code], code) for code in counts if code in ranks)
    out: list[_Group] = []
    held, i = 0, 0
    while i < len(placed) and held < need:
        j = i
        while j < len(placed) and placed[j][0] == placed[i][0]:
            j += 1
        codes = tuple(code for _, code in placed[i:j])
        n = min(total - held, sum(counts[c] for c in codes))
        out.append(_Group(part, codes, n))
        held, i = held + n, j
    if i == len(placed) and held < need:
        out.append(_Group(part, None, total - held))
    return out


async def _by_distance(engine: SearchEngine, p: SearchParams, covering: dict[str, Any], nearby: dict[str, Any] | None
                 ) -> tuple[list[tuple[list[msgspec.Raw], bool]], list[dict[str, Any]]]:
    """Nearest office first: count each part's hits per office postcode (one multi-search, which
    also brings the facets), order the postcodes by distance, then fetch only the slice of the
    groups this page covers (a second multi-search: a query per group cut at the page's edges and
    one for the whole groups between them). Providers without a known office come last in their part.
    Returns the page's hits in order, as (hits, from the covering part) pieces, and the counting
    answers (`totalHits` and facets per part)."""
    assert p.place is not None
    parts = [covering] if nearby is None else [covering, nearby]
    counting = [{**q, "page": 1, "hitsPerPage": 0, "facets": [*FACETS, geo.FIELD]} for q in parts]
    answers = await engine.multi_search(counting)
    ranks = geo.ranks(p.place.lat, p.place.lon)
    first, end = (p.page - 1) * p.per_page, p.page * p.per_page
    slices: list[tuple[_Group, int, int]] = []  # (group, offset in it, how many)
    groups: dict[int, list[_Group]] = {}  # per part: its groups up to the end of this page
    base = 0  # where the part starts in the whole list (covering, then nearby)
    for part, answer in enumerate(answers):
        counts = answer.get("facetDistribution", {}).pop(geo.FIELD, None) or {}
        total = answer["totalHits"]
        lo, hi = max(first - base, 0), min(end - base, total)  # this page's hits of this part
        at = 0
        for group in groups.setdefault(part, _groups(part, counts, total, ranks, hi) if lo < hi else []):
            a, b = max(lo, at), min(hi, at + group.count)
            if a < b:
                slices.append((group, a - at, b - a))
            at += group.count
        base += total
    queries: list[dict[str, Any]] = []
    wanted: list[list[tuple[_Group, int]]] = []  # per query: the groups its hits belong to, in order
    whole: dict[int, list[_Group]] = {}
    for group, offset, n in slices:
        if group.codes is not None and offset == 0 and n == group.count:
            whole.setdefault(group.part, []).append(group)  # fetched together below
            continue
        queries.append(_slice(parts[group.part], group, groups[group.part], offset, n))
        wanted.append([(group, n)])
    for part, together in whole.items():
        codes = tuple(c for g in together for c in g.codes or ())
        both = _Group(part, codes, sum(g.count for g in together))
        queries.append(_slice(parts[part], both, groups[part], 0, both.count))
        wanted.append([(g, g.count) for g in together])
    fetched: dict[_Group, list[msgspec.Raw]] = {}
    if queries:
        for answer, owners in zip(await engine.multi_search(queries, raw_hits=True), wanted):
            if len(owners) == 1:
                fetched[owners[0][0]] = answer["hits"]
                continue
            group_of = {c: g for g, _ in owners for c in g.codes or ()}
            for raw in answer["hits"]:  # in score order: split by group, keeping that order within each
                fetched.setdefault(group_of[geo.postcode_of(raw)], []).append(raw)
    return [(fetched.get(group, [])[:n], group.part == 0) for group, _, n in slices], answers


def _slice(query: dict[str, Any], group: _Group, groups: list[_Group], offset: int, limit: int) -> dict[str, Any]:
    """The query for `limit` hits of a group from `offset` (`groups`: all of its part's groups)."""
    if group.codes is not None:
        where = f'{geo.FIELD} = "{group.codes[0]}"' if len(group.codes) == 1 else _any_of(geo.FIELD, group.codes)
    else:  # the part's hits without a known office: none of the postcodes its other groups hold
        placed = tuple(c for g in groups if g.codes for c in g.codes)
        where = f"NOT {_any_of(geo.FIELD, placed)}" if placed else ""
    return {**query, "filter": [*query["filter"], *([where] if where else [])], "offset": offset, "limit": limit}


def with_page(p: SearchParams, page: int) -> SearchParams:
    return replace(p, page=page)
