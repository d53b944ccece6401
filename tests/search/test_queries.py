"""Citizen searches against a real Meilisearch index filled through the outbox."""
from __future__ import annotations

from typing import Any

import msgspec
import pytest
from factories import index_all, make_provider

from marketplace.errors import SearchUnavailable
from marketplace.providers.services import search_providers
from search import geo
from search.client import SearchEngine
from search.queries import SearchResult, parse_search_params


async def find(engine: SearchEngine, **raw: Any) -> SearchResult:
    """Search as the API does: raw query parameters → validated params → Meilisearch."""
    return await search_providers(engine, parse_search_params(raw))


def names(result: SearchResult) -> list[str]:
    return [hit["name"] for hit in result.hits]


# -- filters ---------------------------------------------------------------------------------------
async def test_municipality_filter_finds_only_providers_covering_that_municipality(engine):
    await make_provider(name="Aarhus Hjælp", municipalities=[751])
    await make_provider(name="Københavns Hjælp", municipalities=[101], postcode="2100")
    await index_all(engine)

    result = await find(engine, municipality="751")

    assert names(result) == ["Aarhus Hjælp"]
    assert result.total == 1


async def test_target_group_filter_finds_only_providers_with_that_target_group(engine):
    await make_provider(name="Dagpengeaktøren", target_groups=[{"slug": "dagpenge", "years": 3}])
    await make_provider(name="Sygeaktøren", target_groups=[{"slug": "sygedagpenge", "years": 3}])
    await index_all(engine)

    result = await find(engine, target_group="sygedagpenge")

    assert names(result) == ["Sygeaktøren"]


async def test_several_services_must_all_be_offered(engine):
    both = [{"slug": "jobsamtaler", "price_dkk": 4000, "duration_weeks": 6},
            {"slug": "mentor", "price_dkk": 6000, "duration_weeks": 12}]
    await make_provider(name="Begge Dele", services=both)
    await make_provider(name="Kun Mentor", services=[both[1]])
    await make_provider(name="Kun Samtaler", services=[both[0]])
    await index_all(engine)

    result = await find(engine, service=["jobsamtaler", "mentor"])

    assert names(result) == ["Begge Dele"]


async def test_languages_match_any_of_the_chosen_languages(engine):
    await make_provider(name="Dansktalende", languages=["da"])
    await make_provider(name="Engelsktalende", languages=["da", "en"])
    await make_provider(name="Arabisktalende", languages=["ar"])
    await index_all(engine)

    result = await find(engine, language=["en", "ar"], sort="name")

    assert names(result) == ["Arabisktalende", "Engelsktalende"]


async def test_type_filter_finds_only_that_provider_type(engine):
    await make_provider(name="Privat Jobhjælp", type="privat")
    await make_provider(name="Fagets A-kasse", type="a-kasse")
    await index_all(engine)

    result = await find(engine, type="a-kasse")

    assert names(result) == ["Fagets A-kasse"]


async def test_region_filter_finds_providers_covering_a_municipality_in_that_region(engine):
    await make_provider(name="Midtjysk Hjælp", municipalities=[751])
    await make_provider(name="Hovedstadens Hjælp", municipalities=[101, 147], postcode="2100")
    await index_all(engine)

    result = await find(engine, region="1084")

    assert names(result) == ["Hovedstadens Hjælp"]


async def test_facet_counts_count_the_matching_providers_per_value(engine):
    await make_provider(type="privat", languages=["da"], municipalities=[751])
    await make_provider(type="privat", languages=["da", "en"], municipalities=[751, 101])
    await make_provider(type="a-kasse", languages=["en"], municipalities=[101], capacity="full",
                        target_groups=[{"slug": "dagpenge", "years": 2}, {"slug": "fleksjob", "years": 1}])
    await index_all(engine)

    facets = (await find(engine)).facets

    assert facets["type"] == {"privat": 2, "a-kasse": 1}
    assert facets["languages"] == {"da": 2, "en": 2}
    assert facets["regions"] == {"1082": 2, "1084": 2}
    assert facets["capacity"] == {"open": 2, "full": 1}
    assert facets["target_groups"] == {"dagpenge": 3, "fleksjob": 1}
    assert facets["services"] == {"jobsamtaler": 3}


