"""Search result cards (marketplace.web.search_form): the search page asks Meilisearch only for the
fields a card shows (`CARD_FIELDS`), so a card built from those fields must say exactly what a card
built from the whole document says, for every kind of card."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

import msgspec
from factories import index_all, make_provider, office
from markupsafe import Markup

from marketplace.db import write_transaction
from marketplace.providers.services import search_providers
from marketplace.providers.tables import ListingRevision
from marketplace.web.search_form import CARD_FIELDS, CARDS, CardCache, card_view
from search import outbox
from search.client import SearchEngine
from search.queries import parse_search_params

SEARCHES: list[dict[str, Any]] = [
    {},
    {"target_group": "dagpenge"},
    {"target_group": "sygedagpenge", "sort": "success_rate"},
    {"postcode": "8000", "radius_km": "100"},
    {"postcode": "8000", "radius_km": "100", "target_group": "dagpenge", "sort": "distance"},
    {"municipality": "101", "target_group": "dagpenge"},
]


async def make_varied_providers() -> None:
    """Cards of every shape: results overall and by target group or none, ratings or none, free,
    priced or unpriced services, waiting list, full, stale, remote, covering or only nearby."""
    many_services = [{"slug": s, "price_dkk": p, "duration_weeks": 8} for s, p in
                     (("jobsamtaler", 4000), ("mentor", 6500), ("jobsoegning", 1200),
                      ("virksomhedspraktik", None), ("opkvalificering", 9000))]
    await make_provider(
        name="Tal og Stjerner", reviews=[5, 4, 4],
        results={"courses": 120, "success_rate": 0.41, "score": 1.2, "stars": 4},
        results_by_target_group={"dagpenge": {"courses": 80, "success_rate": 0.45, "score": 1.3, "stars": 5},
                                 "sygedagpenge": {"courses": 9}},
        services=many_services, languages=["da", "en", "ar"], municipalities=[751, 101, 461],
    )
    await make_provider(name="Gratis Hjælp", services=[{"slug": "jobsamtaler", "price_dkk": 0, "duration_weeks": 4}],
                        capacity="waitlist", waiting_weeks=6, remote=True,
                        results={"courses": 12}, results_by_target_group={"dagpenge": {"courses": 12}})
    await make_provider(name="Fuldt Hus", capacity="full", municipalities=[101], offices=[office("2100")],
                        target_groups=[{"slug": "dagpenge", "years": 2}, {"slug": "sygedagpenge", "years": 1}],
                        results={"courses": 30, "success_rate": 0.2, "score": 0.8, "stars": 2})
    await make_provider(name="Nabo Uden Dækning", municipalities=[461], offices=[office("8600")],
                        services=[{"slug": "mentor", "price_dkk": None, "duration_weeks": None}])


def card_views(hits: list[Any], lang: str, target_group: str | None) -> list[Any]:
    return [card_view(hit, lang, target_group) for hit in hits]


def card_texts(views: list[Any]) -> list[dict[str, Any]]:
    """Everything a card shows: the texts, and the document fields the template reads itself."""
    out = []
    for view in views:
        texts = {k: v for k, v in asdict(view).items() if k != "doc"}
        texts.update({k: view.doc.get(k) for k in ("id", "slug", "name", "summary")})
        out.append(texts)
    return out


async def test_cards_from_the_card_fields_say_what_cards_from_whole_documents_say(engine: SearchEngine):
    await make_varied_providers()
    await index_all(engine)

    shapes = set()
    for raw in SEARCHES:
        params = parse_search_params(raw)
        whole = await search_providers(engine, params)
        light = await search_providers(engine, params, CARD_FIELDS, light=True)  # as the page asks
        assert all(set(hit) == {"id", "office_postcode", "distance_km", "covers_place"}
                   for hit in light.hits)  # the rest is in the sources, as Meilisearch sent it
        placed = ("id", "office_postcode", "distance_km", "covers_place")
        assert [[h[k] for k in placed] for h in light.hits] == [[h[k] for k in placed] for h in whole.hits], raw
        assert all(b'"detail":' in source for source in light.sources)
        assert whole.total == light.total and whole.total > 0, raw
        for lang in ("da", "en"):
            expected = card_texts(card_views(whole.hits, lang, params.target_group))
            as_the_page_does = CardCache(size=0).slots(light.hits, light.sources, lang, params.target_group)
            assert card_texts([slot.view for slot in as_the_page_does]) == expected, (raw, lang)
        shapes.update((bool(c["success_rate"]), bool(c["reviews"]), bool(c["target_group_label"]), c["capacity_class"])
                      for c in card_texts(card_views(whole.hits, "da", params.target_group)))
    # The searches did show the different kinds of card (a comparison of empty cards proves nothing).
    assert {s[0] for s in shapes} == {True, False} and {s[1] for s in shapes} == {True, False}
    assert {s[2] for s in shapes} == {True, False}
    assert {s[3] for s in shapes} == {"badge-success", "badge-warning", "badge-error"}


async def test_the_card_fields_leave_out_what_a_card_does_not_show(engine: SearchEngine):
    await make_varied_providers()
    await index_all(engine)
    params = parse_search_params({"target_group": "dagpenge"})

    whole = await search_providers(engine, params)
    light = await search_providers(engine, params, CARD_FIELDS)

    full = next(h for h in whole.hits if h["name"] == "Tal og Stjerner")
    card = next(h for h in light.hits if h["name"] == "Tal og Stjerner")
    assert card["results_by_target_group"] == full["results_by_target_group"]  # unpacked from `detail`
    assert set(full["results_by_target_group"]) == {"dagpenge", "sygedagpenge"}
    assert card["service_prices"] == full["service_prices"] and len(card["service_prices"]) == 5
    assert {"cvr", "languages", "services", "first_contact_days", "detail"} & set(card) == set()
    assert {"cvr", "languages", "services", "first_contact_days"} <= set(full) and "detail" not in full


# -- rendered cards, by what they show (CardCache) ----------------------------------------------------
def card_of(page: str, provider_id: int) -> str:
    """The markup of one provider's result card on a search page."""
    start = page.index(f'id="p-{provider_id}-name"')
    return page[page.rindex('<li class="result-card">', 0, start):page.index("</li>", start)]


