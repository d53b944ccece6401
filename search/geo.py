"""Where a provider is, for search: the postcode of its first office, placed at that postcode's
centre (the reference data in marketplace.reference).

The index keeps no coordinates. Meilisearch's own geo support (`_geo`, `_geoRadius`, `_geoPoint`)
rewrites its whole geo index on every document update: at 100,000 providers one approval took
0.6–1.1 s to become searchable, against about 40 ms without it (bench/index_settings.py). A provider's
office is given as an address and a postcode, and its coordinates are the postcode's centre (the
listing form, search.documents), so "within 25 km" is exactly "office postcode among the postcodes
whose centre lies within 25 km": a filter on `office_postcode`, worked out here from the ~1,100
postcodes. Sorting by distance groups the hits by office postcode and orders the groups by distance
(search.queries).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Iterable

import msgspec

from marketplace.reference import postcodes

FIELD = "office_postcode"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def office_postcode(offices: Iterable[dict[str, Any]]) -> str | None:
    """The search location of a listing: its first office's postcode, if the reference data knows
    it (None: no office, so no distance and not found by a radius)."""
    for office in offices:
        code = str(office.get("postcode") or "").strip()
        return code if code in postcodes() else None
    return None


def location(code: str | None) -> dict[str, float] | None:
    """The point a provider's distance is measured to: its office postcode's centre."""
    pc = postcodes().get(code) if code else None
    return {"lat": pc.lat, "lon": pc.lon} if pc else None


def distance_km(lat: float, lon: float, code: str | None) -> float | None:
    """Kilometres (one decimal) from a point to an office postcode's centre; None without one."""
    return distance_to(lat, lon, location(code))


@lru_cache(maxsize=16384)
def km_to_postcode(lat: float, lon: float, code: str | None) -> float | None:
    """`distance_km`, remembered per searched point and postcode: every search from a place
    measures its hits to the same few hundred office postcodes."""
    return distance_km(lat, lon, code)


def distance_to(lat: float, lon: float, point: dict[str, float] | None) -> float | None:
    """Kilometres (one decimal) from a point to a `location`; None without one."""
    return round(haversine_km(lat, lon, point["lat"], point["lon"]), 1) if point else None


_Located = msgspec.defstruct("_Located", [(FIELD, str | None, None)])


def postcode_of(hit: bytes) -> str | None:
    """A hit's office postcode, read from its JSON without decoding the rest."""
    return getattr(msgspec.json.decode(hit, type=_Located), FIELD)


@lru_cache(maxsize=512)
def rings(lat: float, lon: float) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """Every postcode by distance from a point, nearest first: (km, postcodes at that distance).
    Postcodes that share a centre share a ring. Cached per point (searched places are postcode and
    municipality centres: about 1,200 points)."""
    by_km: dict[float, list[str]] = {}
    for code, pc in postcodes().items():
        by_km.setdefault(haversine_km(lat, lon, pc.lat, pc.lon), []).append(code)
    return tuple((km, tuple(sorted(codes))) for km, codes in sorted(by_km.items()))


@lru_cache(maxsize=512)
def ranks(lat: float, lon: float) -> dict[str, int]:
    """Each postcode's ring (search.geo.rings) from a point: equal ranks, equal distance."""
    return {code: i for i, (_, codes) in enumerate(rings(lat, lon)) for code in codes}


def within(lat: float, lon: float, km: int) -> tuple[str, ...]:
    """The postcodes whose centre lies within `km` kilometres of a point (as Meilisearch's
    `_geoRadius` would: distance ≤ radius)."""
    out: list[str] = []
    for d, codes in rings(lat, lon):
        if d > km:
            break
        out.extend(codes)
    return tuple(sorted(out))
