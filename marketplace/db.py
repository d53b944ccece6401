"""Database helpers: one write-transaction helper for both engines, start-up and shutdown."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
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
    if _open_count == 0 and isinstance(DB, PostgresEngine):
        await DB.close_connection_pool()


def is_sqlite() -> bool:
    """True when the embedded SQLite engine is in use."""
    return isinstance(DB, SQLiteEngine)
