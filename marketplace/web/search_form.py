"""The search form's context: what the visitor typed (kept as typed, even when invalid) and every
filter's options, labelled in the visitor's language, with facet counts from the current result."""
from __future__ import annotations

from typing import Any, Mapping

from marketplace.reference import LANGUAGES, PROVIDER_TYPES, REGIONS, SERVICES, TARGET_GROUPS, municipalities
from marketplace.reference.catalog import CAPACITIES, Label
from marketplace.web.i18n import translate
from search.queries import SORTS

RADII = (5, 10, 25, 50, 100)


def _first(raw: Mapping[str, list[str]], name: str) -> str:
    values = raw.get(name) or []
    return values[0] if values else ""


def _all(raw: Mapping[str, list[str]], name: str) -> list[str]:
    out: list[str] = []
    for v in raw.get(name) or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def _facet(labels: Mapping[str, Label], counts: Mapping[str, int] | None, lang: str) -> list[tuple[str, str, int | None]]:
    counts = counts or {}
    return [(slug, item.text(lang), counts.get(slug, 0) if counts else None) for slug, item in labels.items()]


def municipality_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    """Municipalities grouped by region and sorted by name, for <optgroup>s."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for m in sorted(municipalities().values(), key=lambda m: m.name):
        groups.setdefault(m.region_name, []).append((m.code, m.name))
    return sorted(groups.items())


def search_form_context(
    raw: Mapping[str, list[str]], facets: Mapping[str, Mapping[str, int]] | None, lang: str
) -> dict[str, Any]:
    """Values as typed plus the labelled option lists the template renders."""
    t = lambda key, **kw: translate(key, lang, **kw)  # noqa: E731
    facets = facets or {}
    values = {
        "q": _first(raw, "q"), "postcode": _first(raw, "postcode"), "municipality": _first(raw, "municipality"),
        "radius_km": _first(raw, "radius_km"), "target_group": _first(raw, "target_group"),
        "sort": _first(raw, "sort") or "best", "service": _all(raw, "service"), "language": _all(raw, "language"),
        "type": _all(raw, "type"), "region": _all(raw, "region"), "capacity": _all(raw, "capacity"),
        "remote": _first(raw, "remote"), "stars": _first(raw, "stars"), "fresh": _first(raw, "fresh"),
    }
    region_counts = facets.get("regions") or {}
    return {
        "form": values,
        "municipality_groups": municipality_groups(),
        "radius_options": [("", t("search.radius_any"))] + [(str(km), t("search.radius_km", km=km)) for km in RADII],
        "target_group_options": [("", t("search.target_group_any"))]
        + [(slug, item.text(lang)) for slug, item in TARGET_GROUPS.items()],
        "sort_options": [(s, t(f"sort.{s}")) for s in SORTS],
        "stars_options": [("", "–")] + [(str(n), t("search.stars_min", n=n)) for n in (5, 4, 3)],
        "service_facets": _facet(SERVICES, facets.get("services"), lang),
        "language_facets": _facet(LANGUAGES, facets.get("languages"), lang),
        "type_facets": _facet(PROVIDER_TYPES, facets.get("type"), lang),
        "capacity_facets": _facet(CAPACITIES, facets.get("capacity"), lang),
        "region_facets": [
            (str(code), name, region_counts.get(str(code), 0) if region_counts else None)
            for code, name in sorted(REGIONS.items(), key=lambda kv: kv[1])
        ],
        "remote_facets": [("true", t("search.remote_yes"), (facets.get("remote") or {}).get("true"))],
        "fresh_facets": [("true", t("search.fresh_yes"), None)],
        "has_filters": any(values[k] for k in ("service", "language", "type", "region", "capacity", "remote", "stars", "fresh")),
    }
