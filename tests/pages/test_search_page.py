"""The citizen pages through HTTP: status and the visible Danish text."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from factories import Meili, app_client, form_values, index_all, make_provider, new_engine

from search.client import SearchEngine


@pytest.fixture(scope="module")
def engine(meili: Meili):
    """One index for the module, emptied after each test: one app, so templates compile once."""
    search_engine = new_engine(meili)
    yield search_engine
    search_engine.delete_index(search_engine.index_uid)


@pytest.fixture(autouse=True)
def empty_index(engine: SearchEngine):
    yield
    engine.wait(engine.index.delete_all_documents().task_uid)


@pytest.fixture(scope="module")
async def client(engine: SearchEngine):
    async with app_client(engine) as http:
        yield http


def visible_text(page: str) -> str:
    """The page's text without tags, entities decoded, whitespace collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# -- search page -----------------------------------------------------------------------------------
async def test_the_search_page_lists_the_public_providers(client, engine):
    await make_provider(name="Mentorhuset")
    await make_provider(name="Jobfabrikken")
    await make_provider(name="Suspenderet Aktør", status="suspended")
    await index_all(engine)

    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = visible_text(response.text)
    assert "Find en godkendt aktør" in text
    assert "2 aktører fundet" in text
    assert "Mentorhuset" in text and "Jobfabrikken" in text
    assert "Suspenderet Aktør" not in text


async def test_the_search_page_says_so_when_nothing_matches(client, engine):
    await make_provider(name="Mentorhuset", municipalities=[751])
    await index_all(engine)

    response = await client.get("/", params={"municipality": "101"})

    assert response.status_code == 200
    text = visible_text(response.text)
    assert "Ingen aktører passer til din søgning." in text
    assert "Mentorhuset" not in text


async def test_the_search_page_tells_how_many_cover_the_place_and_how_many_are_nearby(client, engine):
    await make_provider(name="Dækker Aarhus", municipalities=[751])
    await make_provider(name="Nær Silkeborg", municipalities=[740], postcode="8600")
    await index_all(engine)

    response = await client.get("/", params={"postcode": "8000", "radius_km": "50"})

    assert response.status_code == 200
    text = visible_text(response.text)
    assert "1 dækker 8000 Aarhus C, 1 ligger inden for 50 km" in text
    assert text.index("Dækker Aarhus") < text.index("Nær Silkeborg")


async def test_a_distance_the_form_does_not_offer_is_shown_as_chosen_and_kept(client, engine):
    """A shared link may ask for any distance from 1 to 300 km; the form must show it, or searching
    again would quietly drop to "only covering providers"."""
    await make_provider(name="Nær Silkeborg", municipalities=[740], postcode="8600")  # 44.7 km
    await index_all(engine)

    offered = await client.get("/", params={"postcode": "8000", "radius_km": "50"})
    unusual = await client.get("/", params={"postcode": "8000", "radius_km": "45"})

    assert form_values(offered.text)["radius_km"] == ["50"]
    assert form_values(unusual.text)["radius_km"] == ["45"]
    assert "Nær Silkeborg" in visible_text(unusual.text)
    assert "Også aktører inden for 45 km" in visible_text(unusual.text)
    assert "inden for 45 km" not in visible_text(offered.text)


async def test_the_search_page_keeps_a_valid_search_in_the_form(client, engine):
    await make_provider(name="Mentorhuset")
    await index_all(engine)

    response = await client.get("/", params={"q": "mentorhuset", "postcode": "8000", "sort": "name"})

    assert response.status_code == 200
    form = form_values(response.text)
    assert (form["q"], form["postcode"], form["sort"]) == (["mentorhuset"], ["8000"], ["name"])


async def test_the_search_page_links_to_the_next_page_of_results(client, engine):
    for n in range(3):
        await make_provider(name=f"Aktør {n}")
    await index_all(engine)

    response = await client.get("/", params={"per_page": "2", "sort": "name"})

    assert response.status_code == 200
    assert "Side 1 af 2" in visible_text(response.text)
    assert "page=2" in response.text


