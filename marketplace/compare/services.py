"""Compare 2–4 public providers: one column each, the same rows, read from the database (the truth)
through the public documents (`marketplace.providers.services.public_document`).

    ids = parse_ids(["12,15", "19"])                       # InvalidInput("ids", …) on bad input
    comparison = await compare(ids, postcode="8000", target_group="dagpenge", age_band="30-39")

The citizen's situation comes from the query (`postcode` or `municipality`, `target_group`,
`age_band`), else from the logged-in citizen's profile (`defaults`), and each row says which it used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from marketplace.errors import InvalidInput, NotFound
from marketplace.outcomes import services as outcomes
from marketplace.providers.services import public_document
from marketplace.reference import AGE_BANDS, TARGET_GROUPS, municipalities, resolve_place
from search import geo
from search.queries import Place

MIN_IDS, MAX_IDS = 2, 4


def parse_ids(values: Iterable[str]) -> list[int]:
    """Provider ids from `ids` parameters (repeated and/or comma separated), in the order given,
    without repeats. InvalidInput("ids", …) unless there are 2–4 whole numbers."""
    parts = [p.strip() for v in values for p in str(v).split(",") if p.strip()]
    if not parts:
        raise InvalidInput("ids", f"Vælg {MIN_IDS}–{MAX_IDS} aktører at sammenligne – sæt flueben ved aktørerne i "
                                  "søgeresultatet.",
                           f"Choose {MIN_IDS}–{MAX_IDS} providers to compare – tick them in the search results.")
    bad = [p for p in parts if not p.isdigit() or len(p) > 9]
    if bad:
        raise InvalidInput("ids", f"Ugyldigt aktør-id: {bad[0][:20]}. Angiv aktørernes id'er som tal adskilt af "
                                  "komma – fx ids=12,15.",
                           f"Invalid provider id: {bad[0][:20]}. Give the providers' ids as numbers separated by "
                           "commas – e.g. ids=12,15.")
    ids = list(dict.fromkeys(int(p) for p in parts))
    if len(ids) < MIN_IDS:
        raise InvalidInput("ids", f"Vælg mindst {MIN_IDS} forskellige aktører at sammenligne – du har valgt "
                                  f"{len(ids)}.",
                           f"Choose at least {MIN_IDS} different providers to compare – you chose {len(ids)}.")
    if len(ids) > MAX_IDS:
        raise InvalidInput("ids", f"Du kan sammenligne højst {MAX_IDS} aktører ad gangen – du har valgt {len(ids)}. "
                                  "Fjern nogle af dem.",
                           f"You can compare at most {MAX_IDS} providers at a time – you chose {len(ids)}. "
                           "Remove some of them.")
    return ids


@dataclass(frozen=True)
class Situation:
    """Whom the numbers are for: place, target group and age band, and whether from the profile."""

    place: Place | None = None
    place_from_profile: bool = False
    postcode: bool = False  # the place is a postcode (else a municipality centre)
    target_group: str | None = None
    age_band: str | None = None
    from_profile: bool = False  # target group / age band came from the profile


@dataclass
class Column:
    """One provider's column."""

    doc: dict[str, Any]
    covers: bool | None  # covers the citizen's municipality; None without a place
    distance_km: float | None
    stats: dict[str, Any] | None  # success rate and score for the target group (or overall)
    people: dict[str, Any] | None = None  # "people like me" numbers
    people_level: str | None = None  # target_group_age_band, target_group or overall
    method_version: str | None = None


@dataclass
class Comparison:
    situation: Situation
    columns: list[Column] = field(default_factory=list)


def situation_from(*, postcode: str = "", municipality: str = "", target_group: str = "", age_band: str = "",
                   defaults: dict[str, Any] | None = None) -> Situation:
    """The situation from the query, the profile's values filling what the query leaves empty.
    InvalidInput names a bad postcode, municipality, target group or age band."""
    defaults = defaults or {}
    postcode, municipality = postcode.strip(), municipality.strip()
    place, from_profile_place, is_postcode = None, False, False
    if postcode:
        found = resolve_place(postcode) if postcode.isdigit() and len(postcode) == 4 else None
        if found is None:
            raise InvalidInput("postcode", f"Ukendt postnummer: {postcode[:20]}. Indtast et dansk postnummer med 4 "
                                           "cifre – fx 8000.",
                               f"Unknown postcode: {postcode[:20]}. Enter a Danish 4-digit postcode, e.g. 8000.")
        place, is_postcode = Place(*found), True
    elif municipality:
        found = resolve_place(municipality) if not (municipality.isdigit() and len(municipality) == 4) else None
        if found is None:
            raise InvalidInput("municipality", f"Ukendt kommune: {municipality[:40]}. Brug en kommunekode (fx 751) "
                                               "eller et kommunenavn (fx Aarhus).",
                               f"Unknown municipality: {municipality[:40]}. Use a municipality code (e.g. 751) or "
                               "name (e.g. Aarhus).")
        place = Place(*found)
    elif defaults.get("municipality") in municipalities():
        m = municipalities()[defaults["municipality"]]
        place, from_profile_place = Place(m.code, m.lat, m.lon, m.name), True
    tg, band, from_profile = target_group.strip(), age_band.strip(), False
    if tg and tg not in TARGET_GROUPS:
        raise InvalidInput("target_group", f"Ukendt målgruppe: {tg[:40]}.", f"Unknown target group: {tg[:40]}.")
    if band and band not in AGE_BANDS:
        raise InvalidInput("age_band", f"Ukendt aldersgruppe: {band[:10]}.", f"Unknown age band: {band[:10]}.")
    if not tg and defaults.get("target_group") in TARGET_GROUPS:
        tg, from_profile = defaults["target_group"], True
        band = band or (defaults.get("age_band") if defaults.get("age_band") in AGE_BANDS else "")
    return Situation(place=place, place_from_profile=from_profile_place, postcode=is_postcode,
                     target_group=tg or None, age_band=(band or None) if tg else None, from_profile=from_profile)


async def compare(ids: list[int], situation: Situation) -> Comparison:
    """The comparison of these public providers for this situation. InvalidInput("ids", …) names
    every id that is not a public provider."""
    docs: list[dict[str, Any]] = []
    unknown: list[int] = []
    for pid in ids:
        try:
            docs.append(await public_document(pid))
        except NotFound:
            unknown.append(pid)
    if unknown:
        listed = ", ".join(str(i) for i in unknown)
        raise InvalidInput("ids", f"Ukendt aktør: {listed}. Aktøren findes ikke eller er ikke godkendt lige nu – "
                                  "vælg aktørerne fra søgeresultatet.",
                           f"Unknown provider: {listed}. The provider does not exist or is not approved at present – "
                           "choose the providers from the search results.")
    comparison = Comparison(situation)
    place, tg = situation.place, situation.target_group
    for doc in docs:
        column = Column(
            doc=doc,
            covers=(place.municipality in doc["municipalities"]) if place else None,
            distance_km=geo.distance_km(place.lat, place.lon, doc.get(geo.FIELD)) if place else None,
            stats=(doc.get("results_by_target_group") or {}).get(tg) if tg else doc.get("results"),
            method_version=doc.get("method_version"),
        )
        if tg:
            latest = await outcomes.latest_results(doc["id"])
            column.people, column.people_level = outcomes.choose_people_like_me(latest, tg, situation.age_band)
        comparison.columns.append(column)
    return comparison
