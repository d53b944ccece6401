"""Database helpers: one write-transaction helper for both engines, a fast path for small hot
reads, start-up and shutdown."""
from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.query.methods.select import Select
from piccolo.table import Table

from marketplace.piccolo_conf import DB


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for a use case that writes: IMMEDIATE on SQLite (no 'database is locked'
    when read-then-write transactions race), a plain transaction on PostgreSQL. Nested calls
    join the outer transaction."""
    if isinstance(DB, SQLiteEngine):
        if DB.current_transaction.get() is not None:
            yield
            return
        async with DB.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with DB.transaction():
            yield


async def lock_row(table: type[Table], row_id: int) -> None:
    """Inside a write transaction: take the row's write lock until the commit, so that concurrent
    read-then-write use cases on the same object run one after the other. PostgreSQL: SELECT … FOR
    UPDATE. SQLite: nothing to do, BEGIN IMMEDIATE already serialises every writer."""
    if isinstance(DB, SQLiteEngine):
        return
    await table.select(table._meta.primary_key).where(table._meta.primary_key == row_id).lock_rows()


_open_count = 0  # open_database() calls not yet matched by close_database()


async def open_database() -> None:
    """Prepare the engine: WAL on SQLite, the connection pool on PostgreSQL. Nested calls (a test
    session around an app's lifespan) share the first call's pool."""
    global _open_count
    _open_count += 1
    if _open_count > 1:
        return
    try:
        if isinstance(DB, SQLiteEngine):
            await DB.run_ddl("PRAGMA journal_mode=WAL")
        elif isinstance(DB, PostgresEngine):
            await DB.start_connection_pool(min_size=1, max_size=10)
    except BaseException:
        _open_count -= 1
        raise


async def close_database() -> None:
    """Close what open_database() opened, when the outermost caller closes."""
    global _open_count
    if _open_count == 0:
        return
    _open_count -= 1
    if _open_count == 0:
        _close_reader()
        if isinstance(DB, PostgresEngine):
            await DB.close_connection_pool()


def is_sqlite() -> bool:
    """True when the embedded SQLite engine is in use."""
    return isinstance(DB, SQLiteEngine)


# -- small hot reads ----------------------------------------------------------------------------------
# On SQLite every Piccolo query outside a transaction opens a new connection in a new thread
# (aiosqlite), about 2 ms of CPU. The few reads that run many times a second in every process (the
# outbox worker's poll, the search cache's delivery cursor) would cost each worker ~2 % of a core
# when idle and more under load. They go through one kept-open connection per thread instead,
# run on the event loop itself: an indexed read of a row or two takes microseconds, and in WAL mode
# a reader never waits for a writer. On PostgreSQL Piccolo's connection pool already makes them cheap.
_readers = threading.local()
READER_BUSY_TIMEOUT_S = 0.05  # a read that would wait longer goes the ordinary way (a thread of its own)


def _reader() -> sqlite3.Connection:
    """This thread's read connection to the SQLite file DB points at (reopened when the path or
    the file itself changed: tests and benchmarks move DB.path, and a file replaced at the same
    path is a new database)."""
    path = DB.path
    identity = (path, os.stat(path).st_ino)
    conn: sqlite3.Connection | None = getattr(_readers, "conn", None)
    if conn is None or _readers.identity != identity:
        _close_reader()
        conn = sqlite3.connect(path, timeout=READER_BUSY_TIMEOUT_S, isolation_level=None)  # autocommit
        conn.execute("PRAGMA query_only = ON")
        _readers.conn, _readers.identity = conn, identity
    return conn


def _close_reader() -> None:
    conn = getattr(_readers, "conn", None)
    if conn is not None:
        _readers.conn = None
        conn.close()


async def read_rows(query: Select) -> list[dict[str, Any]]:
    """The rows of a small, indexed `query` (a Piccolo select), as dicts of column → value.

    For hot reads only, and only of columns whose stored value is what the caller wants (integers
    and text): on SQLite outside a transaction, the rows come straight from the database, without
    Piccolo's conversions of booleans, timestamps or JSON. Inside a transaction (the read must see
    its writes), on PostgreSQL, or when SQLite is busy, the query runs the ordinary way."""
    if isinstance(DB, SQLiteEngine) and DB.current_transaction.get() is None:
        sql, args = query.querystrings[0].compile_string(engine_type="sqlite")
        try:
            cursor = _reader().execute(sql, args)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
        except (sqlite3.Error, OSError):
            _close_reader()  # busy, moved or not created yet: the ordinary way says what is wrong
    return await query.run()
