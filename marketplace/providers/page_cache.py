"""Rendered provider pages (/providers/{slug}), kept per process for anonymous visitors.

An entry is the page's HTML, gzipped once, with an ETag, keyed by (slug, language, query string):
the query string chooses the "people like me" numbers and appears in the header's language-switch
link; the language comes from the `lang` cookie. Only a visitor without a session is served from
or stored in the cache (a signed-in header shows the user's name; a session may carry more), and
a page that contains the request's CSRF token is never stored.

Invalidation: every change to what a provider page shows writes an outbox event naming the
provider, in the same transaction (search/outbox.py). This cache

- polls the outbox for events newer than the last one it saw, at most every POLL_SECONDS, and
  drops the named providers' pages (everything when there are more than BULK_EVENTS at once, or
  when the outbox went backwards);
- hears this process's own `enqueue` at once (search.outbox.on_enqueue): the provider's pages are
  dropped, and until the poll has seen that event committed the provider is rendered fresh and not
  stored, so an edit shows on the next page load in this process, and in other processes within
  about POLL_SECONDS;
- does not store a page rendered while a poll moved the generation (it may predate the change);
- gives each entry a deadline: MAX_AGE_SECONDS at most, and the moment a listing's confirmation
  deadline passes (the "not confirmed" notice depends on the time, not only on events).

The newest national results (the chart's comparison levels) change only with an outcome import,
which writes events for every provider with results: they are kept until the next event is seen.

One cache per app (`for_app`), so separately built apps (tests) never share pages.
"""
from __future__ import annotations

import gzip
import hashlib
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

from litestar import Request, Response
from litestar.utils.scope.state import ScopeState
from piccolo.query.functions.aggregate import Max

from marketplace.accounts.sessions import session_data
from marketplace.outcomes.services import latest_national
from marketplace.piccolo_conf import DB
from marketplace.providers.freshness import CONFIRM_EVERY_DAYS
from marketplace.web.compression import gzip_bytes, html_response
from marketplace.web.i18n import lang_of
from search import outbox
from search.tables import OutboxEvent

MAX_ENTRIES = 4096  # pages kept per process (about 8 KB each gzipped + 40 KB raw)
POLL_SECONDS = 0.25  # how often the outbox is asked for new events (at most, and only when asked for a page)
MAX_AGE_SECONDS = 600.0  # no page is served older than this
BULK_EVENTS = 1000  # more new events than this at once (an import, a seed): drop every page
PENDING_SECONDS = 60.0  # an own event not seen committed by then is forgotten (rolled back)
MAX_QUERY_BYTES = 200  # longer query strings are rendered but never stored
GZIP_LEVEL = 6

CacheKey = tuple[str, str, bytes]  # (slug, language, raw query string)


@dataclass(frozen=True)
class CachedPage:
    provider_id: int
    body: bytes  # UTF-8 HTML
    gzipped: bytes
    etag: str  # weak validator, from the HTML
    expires: float  # epoch seconds (the cache's `wall`) after which the page is rendered again


def etag_of(body: bytes) -> str:
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def fresh_until(last_confirmed_at: datetime | None) -> float | None:
    """When a listing confirmed at `last_confirmed_at` turns stale (epoch seconds), None when never."""
    if last_confirmed_at is None:
        return None
    if last_confirmed_at.tzinfo is None:
        last_confirmed_at = last_confirmed_at.replace(tzinfo=timezone.utc)
    return (last_confirmed_at + timedelta(days=CONFIRM_EVERY_DAYS)).timestamp()


