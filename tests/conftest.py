"""Session-wide real parts: a database (SQLite by default, PostgreSQL when
MARKETPLACE_DATABASE_URL says so), a Meilisearch server, a fresh index per test, and an HTTP client
on the real app. Builders for engines and clients live in `factories.py` (tests import those, never
this module).

The environment is prepared before `marketplace` is imported: settings are read once.
"""
from __future__ import annotations

import os
import sys
import tempfile

# One scratch folder per run (reused if this module is imported twice), removed at the end.
_TMP = os.environ.get("MARKETPLACE_TESTS_TMP") or tempfile.mkdtemp(prefix="marketplace-tests-")
os.environ["MARKETPLACE_TESTS_TMP"] = _TMP
if not os.environ.get("MARKETPLACE_DATA_DIR", "").strip():
    os.environ["MARKETPLACE_DATA_DIR"] = _TMP
# Meilisearch sizes its indexing buffers from the machine's RAM; touching gigabytes of fresh memory
# for a one-document task costs up to seconds on this VM. A small budget keeps a task at ~40 ms.
os.environ.setdefault("MEILI_MAX_INDEXING_MEMORY", "128 MiB")
os.environ.setdefault("PICCOLO_CONF", "marketplace.piccolo_conf")


def _private_postgres_database() -> str | None:
    """On PostgreSQL, give this run a database of its own on the given server (created here, dropped
    at the end), so that parallel runs (developers, CI) never drop each other's schema."""
    import asyncio
    import uuid as _uuid
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("MARKETPLACE_DATABASE_URL", "").strip()
    if not url.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
        return None
    import asyncpg

    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://"))
    name = f"mp_test_{os.getpid()}_{_uuid.uuid4().hex[:6]}"

    async def create() -> None:
        conn = await asyncpg.connect(urlunsplit(parts))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    os.environ["MARKETPLACE_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return urlunsplit(parts)


_PG_ADMIN_URL = _private_postgres_database()
# `from factories import make_provider` in every test module (one copy of the module, whatever the
# test's package).
_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

import shutil  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import AsyncIterator, Iterator  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402
from factories import Meili, app_client, down_engine, new_engine  # noqa: E402

from marketplace.db import close_database, is_sqlite, open_database, write_transaction  # noqa: E402
from marketplace.piccolo_conf import DB  # noqa: E402
from marketplace.settings import get_settings  # noqa: E402
from search.client import SearchEngine  # noqa: E402
from search.server import MeiliServer  # noqa: E402

TMP_DIR = Path(_TMP)
REFERENCE_TABLES = {"municipality", "postcode"}  # filled once per run, never emptied


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = get_settings()
    return [f"marketplace database: {settings.database_url}", f"marketplace data dir: {settings.data_dir}"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(TMP_DIR, ignore_errors=True)
    if _PG_ADMIN_URL:
        import asyncio

        import asyncpg

        name = get_settings().database_url.rsplit("/", 1)[1]

        async def drop() -> None:
            conn = await asyncpg.connect(_PG_ADMIN_URL)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(drop())


# -- database ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def domain_tables() -> tuple[str, ...]:
    """Every table but the reference tables (and Piccolo's `migration`), children before parents
    (review, decision, enrolment, provider_result, outcome, …, provider, outbox_event, audit_entry).
    Read from the app's table list, so a table added later is emptied too."""
    from piccolo.table import sort_table_classes

    from marketplace.piccolo_app import APP_CONFIG

    ordered = sort_table_classes(list(APP_CONFIG.table_classes))  # parents before children
    return tuple(t._meta.tablename for t in reversed(ordered) if t._meta.tablename not in REFERENCE_TABLES)


async def _reset_postgres_schema(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


@pytest.fixture(scope="session", autouse=True)
async def database() -> AsyncIterator[None]:
    """An up-to-date database for the whole run: an empty schema first (PostgreSQL), then the
    migrations and the reference data. The pool stays open for the run (apps started by tests
    share it: open_database/close_database nest)."""
    from marketplace.bootstrap import migrate
    from marketplace.reference.services import sync_reference_tables

    if not is_sqlite():
        await _reset_postgres_schema(get_settings().database_url)
    await open_database()
    try:
        await migrate()
        await sync_reference_tables()
        yield
    finally:
        await close_database()


@pytest.fixture(autouse=True)
async def empty_domain_tables(database: None) -> AsyncIterator[None]:
    """After each test: every domain table is empty again (one transaction, FK-safe order)."""
    yield
    async with write_transaction():
        for table in domain_tables():
            await DB.run_ddl(f"DELETE FROM {table}")


# -- search ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def meili() -> Iterator[Meili]:
    """MEILI_URL (with MEILI_MASTER_KEY) when given, else a Meilisearch started for this run."""
    url = os.environ.get("MEILI_URL", "").strip()
    if url:
        yield Meili(url, os.environ.get("MEILI_MASTER_KEY", ""))
        return
    server = MeiliServer(data_dir=TMP_DIR / "meili-session")
    server.start()
    try:
        yield Meili(server.url, server.master_key)
    finally:
        server.stop()


@pytest.fixture
async def engine(meili: Meili) -> AsyncIterator[SearchEngine]:
    """A fresh, configured index (and outbox cursor) for this test; deleted afterwards, with the
    search connections it kept open."""
    search_engine = new_engine(meili)
    yield search_engine
    await search_engine.aclose()
    search_engine.delete_index(search_engine.index_uid)


# -- HTTP --------------------------------------------------------------------------------------------
@pytest.fixture
async def client(engine: SearchEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app on this test's index; no background outbox worker (tests drain with index_all)."""
    async with app_client(engine) as http:
        yield http


@pytest.fixture
async def down_client() -> AsyncIterator[httpx.AsyncClient]:
    """The app with a search engine on a loopback port where nothing listens."""
    async with app_client(down_engine()) as http:
        yield http