async def test_facet_counts_follow_the_active_filters(engine):
    await make_provider(type="privat", languages=["da"])
    await make_provider(type="a-kasse", languages=["da", "en"])
    await make_provider(type="a-kasse", languages=["en"])
    await index_all(engine)

    facets = (await find(engine, type="a-kasse")).facets

    assert facets["languages"] == {"da": 1, "en": 2}


# -- location --------------------------------------------------------------------------------------
async def test_postcode_without_radius_finds_only_providers_covering_its_municipality(engine):
    await make_provider(name="Dækker Aarhus", municipalities=[751], postcode="8600")
    await make_provider(name="Kontor i Aarhus", municipalities=[740], postcode="8000")
    await index_all(engine)

    result = await find(engine, postcode="8000")

    assert names(result) == ["Dækker Aarhus"]
    assert result.hits[0]["covers_place"] is True
    assert result.covering_total is None


async def test_radius_lists_covering_providers_first_then_nearby_ones_inside_the_radius(engine):
    await make_provider(name="Nær Skanderborg", municipalities=[746], postcode="8660")  # 25 km from 8000
    await make_provider(name="Nær Silkeborg", municipalities=[740], postcode="8600")  # 45 km
    await make_provider(name="Dækker Aarhus", municipalities=[751], postcode="9000")  # covers, office far
    await make_provider(name="Langt væk i Aalborg", municipalities=[851], postcode="9000")  # 102 km
    await index_all(engine)

    result = await find(engine, postcode="8000", radius_km="50")

    assert result.hits[0]["name"] == "Dækker Aarhus"
    assert result.hits[0]["covers_place"] is True
    assert sorted(names(result)[1:]) == ["Nær Silkeborg", "Nær Skanderborg"]
    assert [hit["covers_place"] for hit in result.hits[1:]] == [False, False]
    assert "Langt væk i Aalborg" not in names(result)
    assert (result.total, result.covering_total) == (3, 1)


async def test_nearby_hits_carry_their_distance_in_kilometres(engine):
    await make_provider(name="Nær Silkeborg", municipalities=[740], postcode="8600")
    await index_all(engine)

    result = await find(engine, postcode="8000", radius_km="50")

    assert result.hits[0]["distance_km"] == 44.7


async def test_municipality_name_with_radius_works_like_a_postcode(engine):
    await make_provider(name="Nær Silkeborg", municipalities=[740], postcode="8600")
    await make_provider(name="Dækker Aarhus", municipalities=[751])
    await index_all(engine)

    result = await find(engine, municipality="Aarhus", radius_km="50")

    assert names(result) == ["Dækker Aarhus", "Nær Silkeborg"]


# -- text ------------------------------------------------------------------------------------------
async def test_a_typo_in_the_name_still_finds_the_provider(engine):
    await make_provider(name="Mentorhuset")
    await make_provider(name="Jobfabrikken")
    await index_all(engine)

    result = await find(engine, q="mentorhusst")

    assert names(result) == ["Mentorhuset"]


async def test_a_danish_synonym_finds_a_listing_that_uses_another_word(engine):
    await make_provider(name="Ledighedshjælpen",
                        description="Vi hjælper ledige borgere i Aarhus med at finde fodfæste på arbejdsmarkedet.")
    await make_provider(name="Sygeaktøren", description="Vi hjælper sygemeldte tilbage.")
    await index_all(engine)

    result = await find(engine, q="arbejdsløs")

    assert names(result) == ["Ledighedshjælpen"]


# -- sorting ---------------------------------------------------------------------------------------
async def test_sorting_by_success_rate_puts_the_highest_first_and_providers_without_a_rate_last(engine):
    await make_provider(name="Uden tal")
    await make_provider(name="Lav", results={"courses": 40, "success_rate": 0.3, "score": 0.8})
    await make_provider(name="Høj", results={"courses": 40, "success_rate": 0.6, "score": 1.2})
    await index_all(engine)

    result = await find(engine, sort="success_rate")

    assert names(result) == ["Høj", "Lav", "Uden tal"]