async def test_a_repeated_search_renders_no_card_twice_and_gives_the_same_page(client, engine: SearchEngine):
    await make_varied_providers()
    await index_all(engine)
    search = {"target_group": "dagpenge", "postcode": "8000", "radius_km": "300"}

    first = await client.get("/", params=search)
    before = (CARDS.hits, CARDS.misses)
    second = await client.get("/", params=search)

    assert first.status_code == second.status_code == 200
    assert second.text == first.text
    shown = first.text.count('<li class="result-card">')
    assert shown == 4
    assert (CARDS.hits - before[0], CARDS.misses - before[1]) == (shown, 0)


async def test_a_changed_listing_shows_its_new_card_at_once(client, engine: SearchEngine):
    provider = await make_provider(name="Skifteholdet", capacity="open")
    await index_all(engine)
    assert "Ledige pladser" in card_of((await client.get("/")).text, provider["id"])

    async with write_transaction():
        await ListingRevision.update({ListingRevision.capacity: "full"}).where(
            ListingRevision.provider == provider["id"])
        await outbox.enqueue(provider["id"], "test-capacity")
    await index_all(engine)

    card = card_of((await client.get("/")).text, provider["id"])
    assert "Fuldt booket" in card and "badge-error" in card and "Ledige pladser" not in card


async def test_the_comparison_tick_and_the_language_are_the_visitors_own(client, engine: SearchEngine):
    provider = await make_provider(name="Tjekboksen")
    await index_all(engine)
    box = f'id="cmp-{provider["id"]}"'

    plain = card_of((await client.get("/")).text, provider["id"])
    ticked = card_of((await client.get("/", params={"ids": str(provider["id"])})).text, provider["id"])
    again = card_of((await client.get("/")).text, provider["id"])
    english = card_of((await client.get("/", cookies={"lang": "en"})).text, provider["id"])

    def is_checked(card: str) -> bool:
        return " checked" in card.split(box, 1)[1].split(">", 1)[0]

    assert (is_checked(plain), is_checked(ticked), is_checked(again)) == (False, True, False)
    assert "Sammenlign" in plain and "Compare" in english and "Sammenlign" not in english


def test_the_card_cache_keeps_the_most_recently_used_cards_up_to_its_size():
    cache = CardCache(size=2)
    docs = [{"id": n, "name": f"Aktør {n}", "municipalities": [], "review_count": 0} for n in range(3)]

    def slots(hits: list[dict[str, Any]], *args: Any) -> list[Any]:  # each hit with its JSON as Meilisearch would send it
        return cache.slots(hits, [msgspec.json.encode(doc) for doc in hits], *args)

    for doc in docs[:2]:
        (slot,) = slots([doc], "da", None)
        cache.remember(slot.key, Markup(f"<li>{doc['id']}</li>"))
    assert slots([docs[0]], "da", None)[0].html == Markup("<li>0</li>")  # 0 is now the most recent
    (slot,) = slots([docs[2]], "da", None)
    cache.remember(slot.key, Markup("<li>2</li>"))

    assert len(cache) == 2
    assert slots([docs[1]], "da", None)[0].html is None  # the least recently used went
    assert [s.html for s in slots([docs[0], docs[2]], "da", None)] == [Markup("<li>0</li>"), Markup("<li>2</li>")]
    assert slots([docs[0]], "en", None)[0].html is None  # another language is another card
    assert slots([docs[0]], "da", "dagpenge")[0].html is None  # so is another target group
    assert slots([docs[0]], "da", None, frozenset({"0"}))[0].html is None  # and a ticked box


async def test_the_same_provider_seen_from_another_place_gets_its_own_card(client, engine: SearchEngine):
    """A card is keyed by the hit as Meilisearch sent it and by what the search adds to it: the
    distance from the searched place is part of the card."""
    provider = await make_provider(name="Kontoret i Midtbyen", municipalities=[751], offices=[office("8000")])
    await index_all(engine)

    near = card_of((await client.get("/", params={"postcode": "8000", "radius_km": "50"})).text, provider["id"])
    before = (CARDS.hits, CARDS.misses)
    farther = card_of((await client.get("/", params={"postcode": "8250", "radius_km": "50"})).text, provider["id"])

    assert CARDS.misses - before[1] == 1 and farther != near
    assert [part for part in near.split("·") if " km" in part] != [part for part in farther.split("·") if " km" in part]
