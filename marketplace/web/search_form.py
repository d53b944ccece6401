"""The search form's context: what the visitor typed (kept as typed, even when invalid) and every
filter's options, labelled in the visitor's language, with facet counts from the current result."""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, Callable, Hashable, Mapping
from urllib.parse import urlencode

import msgspec
from markupsafe import Markup

from marketplace.reference import LANGUAGES, PROVIDER_TYPES, REGIONS, SERVICES, TARGET_GROUPS, municipalities
from marketplace.reference.catalog import CAPACITIES, Label
from marketplace.web.fragments import Constant, MarkupStore
from marketplace.web.i18n import LABELS_IN, TEXTS_IN, format_number, format_percentage, translate
from search.documents import DETAIL, unpack
from search.queries import MAX_RADIUS_KM, SORTS

RADII = (5, 10, 25, 50, 100)


def _first(raw: Mapping[str, list[str]], name: str) -> str:
    values = raw.get(name) or []
    return values[0] if values else ""


def _all(raw: Mapping[str, list[str]], name: str) -> tuple[str, ...]:
    out: list[str] = []
    for v in raw.get(name) or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


_FACETS: dict[str, Mapping[str, Label]] = {
    "services": SERVICES, "languages": LANGUAGES, "type": PROVIDER_TYPES, "capacity": CAPACITIES,
}


def _facet(name: str, counts: Mapping[str, int] | None, lang: str) -> Constant:
    """A filter's options (value, label, count or None) for the counts of the current result."""
    labels = _FACETS[name]
    return _facet_options(name, lang, tuple(counts.get(slug, 0) for slug in labels) if counts else None)


@lru_cache(maxsize=2048)
def _facet_options(name: str, lang: str, counts: tuple[int, ...] | None) -> Constant:
    """Made once per language and set of counts, as a Constant: the field's reuse key
    (marketplace.web.fragments) then costs one hash by identity, not a walk over every option."""
    return Constant((slug, item.text(lang), counts[i] if counts is not None else None)
                    for i, (slug, item) in enumerate(_FACETS[name].items()))


@lru_cache(maxsize=2048)
def _region_options(counts: tuple[int, ...] | None) -> Constant:
    """The regions by name, with counts (as _facet_options)."""
    return Constant((str(code), name, counts[i] if counts is not None else None)
                    for i, (code, name) in enumerate(_REGIONS_BY_NAME))


_REGIONS_BY_NAME = tuple(sorted(REGIONS.items(), key=lambda kv: kv[1]))


@lru_cache(maxsize=1)
def municipality_groups() -> Constant:
    """Municipalities grouped by region and sorted by name, for <optgroup>s: (region name,
    ((code, name), …)) pairs, worked out once."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for m in sorted(municipalities().values(), key=lambda m: m.name):
        groups.setdefault(m.region_name, []).append((m.code, m.name))
    return Constant((region, tuple(items)) for region, items in sorted(groups.items()))


@lru_cache(maxsize=128)
def radius_options(lang: str, extra_km: int | None) -> Constant:
    """The distance choices, with `extra_km` among them when the address asks for a distance the
    list does not offer (a shared link with `radius_km=30`): the form then shows the distance the
    results were found within, and searching again keeps it."""
    kms = sorted({*RADII, extra_km}) if extra_km else RADII
    return Constant([("", translate("search.radius_any", lang))]
                    + [(str(km), translate("search.radius_km", lang, km=km)) for km in kms])


def _offered_radius(typed: str) -> int | None:
    """A valid distance from the address that the list does not offer, else None."""
    km = int(typed) if typed.isascii() and typed.isdigit() else None
    return km if km and km <= MAX_RADIUS_KM and km not in RADII else None


@lru_cache(maxsize=4)
def fixed_options(lang: str) -> dict[str, Constant]:
    """The search form's option lists that depend on the language only (worked out once per language)."""
    t = lambda key, **kw: translate(key, lang, **kw)  # noqa: E731
    return {
        "municipality_any_options": Constant([("", t("search.municipality_any"))]),
        "target_group_options": Constant([("", t("search.target_group_any"))]
                                         + [(slug, item.text(lang)) for slug, item in TARGET_GROUPS.items()]),
        "sort_options": Constant((s, t(f"sort.{s}")) for s in SORTS),
        "stars_options": Constant([("", "–")] + [(str(n), t("search.stars_min", n=n)) for n in (5, 4, 3)]),
        "fresh_facets": Constant([("true", t("search.fresh_yes"), None)]),
    }


