"""Rendered answers to popular searches, kept per process, and the index generation that
invalidates them.

An entry is an answer as it goes out (also gzipped once), keyed by what changes it:

- a search page: the language and the raw query string (the page repeats the query in its
  pagination and language-switch links). Only responses for visitors without a session are served
  from or stored in the cache: a signed-in visitor's page shows their own header (and the search
  for their profile), so it is always rendered for them and never stored;
- a search API answer (`/api/providers`): `API` and the raw query string. The JSON is the same
  for everyone and in every language, so every caller shares it.

Invalidation follows the *index*, not the database: a search answer can only change when
Meilisearch's documents change, and every change reaches Meilisearch through the outbox, whose
delivery cursor per target (search/outbox.py) moves only after Meilisearch applied the change.
The generation is (that cursor, in-process bumps):

- the cursor is read from the database at most every `check_seconds` (0.25 s), by one request at
  a time — so another process's delivery shows here within about that long;
- this process's outbox worker signals each delivery (`delivered`, passed to
  `search.sync.run_worker`): the generation moves at once, before the next request, and the
  cursor is read again at the next chance (so the delivery moves the generation once);
- an entry is stored only if the generation did not move while its search ran (the answer may
  predate the change), and every entry also expires after `max_age_seconds` (a safety net for
  index changes that bypass the outbox);
- at most `max_entries` entries (least recently used dropped first).

Set MARKETPLACE_SEARCH_CACHE=0 to turn the cache off (the benchmarks measure the page both ways).
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable

from marketplace.web.compression import gzip_bytes
from search import outbox

log = logging.getLogger("marketplace.search")

MAX_ENTRIES = 512
CHECK_SECONDS = 0.25
MAX_AGE_SECONDS = 300.0
MAX_QUERY_BYTES = 400  # longer query strings are answered but not stored
STATE_KEY = "search_cache"  # where create_app keeps the app's cache (app.state)

API = "api"  # the first part of an API answer's key (a page's is its language)
CacheKey = tuple[str, bytes]  # (language or API, raw query string)
Generation = tuple[int, int]  # (delivery cursor, in-process deliveries seen)


def enabled_by_environment() -> bool:
    """False when MARKETPLACE_SEARCH_CACHE is 0 / off / false / no."""
    return os.environ.get("MARKETPLACE_SEARCH_CACHE", "1").strip().lower() not in ("0", "off", "false", "no")


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes  # the page's UTF-8 HTML, or the API's JSON
    gzipped: bytes
    generation: Generation
    expires: float  # the cache's clock() after which it is rendered again


class SearchCache:
    """See the module docstring. Used from one event loop (not thread-safe)."""

    def __init__(
        self, target: str, *, max_entries: int = MAX_ENTRIES, check_seconds: float = CHECK_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS, read_cursor: Callable[[str], Awaitable[int]] = outbox.cursor_of,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.max_entries = max_entries
        self.check_seconds = check_seconds
        self.max_age_seconds = max_age_seconds
        self.delivered = asyncio.Event()  # set by this process's outbox worker after each delivery
        self._read_cursor = read_cursor
        self.clock = clock  # seconds, monotonic (a test moves its own)
        self._entries: OrderedDict[CacheKey, CachedAnswer] = OrderedDict()
        self._cursor: int | None = None  # None: unknown (not read yet, or the read failed)
        self._bumps = 0
        self._checked_at = float("-inf")
        self._checking = False
        self.hits = self.misses = self.stores = 0

    # -- the generation ----------------------------------------------------------------------------
    def _take_delivery_signal(self) -> None:
        if self.delivered.is_set():
            self.delivered.clear()
            self._bumps += 1
            # The worker signals after its cursor is committed: read it at the next chance, or a
            # later periodic read would move the generation a second time for the same delivery.
            self._checked_at = float("-inf")

    def known_generation(self) -> Generation | None:
        """The generation as last seen (no database read); None while unknown."""
        self._take_delivery_signal()
        return None if self._cursor is None else (self._cursor, self._bumps)

    async def generation(self) -> Generation | None:
        """The current generation: reads the delivery cursor when the last read is older than
        `check_seconds` (one reader at a time; the others use what is known)."""
        self._take_delivery_signal()
        now = self.clock()
        if not self._checking and now - self._checked_at >= self.check_seconds:
            self._checking = True
            try:
                self._cursor = await self._read_cursor(self.target)
            except Exception:  # the database is unreachable: answer uncached until it is back
                log.warning("search cache: could not read the delivery cursor of %s", self.target, exc_info=True)
                self._cursor = None
            finally:
                self._checked_at = now
                self._checking = False
        return self.known_generation()

    # -- entries -----------------------------------------------------------------------------------
    def get(self, key: CacheKey, generation: Generation | None) -> CachedAnswer | None:
        entry = self._entries.get(key)
        if entry is None or generation is None:
            self.misses += 1
            return None
        if entry.generation != generation or entry.expires <= self.clock():
            del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: CacheKey, ticket: Generation | None, body: bytes) -> CachedAnswer:
        """The cacheable form of an encoded answer; kept only when the generation is what it was
        when the search started (`ticket`)."""
        entry = CachedAnswer(body, gzip_bytes(body), ticket or (-1, -1),
                             self.clock() + self.max_age_seconds)
        if ticket is not None and ticket == self.known_generation() and len(key[1]) <= MAX_QUERY_BYTES:
            self._entries.pop(key, None)
            self._entries[key] = entry
            self.stores += 1
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
