"""The only place that talks to Meilisearch.

The hot query, `multi_search` (every citizen search), is a coroutine: it runs on the event loop over
kept-alive connections (search.http, one pool per event loop) and decodes with msgspec. It does not
go through the meilisearch client, which is blocking (`requests`, without a session: a new TCP
connection per search) and would cost a worker thread per search.
Everything else (writes, tasks, index management, health) is synchronous through the meilisearch
client: callers on the event loop go through `litestar.concurrency.sync_to_thread`.

Queries translate the client's errors (unreachable, API error, timeout) into `SearchUnavailable`.
Writes (`apply`, `swap`, index management) let them through, or raise `SearchTaskFailed` when a task
does not succeed: their callers (the outbox worker, rebuild) retry and log, and never lose an event.
"""
from __future__ import annotations

import asyncio
import weakref
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import meilisearch
import msgspec
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError

from marketplace.errors import SearchUnavailable
from search.http import ConnectionPool, HttpError
from search.settings import INDEX_SETTINGS, PRIMARY_KEY

TASK_TIMEOUT_MS = 120_000
POOL_SIZE = 16  # kept-alive connections to Meilisearch per event loop (more are opened, not kept)


class SearchTaskFailed(Exception):
    """A Meilisearch task ended in a status other than `succeeded`."""


class _RawHitsResult(msgspec.Struct):
    """One result of a multi-search with each hit left as the JSON Meilisearch sent (other fields
    of the answer are not read)."""

    hits: list[msgspec.Raw]
    totalHits: int = 0  # noqa: N815 (Meilisearch's name)
    facetDistribution: dict[str, dict[str, int]] | None = None  # noqa: N815