def page_links(raw: Mapping[str, list[str]]) -> Callable[[int], str]:
    """`page_url(n)` for the pagination: this search's address with `page=n`."""
    return _page_links(tuple((k, tuple(values)) for k, values in raw.items() if k != "page"))


@lru_cache(maxsize=1024)
def _page_links(kept_params: tuple[tuple[str, tuple[str, ...]], ...]) -> Callable[[int], str]:
    """Worked out once per search, not once per link or per visit (quoting costs ~1 µs a value)."""
    kept = urlencode([(k, v) for k, values in kept_params for v in values])
    prefix = f"/?{kept}&page=" if kept else "/?page="
    return lambda n: f"{prefix}{n}"


@dataclass(frozen=True, slots=True)
class FormValues:
    """What the visitor typed into the search form, as typed (`form.q` in the template)."""

    q: str
    postcode: str
    municipality: str
    radius_km: str
    target_group: str
    sort: str
    service: tuple[str, ...]
    language: tuple[str, ...]
    type: tuple[str, ...]
    region: tuple[str, ...]
    capacity: tuple[str, ...]
    remote: str
    stars: str
    fresh: str


FORM_FIELDS = frozenset(f.name for f in fields(FormValues))  # the parameters the form has a field for


class FieldErrors(dict[str, str]):
    """Field → error message; a field without one is None: `field_errors["q"]` in the template (a
    subscript: no method call through Jinja for each of the form's fourteen fields)."""

    def __missing__(self, field: str) -> None:
        return None


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
        "form": FormValues(**values),
        "municipality_groups": municipality_groups(),
        # the <select> shows a code it knows; a name ("Aarhus") searches, but selects the empty choice
        "municipality_choice": values["municipality"] if values["municipality"].isdigit()
        and int(values["municipality"]) in municipalities() else "",
        **fixed_options(lang),
        "radius_options": radius_options(lang, _offered_radius(values["radius_km"])),
        "service_facets": _facet("services", facets.get("services"), lang),
        "language_facets": _facet("languages", facets.get("languages"), lang),
        "type_facets": _facet("type", facets.get("type"), lang),
        "capacity_facets": _facet("capacity", facets.get("capacity"), lang),
        "region_facets": _region_options(tuple(region_counts.get(str(code), 0) for code, _ in _REGIONS_BY_NAME)
                                         if region_counts else None),
        "remote_facets": (("true", t("search.remote_yes"), (facets.get("remote") or {}).get("true")),),
        "page_url": page_links(raw),
        "form_fields": FORM_FIELDS,  # the error summary links these to their field (not e.g. `page`)
        "has_filters": any(values[k] for k in ("service", "language", "type", "region", "capacity", "remote", "stars", "fresh")),
    }


# -- result cards ------------------------------------------------------------------------------------
# The document fields a result card shows: the search page asks Meilisearch for these only (`detail`
# carries the results, overall and by target group, and the service prices; search.documents).
CARD_FIELDS = [
    "id", "slug", "name", "type", "summary", "municipalities", "remote", "target_groups", "detail",
    "price_min", "price_max", "capacity", "waiting_weeks", "review_avg", "review_count", "stale", "office_postcode",
]


@dataclass(frozen=True, slots=True)
class CardView:
    """The texts of one search result card in the visitor's language, worked out in Python: the
    search page shows 20 cards, and each `t()`, label or filter call in Jinja costs ~10 µs.
    The template (`card` in components/provider.html) only places and escapes them."""

    doc: Mapping[str, Any]
    type_label: str
    target_group_label: str  # "" unless the card shows the chosen target group's numbers
    success_rate: str  # "" when no rate is shown
    courses: str  # "" when there are no courses
    stars: int
    stars_label: str
    reviews: str  # "" when there are no ratings
    covers: str
    target_groups: str
    services: str
    capacity_class: str
    capacity: str
    stale: bool


_CAPACITY_BADGE = {"waitlist": "badge-warning", "full": "badge-error"}


def _number(value: float | int | None, lang: str, digits: int = 0) -> str:
    return "" if value is None else format_number(value, lang, digits)