async def test_the_pagination_belongs_to_its_own_search_and_language_when_it_is_reused(client, engine):
    # The page reuses rendered pagination (marketplace.web.fragments): keyed by the search and language.
    for n in range(5):
        await make_provider(name=f"Aktør {n}")
    await index_all(engine)

    def next_link(text: str) -> str:
        return html.unescape(re.search(r'href="([^"]+)" rel="next"', text).group(1))

    fresh = {"Cache-Control": "no-cache"}  # rendered each time, not the popular-search cache's copy
    for _ in range(2):  # the second time the pagination comes from the store
        by_name = await client.get("/", params={"per_page": "2", "sort": "name"}, headers=fresh)
        by_text = await client.get("/", params={"per_page": "2", "sort": "name", "q": "Aktør"}, headers=fresh)
        english = await client.get("/", params={"per_page": "2", "sort": "name"}, headers=fresh, cookies={"lang": "en"})
        assert next_link(by_name.text) == "/?per_page=2&sort=name&page=2"
        assert next_link(by_text.text) == "/?per_page=2&sort=name&q=Akt%C3%B8r&page=2"
        assert "Side 1 af 3" in visible_text(by_name.text) and "Page 1 of 3" in visible_text(english.text)
        page3 = await client.get(next_link(by_name.text).removesuffix("&page=2") + "&page=3")
        assert "Side 3 af 3" in visible_text(page3.text) and 'rel="next"' not in page3.text


async def test_the_next_page_link_keeps_the_whole_search_and_shows_the_next_results(client, engine):
    for n in range(5):
        await make_provider(name=f"Mentoraktør {n}", services=[{"slug": "mentor", "price_dkk": 100 * n, "duration_weeks": 4},
                                                              {"slug": "jobsamtaler", "price_dkk": 0, "duration_weeks": 2}])
    await index_all(engine)
    search = [("q", "mentor støtte"), ("service", "mentor"), ("service", "jobsamtaler"), ("sort", "name"),
              ("per_page", "2"), ("page", "2")]

    page2 = await client.get("/", params=search)
    links = dict(re.findall(r'<a class="pagination-nav-link" href="([^"]+)" rel="(prev|next)"', page2.text))
    assert set(links.values()) == {"prev", "next"}
    nxt = html.unescape(next(href for href, rel in links.items() if rel == "next"))
    assert parse_qsl(urlsplit(nxt).query) == [(k, v) for k, v in search if k != "page"] + [("page", "3")]

    page3 = await client.get(nxt)
    assert page3.status_code == 200 and "Side 3 af 3" in visible_text(page3.text)
    assert re.findall(r'id="p-\d+-name"><a [^>]+>([^<]+)</a>', page3.text) == ["Mentoraktør 4"]


async def test_a_page_past_the_last_says_so_and_links_back_to_the_last_page(client, engine):
    for n in range(5):
        await make_provider(name=f"Aktør {n}")
    await index_all(engine)

    past = await client.get("/", params={"per_page": "2", "sort": "name", "page": "9"})
    assert past.status_code == 200
    text = visible_text(past.text)
    assert "5 aktører fundet" in text
    assert "Side 9 findes ikke. Søgningen har 3 sider." in text
    assert "Ingen aktører passer" not in text
    back = html.unescape(re.search(r'<a href="([^"]+)">Gå til den sidste side \(side 3\)</a>', past.text).group(1))
    assert parse_qsl(urlsplit(back).query) == [("per_page", "2"), ("sort", "name"), ("page", "3")]
    assert re.findall(r'id="p-\d+-name"><a [^>]+>([^<]+)</a>', (await client.get(back)).text) == ["Aktør 4"]

    one_page = await client.get("/", params={"sort": "name", "page": "4"}, cookies={"lang": "en"})
    text = visible_text(one_page.text)
    assert "Page 4 does not exist. The search has only one page." in text and "Go to the first page" in text


async def test_the_search_page_answers_503_saying_search_is_unavailable_when_meilisearch_is_down(down_client):
    response = await down_client.get("/", params={"q": "mentor"})

    assert response.status_code == 503
    text = visible_text(response.text)
    assert "Søgningen er midlertidigt utilgængelig" in text
    assert form_values(response.text)["q"] == ["mentor"]


# -- provider page ---------------------------------------------------------------------------------
async def test_the_provider_page_shows_the_approved_listing(client):
    await make_provider(name="Mentorhuset", slug="mentorhuset",
                        description="Vi hjælper ledige med en fast mentor gennem hele forløbet.",
                        services=[{"slug": "mentor", "price_dkk": 12500, "duration_weeks": 10}])

    response = await client.get("/providers/mentorhuset")

    assert response.status_code == 200
    text = visible_text(response.text)
    assert "Mentorhuset" in text
    assert "Vi hjælper ledige med en fast mentor gennem hele forløbet." in text
    assert "Mentorstøtte" in text
    assert "12.500 kr." in text
    assert "10 uger" in text


