"""The provider page cache (marketplace.providers.page_cache): anonymous visitors get a stored,
pre-gzipped page with an ETag; a change to the provider shows on the next page load in this
process and, through the outbox poll, in other processes; signed-in pages are never shared."""
from __future__ import annotations

import gzip
import html
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import httpx
import pytest
from factories import make_provider, running

from marketplace.piccolo_conf import DB
from marketplace.providers import decisions
from marketplace.providers.freshness import CONFIRM_EVERY_DAYS
from marketplace.providers.page_cache import POLL_SECONDS, for_app
from marketplace.providers.tables import ListingRevision, Provider
from search.client import SearchEngine
from search.tables import OutboxEvent
from tests.enrolments.support import as_user, citizen, make_enrolment, make_user, post as post_form

from .support import approve, as_pairs, authority, editor_form, member, post, revisions_of


class Portal:
    """One app (one page cache, as in one worker process) and two visitors: `anon` without a
    session and `user`, who may log in."""

    def __init__(self, app, anon: httpx.AsyncClient, user: httpx.AsyncClient) -> None:
        self.app, self.anon, self.user = app, anon, user
        self.now = 1000.0  # the cache's monotonic clock: it stands still until a test moves it

    def clock(self) -> float:
        return self.now

    @property
    def cache(self):
        return for_app(self.app)


@pytest.fixture
async def portal(engine: SearchEngine) -> AsyncIterator[Portal]:
    """The cache's clock stands still, so after the first page it polls the outbox only when a test
    moves `portal.now`: what shows "at once" comes from this process's own events."""
    from marketplace.app import create_app

    app = create_app(search_engine=engine, run_outbox_worker=False)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as anon, \
                httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as user:
            portal = Portal(app, anon, user)
            portal.cache.clock = portal.clock
            yield portal