class _RawHitsAnswer(msgspec.Struct):
    results: list[_RawHitsResult]


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn the client's three kinds of failure into the domain's SearchUnavailable."""
    try:
        yield
    except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
        raise SearchUnavailable(str(exc)) from exc
    except MeilisearchApiError as exc:
        raise SearchUnavailable(f"{exc.code}: {exc.message}") from exc


class SearchEngine:
    """One Meilisearch server and the providers index on it."""

    def __init__(
        self, url: str, api_key: str | None, index_uid: str, *, timeout: int = 10, target_name: str | None = None
    ) -> None:
        self.url = url
        self.index_uid = index_uid
        self.target_name = target_name
        self.timeout = timeout
        self.client = meilisearch.Client(url, api_key or None, timeout=timeout)
        self._search_url = url.rstrip("/") + "/multi-search"
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ConnectionPool] = weakref.WeakKeyDictionary()

    @property
    def target(self) -> str:
        """The outbox delivery target name of this server + index."""
        return f"{self.target_name or self.url.rstrip('/')}#{self.index_uid}"

    @property
    def index(self) -> meilisearch.index.Index:
        return self.client.index(self.index_uid)

    # -- tasks -------------------------------------------------------------------------------------
    def wait(self, task_uid: int, timeout_ms: int = TASK_TIMEOUT_MS, *, allow: tuple[str, ...] = ()) -> None:
        """Wait for a task; raise SearchTaskFailed unless it succeeded (or failed with an
        error code in `allow`)."""
        task = self.client.wait_for_task(task_uid, timeout_in_ms=timeout_ms, interval_in_ms=25)
        if task.status == "succeeded":
            return
        if task.status == "failed" and (task.error or {}).get("code") in allow:
            return
        raise SearchTaskFailed(f"task {task_uid} {task.status}: {task.error}")

    # -- health ------------------------------------------------------------------------------------
    def is_healthy(self) -> bool:
        return self.client.is_healthy()

    def document_count(self) -> int | None:
        try:
            return self.index.get_stats().number_of_documents
        except (MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError):
            return None

    # -- index management --------------------------------------------------------------------------
    def ensure_index(self, uid: str | None = None) -> None:
        """Create the index if missing and apply the settings (settings before documents)."""
        uid = uid or self.index_uid
        try:
            self.client.get_index(uid)
        except MeilisearchApiError as exc:
            if exc.code != "index_not_found":
                raise
            self.wait(self.client.create_index(uid, {"primaryKey": PRIMARY_KEY}).task_uid)
        self.wait(self.client.index(uid).update_settings(INDEX_SETTINGS).task_uid)

    def delete_index(self, uid: str) -> None:
        """Delete an index; a missing one is fine."""
        self.wait(self.client.delete_index(uid).task_uid, allow=("index_not_found",))

    def apply(self, upserts: Sequence[dict[str, Any]], deletes: Sequence[int], uid: str | None = None) -> None:
        """Idempotent upserts and deletes; returns only when Meilisearch has applied them."""
        index = self.client.index(uid or self.index_uid)
        tasks = []
        if upserts:
            tasks.append(index.add_documents(list(upserts), primary_key=PRIMARY_KEY).task_uid)
        if deletes:
            ids = ", ".join(str(int(i)) for i in deletes)
            tasks.append(index.delete_documents(filter=f"id IN [{ids}]").task_uid)
        for task_uid in tasks:
            self.wait(task_uid)

    def send_documents(self, documents: Sequence[dict[str, Any]], uid: str | None = None) -> int:
        """Queue an upsert without waiting; returns the task uid (wait for it with `wait`)."""
        index = self.client.index(uid or self.index_uid)
        return index.add_documents(list(documents), primary_key=PRIMARY_KEY).task_uid

    def swap(self, a: str, b: str) -> None:
        """Atomically swap two indexes (settings move with the documents)."""
        self.wait(self.client.swap_indexes([{"indexes": [a, b]}]).task_uid)

    # -- queries -----------------------------------------------------------------------------------
    def _pool(self) -> ConnectionPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = ConnectionPool(self._search_url, self._headers, max_idle=POOL_SIZE)
        return pool

    async def multi_search(self, queries: list[dict[str, Any]], raw_hits: bool = False) -> list[dict[str, Any]]:
        """Run several searches in one request (on a kept-alive connection). With `raw_hits` each
        hit is left as the JSON Meilisearch sent (`msgspec.Raw`), for a caller that keys something
        by it; a result then has only `hits`, `totalHits` and `facetDistribution`."""
        for q in queries:
            q.setdefault("indexUid", self.index_uid)
        body = msgspec.json.encode({"queries": queries, "federation": None})
        try:
            status, data = await self._pool().post(body, timeout=self.timeout)
        except HttpError as exc:  # refused, reset (after one retry on a new connection), malformed
            raise SearchUnavailable(f"Meilisearch unreachable at {self.url}: {exc}") from exc
        except TimeoutError as exc:
            raise SearchUnavailable(f"Meilisearch at {self.url} did not answer within {self.timeout} s") from exc
        if raw_hits and status == 200:
            try:
                return [msgspec.structs.asdict(r) for r in msgspec.json.decode(data, type=_RawHitsAnswer).results]
            except msgspec.DecodeError as exc:  # a 200 without results of hits: not a multi-search answer
                raise SearchUnavailable(f"unexpected multi-search answer: {exc}") from exc
        try:
            answer = msgspec.json.decode(data)
        except msgspec.DecodeError:
            answer = None
        if status != 200 or not isinstance(answer, dict) or "results" not in answer:
            error = answer if isinstance(answer, dict) else {}
            raise SearchUnavailable(f"{error.get('code', f'HTTP {status}')}: "
                                    f"{error.get('message', data[:200].decode(errors='replace'))}")
        return answer["results"]

    async def aclose(self) -> None:
        """Close this event loop's kept-alive search connections (at shutdown)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            pool.close()

    def any_document(self, fields: list[str]) -> dict[str, Any] | None:
        """One document of the index with only `fields` (and those it has), or None if empty."""
        with translated_errors():
            found = self.index.get_documents({"limit": 1, "fields": fields}).results
        return dict(found[0]) if found else None

    def get_document(self, provider_id: int) -> dict[str, Any] | None:
        with translated_errors():
            try:
                return dict(self.index.get_document(provider_id))
            except MeilisearchApiError as exc:
                if exc.code == "document_not_found":
                    return None
                raise

    # -- bulk upload (rebuild) ---------------------------------------------------------------------
    def send_documents_json(self, payload: bytes, uid: str | None = None) -> int:
        """Queue an upsert of documents already encoded as one JSON array (the rebuild encodes with
        msgspec, several times faster than the client's json.dumps); returns the task uid."""
        index = self.client.index(uid or self.index_uid)
        return index.add_documents_raw(payload, primary_key=PRIMARY_KEY, content_type="application/json").task_uid
