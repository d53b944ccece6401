"""A small HTTP/1.1 client on asyncio for the one hot request, the citizen's multi-search.

Why not the meilisearch client or a general HTTP library: the meilisearch client is blocking
(`requests`), so every search cost a hop to a worker thread and back, and `requests`/urllib3 spend
about 0.4 ms of CPU per request on their own (headers dicts, `http.client`, the thread hop); aiohttp
spent 0.5 ms. Writing the request and parsing the answer with `httptools` (the C parser uvicorn
serves the portal with) costs about 0.06 ms, on the event loop itself (bench/RESULTS.md, "Reading
of the runs from 07:47 to 08:34"). So this module does only what that one request needs:

- `POST` of a JSON body to a fixed URL (`http` or `https`, with a path prefix if the server sits
  behind one), with fixed headers;
- kept-alive connections, one per concurrent request, up to `max_idle` kept between requests; a
  connection the server closed while idle is noticed and not reused;
- a request that fails on a reused connection before any byte of the answer came back is sent
  once more on a new connection (Meilisearch may close an idle connection just as it is reused;
  a search changes nothing, so sending it twice is safe);
- anything else that goes wrong (refused, reset, timed out, cancelled, a malformed answer) closes
  that connection and raises; the caller turns it into the domain's error;
- `post(…, timeout=)`: a deadline for the whole request, kept with one timer on the loop rather
  than `asyncio.timeout` (which looks up the task and reschedules on every use, ~8 µs a search).

One `ConnectionPool` belongs to one event loop (asyncio transports do); `search.client.SearchEngine`
keeps one per loop.
"""
from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import httptools

USER_AGENT = "godkendte-aktoerer"


class HttpError(OSError):
    """The request could not be completed (connection refused or lost, malformed answer)."""


class _Connection(asyncio.Protocol):
    """One kept-alive connection: write a request, collect the one answer it gets."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []
        self._keep_alive = True
        self.closed = False
        self.answered = False  # a byte of the current request's answer arrived

    # -- asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.answered = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpError(f"malformed HTTP answer: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HttpError(f"connection closed by the server{f': {exc}' if exc else ''}"))

    # -- httptools callbacks -----------------------------------------------------------------------
    def on_headers_complete(self) -> None:
        self._keep_alive = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        body, self._body = b"".join(self._body), []
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self._parser.get_status_code(), body))
        if not self._keep_alive:
            self.close()

    # -- use ---------------------------------------------------------------------------------------
    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    async def exchange(self, request: bytes, deadline: float | None = None) -> tuple[int, bytes]:
        """Send one request; return the answer's status and body. At `deadline` (the loop's
        clock) without a whole answer: TimeoutError, and the connection is closed."""
        if self.closed or self._transport is None:
            raise HttpError("connection closed by the server")
        self.answered = False
        self._waiter = self._loop.create_future()
        self._transport.write(request)
        if deadline is None:
            return await self._waiter
        timer = self._loop.call_at(deadline, self._expire)
        try:
            return await self._waiter
        finally:
            timer.cancel()

    def _expire(self) -> None:
        self._fail(TimeoutError("no answer in time"))
        self.close()

    @property
    def reusable(self) -> bool:
        return self._keep_alive and not self.closed

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()


class ConnectionPool:
    """POST to one URL over kept-alive connections, on the event loop it was made on."""

    def __init__(self, url: str, headers: dict[str, str], *, max_idle: int = 16) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.max_idle = max_idle
        self._loop = asyncio.get_running_loop()
        self._idle: list[_Connection] = []
        host = parts.netloc.rsplit("@", 1)[-1]  # the Host header: host[:port], never credentials
        path = parts.path or "/"
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"User-Agent: {USER_AGENT}",
                 *(f"{k}: {v}" for k, v in headers.items())]
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")

    async def _connect(self) -> _Connection:
        try:
            _, conn = await self._loop.create_connection(
                lambda: _Connection(self._loop), self.host, self.port, ssl=self._ssl)
        except OSError as exc:
            raise HttpError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return conn

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()  # the most recently used: the least likely to have been closed
            if not conn.closed:
                return conn
        return None

    async def post(self, body: bytes, timeout: float | None = None) -> tuple[int, bytes]:
        """POST `body`; the answer's status and body. Raises HttpError when no answer came, and
        TimeoutError when none came within `timeout` seconds (connecting included)."""
        request = self._head + str(len(body)).encode() + b"\r\n\r\n" + body
        deadline = None if timeout is None else self._loop.time() + timeout
        for attempt in (1, 2):
            conn = self._take_idle()
            reused = conn is not None
            if conn is None:
                async with asyncio.timeout_at(deadline):  # seldom: only while the pool fills
                    conn = await self._connect()
            try:
                status, data = await conn.exchange(request, deadline)
            except HttpError:
                conn.close()
                if reused and not conn.answered and attempt == 1:
                    continue  # closed by the server while idle: once more, on a new connection
                raise
            except BaseException:  # cancelled or timed out mid-answer: the connection's state is unknown
                conn.close()
                raise
            if conn.reusable and len(self._idle) < self.max_idle:
                self._idle.append(conn)
            else:
                conn.close()
            return status, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the idle connections (those in use close when their request ends)."""
        for conn in self._idle:
            conn.close()
        self._idle.clear()