def text(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def test_an_anonymous_page_is_stored_gzipped_with_an_etag_and_revalidates_with_304(portal) -> None:
    provider = await make_provider(capacity="open")
    path = f"/providers/{provider['slug']}"

    first = await portal.anon.get(path)
    second = await portal.anon.get(path)

    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache"] == "MISS" and second.headers["x-cache"] == "HIT"
    assert first.text == second.text and provider["name"] in first.text
    assert second.headers["content-encoding"] == "gzip"  # httpx asks for gzip and unpacks it
    assert second.headers["etag"] == first.headers["etag"] and second.headers["etag"].startswith('W/"')
    assert "Cookie" in second.headers["vary"] and "Accept-Encoding" in second.headers["vary"]
    assert second.headers["content-security-policy"]  # the app's headers still apply

    raw = await portal.anon.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.text == first.text
    assert raw.headers["etag"] == first.headers["etag"]

    not_modified = await portal.anon.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == first.headers["etag"]
    other_tag = await portal.anon.get(path, headers={"If-None-Match": 'W/"something-else"'})
    assert other_tag.status_code == 200 and other_tag.text == first.text


async def test_language_and_query_string_are_part_of_the_key(portal) -> None:
    provider = await make_provider()
    path = f"/providers/{provider['slug']}"
    danish = await portal.anon.get(path)
    portal.anon.cookies.set("lang", "en")
    english = await portal.anon.get(path)
    english_again = await portal.anon.get(path)
    people = await portal.anon.get(path, params={"target_group": "dagpenge"})
    portal.anon.cookies.delete("lang")
    danish_again = await portal.anon.get(path)

    assert 'lang="da"' in danish.text and 'lang="en"' in english.text
    assert english.headers["etag"] != danish.headers["etag"]
    assert english_again.headers["x-cache"] == "HIT" and english_again.text == english.text
    assert people.headers["x-cache"] == "MISS" and people.headers["etag"] not in (danish.headers["etag"],
                                                                                  english.headers["etag"])
    assert 'value="dagpenge" selected' in people.text
    assert danish_again.headers["x-cache"] == "HIT" and danish_again.text == danish.text


async def test_a_signed_in_page_is_never_shared_with_anonymous_visitors_nor_the_other_way(portal) -> None:
    provider = await make_provider()
    path = f"/providers/{provider['slug']}"
    await as_user(portal.user, await make_user("citizen", email="kirsten@example.dk"))
    who = (await portal.user.get("/me")).text  # the header names the signed-in user
    assert "Logget ind som" in who

    anonymous = await portal.anon.get(path)  # stored for anonymous visitors
    signed_in = await portal.user.get(path)
    anonymous_again = await portal.anon.get(path)
    cached_tag = await portal.user.get(path, headers={"If-None-Match": anonymous.headers["etag"]})

    assert "Logget ind som" in signed_in.text and "x-cache" not in signed_in.headers
    assert "etag" not in signed_in.headers and "private" in signed_in.headers["cache-control"]
    assert "Logget ind som" not in anonymous.text and "Logget ind som" not in anonymous_again.text
    assert anonymous_again.headers["x-cache"] == "HIT"
    assert cached_tag.status_code == 200 and "Logget ind som" in cached_tag.text  # no 304 from the anonymous tag


async def test_a_capacity_change_shows_on_the_next_anonymous_load(portal) -> None:
    provider = await make_provider(capacity="open")
    path = f"/providers/{provider['slug']}"
    await portal.anon.get(path)
    assert (await portal.anon.get(path)).headers["x-cache"] == "HIT"
    await member(portal.user, provider)
    values = form_values_of(await portal.user.get("/provider/capacity"))

    response = await post(portal.user, "/provider/capacity", as_pairs(values, capacity="waitlist", waiting_weeks="6"))
    assert response.status_code == 303

    page = await portal.anon.get(path)
    assert "Venteliste (6 uger)" in text(page) and "Ledige pladser" not in text(page)
    assert (await portal.anon.get(path)).headers["x-cache"] == "MISS"  # not stored until the poll sees the event
    portal.now += POLL_SECONDS
    assert (await portal.anon.get(path)).headers["x-cache"] == "MISS"  # this request polls: the event is seen
    stored = await portal.anon.get(path)
    assert stored.headers["x-cache"] == "HIT" and "Venteliste (6 uger)" in text(stored)


async def test_an_approved_new_revision_shows_at_once(portal) -> None:
    provider = await make_provider(description="Den gamle godkendte tekst om mentorforløb for ledige.")
    path = f"/providers/{provider['slug']}"
    await member(portal.user, provider)
    await post(portal.user, "/provider/listing", as_pairs(await editor_form(portal.user), action="submit",
                                                           description="Den nye tekst om kurser og praktik i Aarhus."))
    before = text(await portal.anon.get(path))
    assert "Den gamle godkendte tekst" in before and "Den nye tekst" not in before
    assert (await portal.anon.get(path)).headers["x-cache"] == "HIT"

    _, submitted = await revisions_of(provider["id"])
    await approve(submitted["id"])

    after = text(await portal.anon.get(path))
    assert "Den nye tekst om kurser og praktik i Aarhus." in after and "Den gamle godkendte tekst" not in after


async def test_a_suspension_shows_at_once_and_reinstatement_too(portal) -> None:
    provider = await make_provider()
    path = f"/providers/{provider['slug']}"
    assert "Aktøren er suspenderet" not in text(await portal.anon.get(path))
    assert (await portal.anon.get(path)).headers["x-cache"] == "HIT"
    by = await authority()

    row = await Provider.select(Provider.version).where(Provider.id == provider["id"]).first()
    await decisions.suspend_provider(provider["id"], by=by, reason="Tilsyn i gang.", expected_version=row["version"])
    suspended = text(await portal.anon.get(path))
    assert "Aktøren er suspenderet og kan ikke vælges lige nu." in suspended and "Tilsyn i gang." in suspended
    assert f'href="/providers/{provider["slug"]}/choose"' not in suspended

    row = await Provider.select(Provider.version).where(Provider.id == provider["id"]).first()
    await decisions.reinstate_provider(provider["id"], by=by, reason="Tilsyn afsluttet.", expected_version=row["version"])
    reinstated = text(await portal.anon.get(path))
    assert "Aktøren er suspenderet" not in reinstated and f'href="/providers/{provider["slug"]}/choose"' in reinstated


async def test_the_providers_reply_to_an_experience_shows_at_once(portal) -> None:
    provider = await make_provider()
    path = f"/providers/{provider['slug']}"
    from marketplace.reviews import services as reviews
    from marketplace.reviews.tables import Review

    user = await citizen(portal.user)
    reference = await make_enrolment(user.id, provider["id"], status="started")
    await post_form(portal.user, f"/me/enrolments/{reference}/review", {"rating": "4", "text": "God hjælp til CV."})
    review = await Review.select().first()
    await reviews.approve_text(await authority(), review["id"], reviews.text_hash(review["text"]))
    assert "God hjælp til CV." in text(await portal.anon.get(path))
    assert (await portal.anon.get(path)).headers["x-cache"] == "HIT"

    await reviews.reply(await make_user("provider", provider_id=provider["id"]), review["id"], "Tak, det glæder os!")

    assert "Tak, det glæder os!" in text(await portal.anon.get(path))


async def test_another_process_change_shows_after_the_outbox_poll(portal) -> None:
    """A change written by another process (here: straight to the database, bypassing this
    process's enqueue) is not seen until its outbox event is; then on the first request once
    POLL_SECONDS have passed since the last poll."""
    provider = await make_provider(capacity="open")
    path = f"/providers/{provider['slug']}"
    assert (await portal.anon.get(path)).headers["x-cache"] == "MISS"
    await ListingRevision.update({ListingRevision.capacity: "full"}).where(ListingRevision.provider == provider["id"])

    # Without an event the stored page stands (it really is served from the cache), even after polls.
    polls = portal.cache.polls
    for _ in range(2):
        portal.now += POLL_SECONDS
        stale = await portal.anon.get(path)
        assert stale.headers["x-cache"] == "HIT" and "Ledige pladser" in text(stale)
    assert portal.cache.polls == polls + 2

    async with DB.transaction():  # as another process's enqueue: an event row, no in-process signal
        await OutboxEvent.insert(OutboxEvent(provider_id=provider["id"], reason="test.other-process"))
    portal.now += POLL_SECONDS / 2  # the last poll is recent: not asked again yet
    before_poll = await portal.anon.get(path)
    assert before_poll.headers["x-cache"] == "HIT" and "Ledige pladser" in text(before_poll)
    assert portal.cache.polls == polls + 2

    portal.now += POLL_SECONDS / 2  # POLL_SECONDS since the last poll: this request polls and sees the event
    after_poll = await portal.anon.get(path)
    assert portal.cache.polls == polls + 3
    assert after_poll.headers["x-cache"] == "MISS" and "Fuldt booket" in text(after_poll)
    assert (await portal.anon.get(path)).headers["x-cache"] == "HIT"


async def test_a_page_stored_while_fresh_turns_stale_when_the_confirmation_deadline_passes(portal) -> None:
    """The "not confirmed" notice depends on the date, and no event is written when the deadline
    passes: a stored page is kept only until the listing's confirmation deadline."""
    confirmed = datetime.now(timezone.utc) - timedelta(days=CONFIRM_EVERY_DAYS) + timedelta(minutes=5)
    deadline = confirmed.timestamp() + timedelta(days=CONFIRM_EVERY_DAYS).total_seconds()
    provider = await make_provider(last_confirmed_at=confirmed)
    path = f"/providers/{provider['slug']}"
    notice = "Oplysningerne er ikke bekræftet for nylig"
    first = await portal.anon.get(path)
    assert first.headers["x-cache"] == "MISS" and notice not in text(first)

    # Five minutes pass (less than MAX_AGE_SECONDS): the database is moved instead of the real time
    # (without an event, as the passing of time writes none), and the cache's wall clock with it.
    await Provider.update({Provider.last_confirmed_at: confirmed - timedelta(minutes=10)}).where(
        Provider.id == provider["id"])
    wall = [deadline - 1.0]
    portal.cache.wall = lambda: wall[0]
    kept = await portal.anon.get(path)
    assert kept.headers["x-cache"] == "HIT" and notice not in text(kept)  # a second before the deadline

    wall[0] = deadline
    due = await portal.anon.get(path)
    assert due.headers["x-cache"] == "MISS" and notice in text(due)
    # Rendered stale, it stands until the next event or MAX_AGE_SECONDS.
    assert (await portal.anon.get(path)).headers["x-cache"] == "HIT"


async def test_an_unknown_or_unapproved_provider_is_404_and_not_stored(portal) -> None:
    draft = await make_provider(approved=False)
    for path in ("/providers/findes-ikke", f"/providers/{draft['slug']}"):
        assert (await portal.anon.get(path)).status_code == 404
        assert (await portal.anon.get(path)).status_code == 404
    assert len(portal.cache) == 0


def form_values_of(response: httpx.Response) -> dict[str, list[str]]:
    from .support import form_values

    assert response.status_code == 200
    values = form_values(response.text)
    values.pop("_csrf_token", None)
    return values


async def test_the_national_results_are_read_once_per_generation(portal) -> None:
    """The national levels change only with an import, which writes events: between events they
    are not read again for every page."""
    cache = portal.cache
    calls = 0

    async def load() -> dict:
        nonlocal calls
        calls += 1
        return {"calls": calls}

    await cache.refresh()
    assert await cache.national(load) == {"calls": 1}
    assert await cache.national(load) == {"calls": 1}
    await make_provider()  # writes an event in this process
    assert await cache.national(load) == {"calls": 2}


async def test_a_signed_in_page_is_gzipped_by_the_page_itself(portal) -> None:
    """The route compresses its own answers (the compression middleware is off it): a signed-in
    visitor's page, never stored, is gzipped too, exactly as marketplace.web.compression does."""
    from marketplace.web.compression import gzip_bytes

    provider = await make_provider()
    path = f"/providers/{provider['slug']}"
    await as_user(portal.user, await make_user("citizen", email="gzip@example.dk"))

    plain = await portal.user.get(path, headers={"Accept-Encoding": "identity"})
    async with portal.user.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as wire:
        raw = b"".join([chunk async for chunk in wire.aiter_raw()])

    assert "Logget ind som" in plain.text and "content-encoding" not in plain.headers
    assert wire.headers["content-encoding"] == "gzip" and "Accept-Encoding" in wire.headers["vary"]
    assert "private" in wire.headers["cache-control"] and raw == gzip_bytes(plain.content)
    assert gzip.decompress(raw) == plain.content
