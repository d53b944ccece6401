"""Small hot reads (marketplace.db.read_rows): the same rows as Piccolo gives, never a stale
snapshot, a transaction's own writes seen inside it, and on SQLite one kept-open connection that
follows the database file."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from marketplace import db
from marketplace.db import is_sqlite, read_rows, write_transaction
from marketplace.piccolo_conf import DB
from search import outbox
from search.tables import OutboxCursor, OutboxEvent


def _events_after(after: int):
    return (OutboxEvent.select(OutboxEvent.id, OutboxEvent.provider_id)
            .where(OutboxEvent.id > after).order_by(OutboxEvent.id).limit(10))


async def test_the_rows_are_those_piccolo_gives():
    for provider_id in (7, 3, 9):
        await OutboxEvent.insert(OutboxEvent(provider_id=provider_id, reason="test"))
    first = (await OutboxEvent.select(OutboxEvent.id).order_by(OutboxEvent.id).first())["id"]

    rows = await read_rows(_events_after(first))

    assert rows == await _events_after(first)
    assert [r["provider_id"] for r in rows] == [3, 9]


async def test_a_committed_change_is_seen_by_the_next_read():
    await outbox.advance_cursor("t-fresh", 5)
    assert await outbox.cursor_of("t-fresh") == 5

    await outbox.advance_cursor("t-fresh", 12)  # written through Piccolo, on another connection

    assert await outbox.cursor_of("t-fresh") == 12
    assert await outbox.cursor_of("t-none") == 0


async def test_inside_a_transaction_its_own_writes_are_seen():
    async with write_transaction():
        await OutboxCursor.insert(OutboxCursor(target="t-tx", last_event_id=4))
        inside = await read_rows(OutboxCursor.select(OutboxCursor.last_event_id).where(OutboxCursor.target == "t-tx"))

    assert inside == [{"last_event_id": 4}]


@pytest.mark.skipif(not is_sqlite(), reason="the kept-open connection is SQLite's")
async def test_sqlite_reads_share_one_connection_on_the_calling_thread():
    await read_rows(_events_after(0))
    conn = db._readers.conn
    threads = threading.active_count()

    for _ in range(5):
        await read_rows(_events_after(0))

    assert db._readers.conn is conn  # no connection (and no thread) per read
    assert threading.active_count() == threads


@pytest.mark.skipif(not is_sqlite(), reason="the kept-open connection is SQLite's")
async def test_sqlite_a_file_replaced_at_the_same_path_is_read_anew(tmp_path):
    path = tmp_path / "moved.sqlite3"

    def make(file, value: int) -> None:
        with sqlite3.connect(file) as conn:
            conn.execute("CREATE TABLE outbox_cursor (id INTEGER PRIMARY KEY, target TEXT, last_event_id INTEGER,"
                         " updated_at TEXT)")
            conn.execute("INSERT INTO outbox_cursor (target, last_event_id) VALUES ('t', ?)", (value,))
        conn.close()

    saved = DB.path
    DB.path = str(path)
    try:
        make(path, 1)
        assert await outbox.cursor_of("t") == 1
        make(tmp_path / "next.sqlite3", 2)
        (tmp_path / "next.sqlite3").replace(path)  # a new database at the same path

        assert await outbox.cursor_of("t") == 2
    finally:
        DB.path = saved
        db._close_reader()
    assert await outbox.cursor_of("t") == 0  # back on the test database
