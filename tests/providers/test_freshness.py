"""Freshness: a provider confirms its listing (one click) at least every CONFIRM_EVERY_DAYS days; it is
reminded REMIND_DAYS_BEFORE days before; past the deadline its listing is marked, can be filtered out
of search (`fresh=true`) and ranks lower in the default sort, and the authority sees it on a list."""
from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone

from babel.dates import format_date
from factories import index_all, indexed_documents, make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.providers import listing
from marketplace.providers.freshness import CONFIRM_EVERY_DAYS, REMIND_DAYS_BEFORE
from marketplace.providers.tables import Provider
from search.tables import OutboxEvent

from .support import member, post

NOW = datetime.now(timezone.utc)
OVERDUE = NOW - timedelta(days=CONFIRM_EVERY_DAYS + 20)


def danish(value: datetime) -> str:
    return format_date(value, format="long", locale="da_DK")


async def test_confirming_sets_last_confirmed_at_audits_it_and_updates_search(client, engine) -> None:
    provider = await make_provider(last_confirmed_at=OVERDUE)
    await index_all(engine)
    assert indexed_documents(engine)[provider["id"]]["stale"] is True
    await member(client, provider)
    events = await OutboxEvent.count()

    response = await post(client, "/provider/confirm", {})

    assert response.status_code == 303 and response.headers["location"] == "/provider?done=confirmed"
    row = await Provider.select(Provider.last_confirmed_at).where(Provider.id == provider["id"]).first()
    assert NOW - timedelta(minutes=1) < row["last_confirmed_at"].astimezone(timezone.utc) < datetime.now(timezone.utc) + timedelta(seconds=1)
    assert await OutboxEvent.count() == events + 1
    entry = await AuditEntry.select().where(AuditEntry.action == "listing.confirm").first().output(load_json=True)
    assert entry["object_id"] == str(provider["id"]) and entry["after"]["last_confirmed_at"]
    await index_all(engine)
    assert indexed_documents(engine)[provider["id"]]["stale"] is False
    page = html.unescape((await client.get("/provider?done=confirmed")).text)
    assert "Tak. Jeres oplysninger er bekræftet." in page
    assert f"Senest bekræftet {danish(datetime.now(timezone.utc))}" in page


async def test_the_area_shows_the_last_confirmation_and_the_next_deadline(client) -> None:
    confirmed = NOW - timedelta(days=10)
    await member(client, last_confirmed_at=confirmed)

    page = html.unescape((await client.get("/provider")).text)

    assert f"Senest bekræftet {danish(confirmed)}" in page
    assert f"Næste gang skal I bekræfte senest {danish(confirmed + timedelta(days=CONFIRM_EVERY_DAYS))}" in page
    assert "Bekræft at oplysningerne er korrekte" in page


async def test_the_area_reminds_the_provider_before_the_deadline(client) -> None:
    confirmed = NOW - timedelta(days=CONFIRM_EVERY_DAYS - 5)
    await member(client, last_confirmed_at=confirmed)

    page = html.unescape((await client.get("/provider")).text)

    assert f"Bekræft jeres oplysninger senest {danish(confirmed + timedelta(days=CONFIRM_EVERY_DAYS))} – om 5 dage" in page


async def test_no_reminder_before_the_reminder_period(client) -> None:
    await member(client, last_confirmed_at=NOW - timedelta(days=CONFIRM_EVERY_DAYS - REMIND_DAYS_BEFORE - 2))

    page = html.unescape((await client.get("/provider")).text)

    assert "Bekræft jeres oplysninger senest" not in page and "Næste gang skal I bekræfte senest" in page


async def test_the_area_warns_when_the_deadline_has_passed(client) -> None:
    await member(client, last_confirmed_at=OVERDUE)

    page = html.unescape((await client.get("/provider")).text)

    assert "Jeres opslag vises nu som “Ikke bekræftet for nylig”" in page
    assert f"Senest bekræftet {danish(OVERDUE)}" in page


async def test_a_provider_without_a_public_listing_has_nothing_to_confirm(client) -> None:
    await member(client, approved=False)
    assert "Bekræft at oplysningerne er korrekte" not in (await client.get("/provider")).text

    response = await post(client, "/provider/confirm", {})

    assert response.status_code == 409
    assert "Der er endnu ikke et offentligt opslag at bekræfte" in html.unescape(response.text)


async def test_the_search_filter_hides_listings_not_confirmed_recently(client, engine) -> None:
    fresh = await make_provider(name="Frisk Aktør")
    stale = await make_provider(name="Gammel Aktør", last_confirmed_at=OVERDUE)
    await index_all(engine)

    everyone = (await client.get("/api/providers")).json()
    only_fresh = (await client.get("/api/providers", params={"fresh": "true"})).json()
    page = (await client.get("/", params={"fresh": "true"})).text

    assert {h["id"] for h in everyone["hits"]} == {fresh["id"], stale["id"]}
    assert [h["id"] for h in only_fresh["hits"]] == [fresh["id"]]
    assert "Frisk Aktør" in page and "Gammel Aktør" not in page


async def test_a_bad_fresh_parameter_is_named(client) -> None:
    response = await client.get("/api/providers", params={"fresh": "måske"})

    assert response.status_code == 400 and response.json()["field"] == "fresh"


async def test_listings_not_confirmed_recently_rank_lower_in_the_default_sort(client, engine) -> None:
    stale = await make_provider(name="Gammel men god", last_confirmed_at=OVERDUE,
                                results={"courses": 80, "success_rate": 0.7, "score": 1.6, "stars": 5})
    fresh = await make_provider(name="Frisk og middel",
                                results={"courses": 80, "success_rate": 0.4, "score": 0.9, "stars": 3})
    await index_all(engine)

    best = (await client.get("/api/providers")).json()["hits"]
    by_success = (await client.get("/api/providers", params={"sort": "success_rate"})).json()["hits"]

    assert [h["id"] for h in best] == [fresh["id"], stale["id"]]
    assert [h["id"] for h in by_success] == [stale["id"], fresh["id"]]  # an explicit sort is left alone


async def test_stale_providers_lists_overdue_active_providers_most_overdue_first() -> None:
    a = await make_provider(name="A", last_confirmed_at=NOW - timedelta(days=CONFIRM_EVERY_DAYS + 3))
    b = await make_provider(name="B", last_confirmed_at=NOW - timedelta(days=CONFIRM_EVERY_DAYS + 40))
    await make_provider(name="Frisk", last_confirmed_at=NOW - timedelta(days=2))
    await make_provider(name="Suspenderet", status="suspended", last_confirmed_at=OVERDUE)

    rows = await listing.stale_providers()

    assert [(r.id, r.name, r.days_overdue) for r in rows] == [(b["id"], "B", 40), (a["id"], "A", 3)]
    assert rows[0].last_confirmed_at is not None


async def test_listings_crossing_the_deadline_are_sent_to_search() -> None:
    crossed = await make_provider(last_confirmed_at=NOW - timedelta(days=CONFIRM_EVERY_DAYS, hours=2))
    await make_provider(last_confirmed_at=NOW - timedelta(days=CONFIRM_EVERY_DAYS + 30))  # crossed long ago
    await make_provider(last_confirmed_at=NOW - timedelta(days=3))
    before = await OutboxEvent.count()

    n = await listing.enqueue_newly_stale(since=NOW - timedelta(days=1))

    assert n == 1
    rows = await OutboxEvent.select(OutboxEvent.provider_id).order_by(OutboxEvent.id, ascending=False).limit(1)
    assert rows[0]["provider_id"] == crossed["id"] and await OutboxEvent.count() == before + 1