async def test_sorting_by_score_puts_the_best_risk_adjusted_result_first_even_with_a_lower_raw_rate(engine):
    await make_provider(name="Uden tal")
    await make_provider(name="Let caseload", results={"courses": 40, "success_rate": 0.6, "score": 0.9})
    await make_provider(name="Svær caseload", results={"courses": 40, "success_rate": 0.3, "score": 1.3})
    await index_all(engine)

    result = await find(engine, sort="score")

    assert names(result) == ["Svær caseload", "Let caseload", "Uden tal"]


async def test_sorting_by_success_rate_for_a_target_group_uses_that_groups_rate(engine):
    tgs = [{"slug": "dagpenge", "years": 2}, {"slug": "fleksjob", "years": 2}]
    await make_provider(name="God til fleksjob", target_groups=tgs,
                        results={"courses": 80, "success_rate": 0.3},
                        results_by_target_group={"fleksjob": {"courses": 40, "success_rate": 0.7}})
    await make_provider(name="Bedst samlet", target_groups=tgs,
                        results={"courses": 80, "success_rate": 0.6},
                        results_by_target_group={"fleksjob": {"courses": 40, "success_rate": 0.2}})
    await index_all(engine)

    result = await find(engine, sort="success_rate", target_group="fleksjob")

    assert names(result) == ["God til fleksjob", "Bedst samlet"]


async def test_sorting_by_reviews_puts_the_best_average_first_and_unreviewed_providers_last(engine):
    await make_provider(name="Ingen anmeldelser")
    await make_provider(name="Middel", reviews=[2, 3])
    await make_provider(name="Roses", reviews=[5, 5])
    await index_all(engine)

    result = await find(engine, sort="reviews")

    assert names(result) == ["Roses", "Middel", "Ingen anmeldelser"]
    assert [hit["review_avg"] for hit in result.hits] == [5.0, 2.5, None]
    assert [hit["review_count"] for hit in result.hits] == [2, 2, 0]


async def test_sorting_by_price_puts_the_cheapest_first_and_providers_without_a_price_last(engine):
    await make_provider(name="Uden pris", services=[{"slug": "jobsamtaler", "price_dkk": None, "duration_weeks": 8}])
    await make_provider(name="Dyr", services=[{"slug": "jobsamtaler", "price_dkk": 8000, "duration_weeks": 8}])
    await make_provider(name="Billig", services=[{"slug": "jobsamtaler", "price_dkk": 3000, "duration_weeks": 8}])
    await index_all(engine)

    result = await find(engine, sort="price")

    assert names(result) == ["Billig", "Dyr", "Uden pris"]


async def test_sorting_by_distance_puts_the_nearest_office_first_and_providers_without_an_office_last(engine):
    await make_provider(name="Uden kontor", offices=[])
    await make_provider(name="Silkeborg", postcode="8600")
    await make_provider(name="Aarhus C", postcode="8000")
    await make_provider(name="Skanderborg", postcode="8660")
    await index_all(engine)

    result = await find(engine, postcode="8000", sort="distance")

    assert names(result) == ["Aarhus C", "Skanderborg", "Silkeborg", "Uden kontor"]
    assert [hit["distance_km"] for hit in result.hits] == [0.0, 24.7, 44.7, None]


# (name, municipalities, office postcode or None, score): around 8000 Aarhus C (municipality 751).
# Several share an office postcode (8000, 8600, 8660), so groups are cut at page edges; two have no
# office; 8200 and 8210 are different postcodes at different distances.
NEAR_AARHUS = [
    ("Dækker 8000 a", [751], "8000", 0.9), ("Dækker 8000 b", [751], "8000", 1.3), ("Dækker 8000 c", [751], "8000", 1.1),
    ("Dækker 8210", [751], "8210", 1.0), ("Dækker 8200", [751], "8200", 0.7), ("Dækker uden kontor a", [751], None, 1.2),
    ("Dækker uden kontor b", [751], None, 0.8), ("Dækker Aalborg", [751], "9000", 1.4),
    ("Nær 8660 a", [746], "8660", 1.0), ("Nær 8660 b", [746], "8660", 1.2), ("Nær 8600 a", [740], "8600", 0.6),
    ("Nær 8600 b", [740], "8600", 1.5), ("Nær 8600 c", [740], "8600", 1.1), ("Nær 8700", [615], "8700", 0.9),
    ("Langt væk 9000", [851], "9000", 1.6), ("Nær uden kontor", [746], None, 2.0),
]


