"""Build the public search document of a provider (pure: no I/O).

Only providers with status `active` and an approved revision have a document; everything else is
deleted from the index. The document carries what search filters, sorts and facets on, and what a
result card and the JSON API show.

Two shapes of the same document: `provider_document` is the public one (what the API and the
pages show); `index_document` is how Meilisearch stores it, with the fields that are only shown,
never searched, filtered or sorted on (DETAIL_FIELDS: nested objects, ~200 keys with the results
per target group) packed into one JSON string, `detail`. Meilisearch spends time on every key of
every hit it returns, whatever `attributesToRetrieve` asks for: 20 hits of 10,000 took 3.2 ms with
the results per target group as nested objects and 0.85 ms as one string (bench/document_shape.py).
`unpack` turns a hit back into the public shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from marketplace.reference import LANGUAGES, PROVIDER_TYPES, SERVICES, TARGET_GROUPS, municipalities
from search import geo

SUMMARY_CHARS = 280


@dataclass(frozen=True, slots=True)
class ProviderSnapshot:
    """What the document builder needs, read from the database by the caller."""

    provider: dict[str, Any]  # Provider row: id, cvr, name, slug, type, status, last_confirmed_at
    revision: dict[str, Any] | None  # the approved ListingRevision row (JSON columns loaded)
    results: dict[str, Any] = field(default_factory=dict)  # overall ResultStats dict
    results_by_target_group: dict[str, dict[str, Any]] = field(default_factory=dict)
    review_avg: float | None = None
    review_count: int = 0
    stale: bool = False
    method_version: str | None = None


def is_public(snapshot: ProviderSnapshot) -> bool:
    """A provider is in the index only while active and with an approved listing."""
    return snapshot.provider["status"] == "active" and snapshot.revision is not None


def _summary(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


DETAIL_FIELDS = ("results", "results_by_target_group", "service_prices", "offices", "target_group_years")
DETAIL = "detail"


def index_document(snap: ProviderSnapshot) -> dict[str, Any]:
    """The document as the index stores it: `provider_document` with DETAIL_FIELDS packed into
    the JSON string `detail`."""
    doc = provider_document(snap)
    doc[DETAIL] = msgspec.json.encode({k: doc.pop(k) for k in DETAIL_FIELDS}).decode()
    return doc


def unpack(hit: dict[str, Any]) -> dict[str, Any]:
    """An index document or hit → the public shape (in place; returns it). A hit without
    `detail` (not retrieved) is left as it is."""
    packed = hit.pop(DETAIL, None)
    if packed is not None:
        hit.update(msgspec.json.decode(packed))
    return hit


def provider_document(snap: ProviderSnapshot) -> dict[str, Any]:
    """The public document of a public provider (what the API and the pages show)."""
    p, r = snap.provider, snap.revision
    assert r is not None, "only public providers have a document"
    munis = municipalities()
    codes = sorted({int(c) for c in r["municipalities"] if int(c) in munis})
    regions = sorted({munis[c].region_code for c in codes})
    tgs = [t["slug"] for t in r["target_groups"] if t["slug"] in TARGET_GROUPS]
    services = [s for s in r["services"] if s["slug"] in SERVICES]
    prices = [int(s["price_dkk"]) for s in services if s.get("price_dkk") is not None]
    offices = r["offices"] or []
    doc: dict[str, Any] = {
        "id": p["id"],
        "slug": p["slug"],
        "cvr": p["cvr"],
        "name": p["name"],
        "type": p["type"],
        "type_name": PROVIDER_TYPES[p["type"]].da if p["type"] in PROVIDER_TYPES else p["type"],
        "summary": _summary(r["description"]),
        "municipalities": codes,
        "municipality_names": [munis[c].name for c in codes],
        "regions": regions,
        "region_names": sorted({munis[c].region_name for c in codes}),
        "remote": bool(r["remote"]),
        "target_groups": tgs,
        "target_group_names": [TARGET_GROUPS[t].da for t in tgs],
        "target_group_years": {t["slug"]: t.get("years") for t in r["target_groups"] if t["slug"] in TARGET_GROUPS},
        "services": [s["slug"] for s in services],
        "service_names": [SERVICES[s["slug"]].da for s in services],
        "company_oriented": any(SERVICES[s["slug"]].company_oriented for s in services),
        "service_prices": [
            {"slug": s["slug"], "price_dkk": s.get("price_dkk"), "duration_weeks": s.get("duration_weeks")}
            for s in services
        ],
        "price_min": min(prices) if prices else None,
        "price_max": max(prices) if prices else None,
        "languages": [code for code in r["languages"] if code in LANGUAGES],
        "capacity": r["capacity"],
        "waiting_weeks": r["waiting_weeks"] if r["capacity"] == "waitlist" else 0,
        "first_contact_days": r["first_contact_days"],
        "offices": [{"city": o.get("city", ""), "postcode": o.get("postcode", "")} for o in offices],
        "office_cities": sorted({o.get("city", "") for o in offices if o.get("city")}),
        "results": snap.results or None,
        "results_by_target_group": snap.results_by_target_group or {},
        "method_version": snap.method_version,
        "review_avg": round(snap.review_avg, 2) if snap.review_avg is not None else None,
        "review_count": snap.review_count,
        "last_confirmed_at": _iso(p.get("last_confirmed_at")),
        "stale": snap.stale,
        "revision": r["number"],
    }
    # Where search measures distance from (search.geo): null without an office, so the field is always there.
    doc[geo.FIELD] = geo.office_postcode(offices)
    # Flat sort keys; left out (not null) where there is no number, so such providers sort last.
    overall = snap.results or {}
    if overall.get("score") is not None:
        doc["score"] = overall["score"]
    if overall.get("success_rate") is not None:
        doc["success_rate"] = overall["success_rate"]
    if overall.get("stars") is not None:
        doc["stars"] = overall["stars"]
    doc["score_by_tg"] = {
        tg: v["score"] for tg, v in doc["results_by_target_group"].items() if v.get("score") is not None
    }
    doc["success_by_tg"] = {
        tg: v["success_rate"] for tg, v in doc["results_by_target_group"].items() if v.get("success_rate") is not None
    }
    return doc