class PageCache:
    """See the module docstring. Not thread-safe: used from one event loop."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, poll_seconds: float = POLL_SECONDS, *,
        clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries = max_entries
        self.poll_seconds = poll_seconds
        self.clock = clock  # monotonic seconds: when the outbox is polled again (a test moves its own)
        self.wall = wall  # epoch seconds: entry deadlines (a listing's confirmation deadline is a date)
        self._pages: OrderedDict[CacheKey, CachedPage] = OrderedDict()
        self._keys_of: dict[int, set[CacheKey]] = {}  # provider id → its keys
        self._generation: int | None = None  # the newest outbox event id seen (None: not polled yet)
        self._polled_at = 0.0
        self._polling = False
        self._pending: dict[int, tuple[float, float]] = {}  # provider → (own event id or inf, monotonic time)
        self._national: tuple[int | None, Any] | None = None  # (generation, newest NationalResult row)
        self.hits = self.misses = self.stores = self.polls = 0

    # -- reading -----------------------------------------------------------------------------------
    def get(self, key: CacheKey) -> CachedPage | None:
        """The stored page for `key`, if it is still good."""
        page = self._pages.get(key)
        if page is None or self._generation is None:
            self.misses += 1
            return None
        if page.expires <= self.wall() or page.provider_id in self._pending:
            self._drop_key(key)
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return page

    def ticket(self) -> int | None:
        """Take before reading the database for a page; hand back to `put` (see there)."""
        return self._generation

    def put(self, key: CacheKey, ticket: int | None, provider_id: int, html: str,
            changes_at: float | None) -> CachedPage:
        """Make the cacheable form of a rendered page and keep it unless it may be outdated: the
        generation moved since `ticket` was taken, the provider has an own event not yet seen, or
        `changes_at` (when time alone changes the page: epoch seconds) has passed already."""
        body = html.encode("utf-8")
        now = self.wall()
        expires = now + MAX_AGE_SECONDS if changes_at is None else min(now + MAX_AGE_SECONDS, changes_at)
        page = CachedPage(provider_id, body, gzip.compress(body, GZIP_LEVEL, mtime=0), etag_of(body), expires)
        if (ticket is not None and ticket == self._generation and provider_id not in self._pending
                and expires > now and len(key[2]) <= MAX_QUERY_BYTES):
            self._drop_key(key)
            self._pages[key] = page
            self._keys_of.setdefault(provider_id, set()).add(key)
            self.stores += 1
            while len(self._pages) > self.max_entries:
                self._drop_key(next(iter(self._pages)))
        return page

    def __len__(self) -> int:
        return len(self._pages)

    # -- national results --------------------------------------------------------------------------
    async def national(self, load: Callable[[], Awaitable[Any]]) -> Any:
        """The newest national results, loaded once per generation (they change with an import only,
        and every import writes events)."""
        generation = self._generation
        if self._national is not None and self._national[0] == generation and generation is not None:
            return self._national[1]
        value = await load()
        if generation == self._generation:
            self._national = (generation, value)
        return value

    # -- invalidation ------------------------------------------------------------------------------
    def clear(self) -> None:
        self._pages.clear()
        self._keys_of.clear()
        self._national = None

    def forget_providers(self, provider_ids: list[int]) -> None:
        for pid in provider_ids:
            for key in list(self._keys_of.get(pid, ())):
                self._drop_key(key)

    def recorded(self, provider_ids: list[int], high: int | None) -> None:
        """This process wrote events for these providers (not committed yet)."""
        now = self.clock()
        mark = float(high) if high is not None else float("inf")
        for pid in provider_ids:
            self._pending[pid] = (max(mark, self._pending.get(pid, (0.0, 0.0))[0]), now)
        if len(provider_ids) > BULK_EVENTS:
            self.clear()
        else:
            self.forget_providers(provider_ids)
        self._national = None

    def _drop_key(self, key: CacheKey) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            keys = self._keys_of.get(page.provider_id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys_of[page.provider_id]

    async def refresh(self) -> None:
        """Poll the outbox when the last poll is older than `poll_seconds` (one poll at a time;
        meanwhile requests use what is known)."""
        if self._polling or (self._generation is not None and self.clock() - self._polled_at < self.poll_seconds):
            return
        self._polling = True
        try:
            await self._poll()
        finally:
            self._polling = False

    async def _poll(self) -> None:
        known = self._generation
        started = self.clock()
        async with DB.transaction():  # one connection for both reads
            row = await OutboxEvent.select(Max(OutboxEvent.id, alias="high")).first()
            high = int((row or {}).get("high") or 0)
            events: list[dict[str, Any]] = []
            if known is not None and high > known:
                events = await (
                    OutboxEvent.select(OutboxEvent.id, OutboxEvent.provider_id)
                    .where(OutboxEvent.id > known, OutboxEvent.id <= high)
                    .order_by(OutboxEvent.id).limit(BULK_EVENTS + 1)
                )
        if known is None or high < known or len(events) > BULK_EVENTS:
            self.clear()  # first poll, the outbox was emptied, or too much changed to go one by one
        elif events:
            self.forget_providers(sorted({int(e["provider_id"]) for e in events}))
        if known is None or high != known:
            self._national = None
        self._generation = high
        self._polled_at = started
        self.polls += 1
        now = self.clock()
        self._pending = {pid: (mark, at) for pid, (mark, at) in self._pending.items()
                         if mark > high and now - at < PENDING_SECONDS}


_caches: weakref.WeakSet[PageCache] = weakref.WeakSet()  # every live cache, for `_recorded`
STATE_KEY = "provider_page_cache"


def for_app(app: Any) -> PageCache:
    """The page cache of this app, kept in its state (made on first use)."""
    cache = app.state.get(STATE_KEY)
    if cache is None:
        cache = PageCache()
        app.state[STATE_KEY] = cache
        _caches.add(cache)
    return cache


Renderer = Callable[[Callable[[], Awaitable[Any]]], Awaitable[tuple[dict[str, Any], bool, str]]]
"""`render(national)` → (provider row, shown as stale?, HTML); `national()` gives the newest national
results."""


async def serve(request: Request, slug: str, render: Renderer) -> Response:
    """A provider page: from the cache for a visitor without a session (else rendered and, when
    allowed, stored), with ETag / If-None-Match → 304; rendered for everyone else, never stored."""
    cache = for_app(request.app)
    await cache.refresh()
    anonymous = not session_data(request)
    key: CacheKey = (slug, lang_of(request), request.scope.get("query_string", b""))
    if anonymous and (page := cache.get(key)) is not None:
        return _page_response(request, page, "HIT")
    ticket = cache.ticket()
    provider, stale, html = await render(lambda: cache.national(latest_national))
    token = ScopeState.from_scope(request.scope).csrf_token
    if not anonymous or (isinstance(token, str) and token and token in html):  # this visitor's own page
        body = html.encode("utf-8")
        return html_response(request, body, lambda: gzip_bytes(body),
                             headers={"Cache-Control": "private, no-cache", "Vary": "Accept-Encoding, Cookie"})
    changes_at = None if stale else fresh_until(provider.get("last_confirmed_at"))  # the "not confirmed" notice
    page = cache.put(key, ticket, int(provider["id"]), html, changes_at)
    return _page_response(request, page, "MISS")


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored."""
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


def _page_response(request: Request, page: CachedPage, state: str) -> Response:
    headers = {"ETag": page.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding, Cookie", "X-Cache": state}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _matches(if_none_match, page.etag):
        return Response(None, status_code=304, headers=headers)
    return html_response(request, page.body, lambda: page.gzipped, headers=headers)  # gzipped once, when stored


def _recorded(provider_ids: list[int], high: int | None) -> None:
    for cache in list(_caches):
        cache.recorded(provider_ids, high)


outbox.on_enqueue(_recorded)
