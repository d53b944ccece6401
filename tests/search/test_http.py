"""The search connection pool (search.http) against a real TCP server on loopback that answers as
each test scripts it: kept-alive reuse, chunked answers, a connection closed while idle or while
answering, `Connection: close`, timeouts and cancellation."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest

from marketplace.errors import SearchUnavailable
from search.client import SearchEngine
from search.http import ConnectionPool, HttpError

Handler = Callable[[int, int, bytes, asyncio.StreamWriter], Awaitable[bool]]  # (connection no, request no on it, body, writer) → keep going


def answer(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class ScriptedServer:
    """Reads HTTP/1.1 requests with a Content-Length body; `handler` writes (or withholds) the answer.
    On leaving, handlers still holding a connection (see `never`) are cancelled."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[tuple[int, bytes]] = []  # (connection no, body)
        self.server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()
        self._handlers: set[asyncio.Task] = set()

    async def received(self, count: int) -> None:
        """Return once `count` requests have reached the server."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)

    async def __aenter__(self) -> "ScriptedServer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        for task in self._handlers:
            task.cancel()
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/multi-search"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn, n = self.connections, 0
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                assert lines[0] == "POST /multi-search HTTP/1.1", lines[0]
                length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
                body = await reader.readexactly(length)
                n += 1
                async with self._arrived:
                    self.requests.append((conn, body))
                    self._arrived.notify_all()
                if not await self.handler(conn, n, body, writer):
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)


async def never() -> None:
    """A Meilisearch that never answers: wait for nothing (the server cancels it on leaving)."""
    await asyncio.Event().wait()


async def echo(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(answer(b'{"echo": ' + body + b"}"))
    return True


async def test_one_kept_alive_connection_serves_requests_one_after_another():
    async with ScriptedServer(echo) as server:
        pool = ConnectionPool(server.url, {"Content-Type": "application/json"})
        answers = [await pool.post(b'{"n": %d}' % i) for i in range(5)]
        pool.close()

    assert answers == [(200, b'{"echo": {"n": %d}}' % i) for i in range(5)]
    assert server.connections == 1


async def test_concurrent_requests_get_a_connection_each_and_only_max_idle_are_kept():
    release = asyncio.Event()

    async def slow(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        await release.wait()
        writer.write(answer(body))
        return True

    async with ScriptedServer(slow) as server:
        pool = ConnectionPool(server.url, {}, max_idle=2)
        pending = [asyncio.ensure_future(pool.post(b"%d" % i)) for i in range(4)]
        async with asyncio.timeout(5):
            await server.received(4)  # every request has reached the server on its own connection
        release.set()
        answers = await asyncio.gather(*pending)
        again = await asyncio.gather(*(pool.post(b"x") for _ in range(2)))
        pool.close()

    assert sorted(answers) == [(200, b"%d" % i) for i in range(4)]
    assert again == [(200, b"x"), (200, b"x")]
    assert server.connections == 4  # the two kept connections served the second round
    assert {conn for conn, body in server.requests if body == b"x"} <= {1, 2, 3, 4}


async def test_a_chunked_answer_is_joined():
    async def chunked(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n")
        return True

    async with ScriptedServer(chunked) as server:
        pool = ConnectionPool(server.url, {})
        first, second = await pool.post(b"{}"), await pool.post(b"{}")
        pool.close()

    assert first == second == (200, b'{"a": 1}')
    assert server.connections == 1


async def test_a_connection_closed_while_idle_is_replaced_and_the_request_sent_once_more():
    async def close_on_second(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        if n == 2:  # as a server does when its keep-alive timeout strikes just as the request arrives
            return False
        writer.write(answer(body))
        return True

    async with ScriptedServer(close_on_second) as server:
        pool = ConnectionPool(server.url, {})
        first = await pool.post(b"1")
        second = await pool.post(b"2")
        pool.close()

    assert (first, second) == ((200, b"1"), (200, b"2"))
    assert server.requests == [(1, b"1"), (1, b"2"), (2, b"2")]


@pytest.mark.parametrize(("sent", "error"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial", "closed by the server"),  # then the server hangs up
    (b"SPDY/9 what\r\n\r\n", "malformed HTTP answer"),
], ids=["cut-off", "malformed"])
async def test_a_broken_answer_is_an_error_and_the_request_is_not_sent_again(sent: bytes, error: str):
    async def broken(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(sent)
        return False

    async with ScriptedServer(broken) as server:
        pool = ConnectionPool(server.url, {})
        with pytest.raises(HttpError, match=error):
            await pool.post(b"1")
        pool.close()

    assert server.requests == [(1, b"1")]


async def test_connection_close_in_the_answer_is_honoured():
    async def closing(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(body, "Connection: close"))
        return False

    async with ScriptedServer(closing) as server:
        pool = ConnectionPool(server.url, {})
        assert await pool.post(b"1") == (200, b"1")
        assert await pool.post(b"2") == (200, b"2")
        pool.close()

    assert server.requests == [(1, b"1"), (2, b"2")]


async def test_a_request_cancelled_while_waiting_leaves_no_connection_to_be_reused():
    held = asyncio.Event()

    async def hold_first(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        if body == b"slow":
            held.set()
            await never()  # the test cancels the request
        writer.write(answer(body))
        return True

    async with ScriptedServer(hold_first) as server:
        pool = ConnectionPool(server.url, {})
        slow = asyncio.ensure_future(pool.post(b"slow"))
        await held.wait()
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert await pool.post(b"next") == (200, b"next")
        pool.close()

    assert [conn for conn, _ in server.requests] == [1, 2]  # the late answer could not be read as the next one's


async def test_a_silent_meilisearch_becomes_search_unavailable_after_the_timeout():
    async def silent(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        await never()
        return False

    async with ScriptedServer(silent) as server:
        engine = SearchEngine(server.url.removesuffix("/multi-search"), None, "providers", timeout=1)
        with pytest.raises(SearchUnavailable) as raised:
            await engine.multi_search([{"q": ""}])
        assert "did not answer within 1 s" in raised.value.detail
        await engine.aclose()


async def test_a_request_past_its_timeout_fails_and_leaves_no_connection_to_be_reused():
    async def first_silent(conn: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        if body == b"slow":
            await never()
        writer.write(answer(body))
        return True

    async with ScriptedServer(first_silent) as server:
        pool = ConnectionPool(server.url, {})
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await pool.post(b"slow", timeout=0.3)
        assert 0.29 <= loop.time() - started < 2
        assert await pool.post(b"next", timeout=5) == (200, b"next")  # in time: the timer is cancelled
        assert await pool.post(b"again", timeout=5) == (200, b"again")
        pool.close()

    assert [conn for conn, _ in server.requests] == [1, 2, 2]  # the timed-out connection was not reused


async def test_nothing_listening_becomes_search_unavailable():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()  # the port is free again: nothing listens there now
    engine = SearchEngine(f"http://127.0.0.1:{port}", None, "providers", timeout=2)

    with pytest.raises(SearchUnavailable) as raised:
        await engine.multi_search([{"q": ""}])
    assert raised.value.detail.startswith(f"Meilisearch unreachable at http://127.0.0.1:{port}: cannot connect")


async def test_the_request_carries_the_path_prefix_host_and_headers():
    heads: list[str] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append((await reader.readuntil(b"\r\n\r\n")).decode())
        writer.write(answer(b'{"results": []}'))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(record, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = SearchEngine(f"http://127.0.0.1:{port}/meili/", "secret-key", "providers")
    try:
        assert await engine.multi_search([{"q": ""}]) == []
    finally:
        await engine.aclose()
        server.close()
        await server.wait_closed()

    lines = heads[0].split("\r\n")
    assert lines[0] == "POST /meili/multi-search HTTP/1.1"
    assert f"Host: 127.0.0.1:{port}" in lines
    assert "Authorization: Bearer secret-key" in lines
    assert "Content-Type: application/json" in lines


async def test_only_http_urls_are_accepted():
    with pytest.raises(ValueError, match="not an http"):
        ConnectionPool("ftp://example.org/x", {})