async def test_the_provider_page_of_a_suspended_provider_says_it_is_suspended(client):
    await make_provider(name="Pausen", slug="pausen", status="suspended")

    response = await client.get("/providers/pausen")

    assert response.status_code == 200
    assert "Aktøren er suspenderet og kan ikke vælges lige nu." in visible_text(response.text)


async def test_a_provider_without_an_approved_listing_has_no_page(client):
    await make_provider(name="Kladden", slug="kladden", approved=False)

    response = await client.get("/providers/kladden")

    assert response.status_code == 404
    assert "Siden findes ikke" in visible_text(response.text)


async def test_an_unknown_provider_page_answers_404_in_danish(client):
    response = await client.get("/providers/findes-ikke")

    assert response.status_code == 404
    text = visible_text(response.text)
    assert "Siden findes ikke" in text
    assert "Ingen godkendt aktør med adressen findes-ikke." in text


async def test_an_unknown_address_answers_404_in_danish(client):
    response = await client.get("/findes/ikke")

    assert response.status_code == 404
    assert "Siden findes ikke" in visible_text(response.text)


# -- information pages -----------------------------------------------------------------------------
async def test_the_method_page_explains_the_numbers_in_danish(client):
    response = await client.get("/metode")

    assert response.status_code == 200
    text = visible_text(response.text)
    assert "Mindst 20 forløb" in text
    assert "Wilson-interval" in text


async def test_the_freshness_filter_is_offered_and_hides_listings_not_recently_confirmed(engine, client):
    from datetime import datetime, timedelta, timezone

    from marketplace.providers.freshness import CONFIRM_EVERY_DAYS

    long_ago = datetime.now(timezone.utc) - timedelta(days=CONFIRM_EVERY_DAYS + 10)
    await make_provider(name="Gammel Aktør", last_confirmed_at=long_ago)
    await make_provider(name="Frisk Aktør")
    await index_all(engine)
    everything = await client.get("/", params={"sort": "name"})
    only_fresh = await client.get("/", params={"sort": "name", "fresh": "true"})
    assert 'name="fresh"' in everything.text and "Gammel Aktør" in everything.text
    assert "Frisk Aktør" in only_fresh.text and "Gammel Aktør" not in only_fresh.text
    assert 'name="fresh" value="true" class="form-checkbox checkbox-small" checked' in only_fresh.text


async def test_the_language_switch_renders_the_search_page_in_english_and_back(client):
    switched = await client.get("/sprog/en", params={"next": "/?q=mentor"})
    assert switched.status_code == 302 and switched.headers["location"] == "/?q=mentor"
    try:
        english = await client.get("/", params={"q": "mentor"})
        assert '<html lang="en"' in english.text
        assert "Find an approved provider" in english.text and "Find en godkendt aktør" not in english.text
    finally:
        client.cookies.delete("lang")
    danish = await client.get("/")
    assert '<html lang="da"' in danish.text and "Find en godkendt aktør" in danish.text


async def test_the_language_switch_in_the_header_comes_back_to_the_same_search(client):
    page = await client.get("/", params={"postcode": "8000", "radius_km": "25", "q": "æble & pære"})
    link = re.search(r'<a href="(/sprog/en\?next=[^"]*)"', page.text)
    assert link, "no language switch in the header"
    href = html.unescape(link.group(1))
    assert href == "/sprog/en?next=/%3Fpostcode%3D8000%26radius_km%3D25%26q%3D%25C3%25A6ble%2B%2526%2Bp%25C3%25A6re"
    try:
        switched = await client.get(href)
        assert switched.status_code == 302
        assert switched.headers["location"] == "/?postcode=8000&radius_km=25&q=%C3%A6ble+%26+p%C3%A6re"
        again = await client.get(switched.headers["location"])
        assert '<html lang="en"' in again.text and 'value="æble &amp; pære"' in again.text
    finally:
        client.cookies.delete("lang")
    provider_link = re.search(r'<a href="(/sprog/en\?next=[^"]*)"', (await client.get("/metode")).text)
    assert provider_link and html.unescape(provider_link.group(1)) == "/sprog/en?next=/metode"  # no query, no "?"