async def _near_aarhus() -> None:
    for name, munis, postcode, score in NEAR_AARHUS:
        await make_provider(name=name, municipalities=munis, postcode=postcode,
                            **({"offices": []} if postcode is None else {}),
                            results={"courses": 40, "success_rate": 0.4, "score": score})


def _expected_by_distance(radius_km: float | None) -> list[str]:
    """Covering providers by distance to 8000's centre (no office last), each distance by score;
    then, within the radius, the others the same way."""
    here = geo.location("8000")

    def key(row: tuple) -> tuple:
        _, _, postcode, score = row
        there = geo.location(postcode) if postcode else None
        km = geo.haversine_km(here["lat"], here["lon"], there["lat"], there["lon"]) if there else float("inf")
        return km, -score

    covering = sorted((r for r in NEAR_AARHUS if 751 in r[1]), key=key)
    nearby = sorted((r for r in NEAR_AARHUS if 751 not in r[1] and r[2] is not None and radius_km is not None
                     and key(r)[0] <= radius_km), key=key)
    return [r[0] for r in covering + nearby]


@pytest.mark.parametrize("per_page", [1, 2, 3, 4, 7, 20])
async def test_sorting_by_distance_pages_through_covering_then_nearby_providers_nearest_first(engine, per_page):
    await _near_aarhus()
    await index_all(engine)
    expected = _expected_by_distance(50)
    assert expected[:9] == ["Dækker 8000 b", "Dækker 8000 c", "Dækker 8000 a", "Dækker 8210", "Dækker 8200",
                            "Dækker Aalborg", "Dækker uden kontor a", "Dækker uden kontor b", "Nær 8660 b"]
    assert "Langt væk 9000" not in expected and "Nær uden kontor" not in expected

    pages, seen = [], []
    for page in range(1, 30):
        result = await find(engine, postcode="8000", radius_km="50", sort="distance", per_page=str(per_page), page=str(page))
        assert (result.total, result.covering_total) == (len(expected), 8)
        assert len(result.hits) == len(result.sources)
        if not result.hits:
            break
        pages.append(result)
        seen.extend(names(result))

    assert seen == expected
    assert len(pages) == -(-len(expected) // per_page)
    hits = [hit for p in pages for hit in p.hits]
    assert [hit["covers_place"] for hit in hits] == [True] * 8 + [False] * (len(expected) - 8)
    distances = [hit["distance_km"] for hit in hits]
    assert distances[:3] == [0.0, 0.0, 0.0] and distances[6:8] == [None, None]
    assert distances[8:] == sorted(distances[8:])
    assert pages[0].facets["type"] == {"privat": len(expected)}
    assert "office_postcode" not in pages[0].facets


async def test_sorting_by_distance_without_a_radius_orders_the_covering_providers_only(engine):
    await _near_aarhus()
    await index_all(engine)

    result = await find(engine, postcode="8000", sort="distance", per_page="20")

    assert names(result) == _expected_by_distance(None)
    assert (result.total, result.covering_total) == (8, None)


async def test_a_radius_takes_exactly_the_offices_whose_postcode_centre_is_within_it(engine):
    """8000 → 8660 Skanderborg is 24.7 km between postcode centres: in at 25 km, out at 24 km."""
    await make_provider(name="Skanderborg", municipalities=[746], postcode="8660")
    await make_provider(name="Ingen kontor", municipalities=[746], offices=[])
    await index_all(engine)

    assert names(await find(engine, postcode="8000", radius_km="25")) == ["Skanderborg"]
    assert names(await find(engine, postcode="8000", radius_km="24")) == []
    assert names(await find(engine, postcode="8000", radius_km="1")) == []


async def test_sorting_by_name_orders_alphabetically(engine):
    for name in ("Charlie Job", "Alfa Job", "Bravo Job"):
        await make_provider(name=name)
    await index_all(engine)

    result = await find(engine, sort="name")

    assert names(result) == ["Alfa Job", "Bravo Job", "Charlie Job"]


# -- paging ----------------------------------------------------------------------------------------
async def test_page_two_holds_the_hits_that_did_not_fit_on_page_one(engine):
    for name in ("A", "B", "C", "D", "E"):
        await make_provider(name=f"Aktør {name}")
    await index_all(engine)

    first = await find(engine, sort="name", per_page="3")
    second = await find(engine, sort="name", per_page="3", page="2")

    assert names(first) == ["Aktør A", "Aktør B", "Aktør C"]
    assert names(second) == ["Aktør D", "Aktør E"]
    assert (first.total, second.total, second.pages) == (5, 5, 2)


async def test_paging_runs_from_covering_providers_into_nearby_ones_across_the_boundary(engine):
    for name in ("Dækker 1", "Dækker 2", "Dækker 3"):
        await make_provider(name=name, municipalities=[751])
    for name in ("Nær 1", "Nær 2"):
        await make_provider(name=name, municipalities=[740], postcode="8600")
    await index_all(engine)

    pages = [await find(engine, postcode="8000", radius_km="50", sort="name", per_page="2", page=str(n))
             for n in (1, 2, 3)]

    assert [names(p) for p in pages] == [["Dækker 1", "Dækker 2"], ["Dækker 3", "Nær 1"], ["Nær 2"]]
    assert [hit["covers_place"] for hit in pages[1].hits] == [True, False]
    assert {(p.total, p.covering_total, p.pages) for p in pages} == {(5, 3, 3)}


async def test_a_page_past_the_covering_providers_holds_only_nearby_ones(engine):
    await make_provider(name="Dækker 1", municipalities=[751])
    for name in ("Nær 1", "Nær 2", "Nær 3", "Nær 4"):
        await make_provider(name=name, municipalities=[740], postcode="8600")
    await index_all(engine)

    third = await find(engine, postcode="8000", radius_km="50", sort="name", per_page="2", page="3")

    assert names(third) == ["Nær 4"]


async def test_each_hit_comes_with_its_json_as_meilisearch_sent_it(engine):
    """`SearchResult.sources` (what the search page keys its cards by) line up with the hits,
    through the covering, nearby and extra queries."""
    await make_provider(name="Dækker 1", municipalities=[751])
    for name in ("Nær 1", "Nær 2", "Nær 3"):
        await make_provider(name=name, municipalities=[740], postcode="8600")
    await index_all(engine)

    for page in ("1", "2"):
        result = await find(engine, postcode="8000", radius_km="50", sort="name", per_page="2", page=page)
        assert result.sources is not None and len(result.sources) == len(result.hits) == 2
        for hit, source in zip(result.hits, result.sources):
            sent = msgspec.json.decode(source)
            assert (sent["id"], sent["name"]) == (hit["id"], hit["name"])
            assert hit["office_postcode"] == sent["office_postcode"] is not None
            assert hit["location"] == geo.location(sent["office_postcode"]) is not None


async def test_a_bad_query_still_raises_search_unavailable_with_meilisearchs_message(engine):
    with pytest.raises(SearchUnavailable) as raised:
        await engine.multi_search([{"q": "", "filter": "no_such_attribute = 1"}], raw_hits=True)
    assert raised.value.detail.startswith("invalid_search_filter: ")


def test_a_light_hit_is_read_from_its_own_json_whatever_was_read_before():
    """Light hits (the search page's) take id and office postcode from each hit's JSON, remembered
    by that JSON: a listing whose office moved is another JSON, so it is read anew."""
    from search.queries import _light_fields

    before = b'{"id":7,"name":"Flytteren","office_postcode":"8000","detail":"{}"}'
    after = b'{"id":7,"name":"Flytteren","office_postcode":"8200","detail":"{}"}'
    assert _light_fields(before) == (7, "8000")
    assert _light_fields(after) == (7, "8200")
    hits = _light_fields.cache_info().hits
    assert _light_fields(bytes(bytearray(before))) == (7, "8000")  # equal bytes: remembered
    assert _light_fields.cache_info().hits == hits + 1
    assert _light_fields(b'{"id":8}') == (8, None)  # no office
