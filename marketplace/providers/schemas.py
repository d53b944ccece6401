"""API shapes for providers (msgspec Structs: they document /schema and validate output)."""
from __future__ import annotations

from typing import Any

import msgspec

from search import geo


class ResultStats(msgspec.Struct, kw_only=True):
    """Results for a provider, overall or for one target group. Rates are shares (0–1); every
    number but `courses` is null below the minimum number of courses."""

    courses: int
    success_rate: float | None = None
    success_low: float | None = None
    success_high: float | None = None
    expected_rate: float | None = None
    score: float | None = None
    score_low: float | None = None
    score_high: float | None = None
    stars: int | None = None
    as_expected: bool | None = None
    weeks_to_job_median: float | None = None
    weeks_to_job_low: float | None = None
    weeks_to_job_high: float | None = None
    weeks_to_job_count: int | None = None
    retention_rate: float | None = None
    retention_low: float | None = None
    retention_high: float | None = None
    retention_count: int | None = None


class ServicePrice(msgspec.Struct):
    slug: str
    price_dkk: int | None
    duration_weeks: int | None


class Office(msgspec.Struct):
    city: str
    postcode: str


class Location(msgspec.Struct):
    lat: float
    lon: float


class ProviderOut(msgspec.Struct, kw_only=True):
    """A public provider as the API shows it (search hit and detail alike)."""

    id: int
    slug: str
    cvr: str
    name: str
    type: str
    summary: str
    municipalities: list[int]
    regions: list[int]
    remote: bool
    target_groups: list[str]
    services: list[str]
    service_prices: list[ServicePrice]
    price_min: int | None
    price_max: int | None
    languages: list[str]
    capacity: str
    waiting_weeks: int
    first_contact_days: int
    offices: list[Office]
    results: ResultStats | None
    results_by_target_group: dict[str, ResultStats]
    method_version: str | None
    review_avg: float | None
    review_count: int
    last_confirmed_at: str | None
    stale: bool
    company_oriented: bool
    location: Location | None = None
    distance_km: float | None = None
    covers_place: bool | None = None


class PlaceOut(msgspec.Struct):
    municipality: int
    lat: float
    lon: float
    label: str


class SearchOut(msgspec.Struct, kw_only=True):
    """One page of search results with facet counts."""

    hits: list[ProviderOut]
    total: int
    page: int
    per_page: int
    pages: int
    facets: dict[str, dict[str, int]]
    place: PlaceOut | None = None
    covering_total: int | None = None


def provider_out(doc: dict[str, Any]) -> ProviderOut:
    """A document or hit → ProviderOut (extra index-only fields are dropped)."""
    doc = dict(doc)
    if "location" not in doc:
        doc["location"] = geo.location(doc.get(geo.FIELD))
    return msgspec.convert(doc, ProviderOut, strict=False)