def card_view(doc: Mapping[str, Any], lang: str, target_group: str | None = None) -> CardView:
    """Everything the card macro shows for one hit (same texts as `t()` and the filters give);
    the hit may still have its `detail` packed (search.documents.unpack)."""
    if DETAIL in doc:
        doc = unpack(dict(doc))
    texts, labels = TEXTS_IN[lang], LABELS_IN[lang]
    tg_stats = (doc.get("results_by_target_group") or {}).get(target_group) if target_group else None
    stats = tg_stats or doc.get("results")
    rate = stats.get("success_rate") if stats else None
    courses = stats.get("courses") if stats else None
    stars = (stats.get("stars") if stats else None) or 0
    covers = doc.get("covers_place")
    distance = doc.get("distance_km")
    if covers:
        where = texts["card.covers_place"]
    elif covers is False and distance is not None:
        where = texts["card.nearby"].format(km=_number(distance, lang, 1))
    else:
        where = texts["card.covers_n"].format(n=len(doc.get("municipalities") or ()))
    if doc.get("remote"):
        where += " · " + texts["card.remote"]
    if covers and distance is not None:
        where += " · " + texts["card.distance"].format(km=_number(distance, lang, 1))
    service_prices = doc.get("service_prices") or []
    services = ", ".join(labels["service"].get(s["slug"], "") for s in service_prices[:4])
    if len(service_prices) > 4:
        services += " …"
    price_min, price_max = doc.get("price_min"), doc.get("price_max")
    if price_min is None:
        price = ""
    elif price_min == 0 and price_max == 0:
        price = texts["card.price_free"]
    else:
        price = texts["card.price_from"].format(price=_number(price_min, lang))
    capacity = doc.get("capacity")
    return CardView(
        doc=doc,
        type_label=labels["type"].get(doc.get("type"), ""),  # type: ignore[arg-type]
        target_group_label=labels["target_group"].get(target_group, "") if target_group and tg_stats else "",
        success_rate=format_percentage(rate, lang) if rate is not None else "",
        courses=texts["results.courses"].format(n=courses) if rate is not None or courses else "",
        stars=stars,
        stars_label=texts["card.stars"].format(n=stars) if stars else "",
        reviews=texts["card.reviews_value"].format(avg=_number(doc.get("review_avg"), lang, 1), n=doc["review_count"])
        if doc.get("review_count") else "",
        covers=where,
        target_groups=", ".join(labels["target_group"].get(tg, "") for tg in doc.get("target_groups") or ()),
        services=f"{services} · {price}",
        capacity_class=_CAPACITY_BADGE.get(capacity, "badge-success"),  # type: ignore[arg-type]
        capacity=(texts["capacity.waitlist"].format(weeks=doc.get("waiting_weeks")) if capacity == "waitlist"
                  else texts["capacity.full"] if capacity == "full" else texts["capacity.open"]),
        stale=bool(doc.get("stale")),
    )


# -- rendered cards, by what they show ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CardSlot:
    """One result on the search page: its card's HTML when an identical card was rendered before,
    else the view to render it from (and `key` to remember the result under)."""

    key: Hashable
    html: Markup | None
    view: CardView | None
    checked: bool  # ticked for comparison (`ids` in the query string)


class CardCache(MarkupStore):
    """The search page's rendered result cards, keyed by everything a card depends on: the hit as
    Meilisearch returned it (with distance and coverage), the language, the chosen target group
    and the comparison tick. A changed listing, result or rating is a different hit, so a
    different key: nothing to invalidate. A card is about a quarter of the page's rendering time,
    and the same providers show up in many different searches. Bounded (least recently used
    first out); one per process, used only from the event loop's thread."""

    def __init__(self, size: int = 2048) -> None:
        super().__init__(size)

    def slots(self, hits: list[Mapping[str, Any]], sources: list[bytes], lang: str, target_group: str | None,
              ticked: frozenset[str] = frozenset()) -> list[CardSlot]:
        """`hits` as search.queries.search returns them, light or whole; `sources`: each hit's JSON
        as Meilisearch sent it (SearchResult.sources). That, with what the search adds to the hit
        (coverage, distance), is the card's key; a card not rendered before is made from both."""
        out = []
        for doc, source in zip(hits, sources, strict=True):
            checked = str(doc.get("id")) in ticked
            key = (lang, target_group, checked, doc.get("covers_place"), doc.get("distance_km"), source)
            html = self.get(key)
            view = card_view({**msgspec.json.decode(source), **doc}, lang, target_group) if html is None else None
            out.append(CardSlot(key, html, view, checked))
        return out

    def remember(self, key: Hashable, html: Markup) -> Markup:
        """Keep a rendered card (called from the template) and return it."""
        return self.put(key, html)


CARDS = CardCache()
