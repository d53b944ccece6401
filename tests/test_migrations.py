"""The migrations build the whole schema on an empty database, and the tables match them.

Each run uses a database of its own (a fresh SQLite file; on the PostgreSQL pass a fresh database on
the same server, dropped afterwards), through the same command an operator would type."""
from __future__ import annotations

import asyncio
import importlib
import os
import sqlite3
import subprocess
import sys
import uuid
from itertools import chain
from pathlib import Path

import pytest

from marketplace.piccolo_app import APP_CONFIG
from marketplace.settings import PROJECT_DIR, get_settings

EXPECTED_TABLES = {table._meta.tablename for table in APP_CONFIG.table_classes} | {"migration"}
MIGRATION_IDS = sorted(
    importlib.import_module(f"marketplace.migrations.{path.stem}").ID
    for path in (PROJECT_DIR / "marketplace" / "migrations").glob("marketplace_*.py")
)


def piccolo(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`python -m piccolo.main migrations …` against another database."""
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": database_url, "MARKETPLACE_DATA_DIR": str(data_dir),
           "PICCOLO_CONF": "marketplace.piccolo_conf"}
    return subprocess.run([sys.executable, "-m", "piccolo.main", "migrations", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=180)


def migration_statuses(check_output: str) -> dict[str, str]:
    """`piccolo migrations check` rows → migration id: the RAN column."""
    rows = [[cell.strip() for cell in line.split("|")] for line in check_output.splitlines() if "|" in line]
    return {row[1]: row[-1] for row in rows if row[0] == "marketplace"}


def migrate_and_check(database_url: str, data_dir: Path) -> None:
    forwards = piccolo("forwards", "marketplace", database_url=database_url, data_dir=data_dir)
    assert forwards.returncode == 0, forwards.stdout + forwards.stderr
    check = piccolo("check", "marketplace", database_url=database_url, data_dir=data_dir)
    assert check.returncode == 0, check.stdout + check.stderr
    assert migration_statuses(check.stdout) == {migration_id: "True" for migration_id in MIGRATION_IDS}


def test_migrations_build_every_table_on_an_empty_sqlite_database(tmp_path):
    path = tmp_path / "fresh.sqlite3"

    migrate_and_check(f"sqlite:///{path}", tmp_path)

    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert EXPECTED_TABLES <= tables


async def test_migrations_build_every_table_on_an_empty_postgresql_database(tmp_path):
    url = get_settings().database_url
    if get_settings().is_sqlite:
        pytest.skip("runs in the PostgreSQL pass (MARKETPLACE_DATABASE_URL=postgresql://…)")
    import asyncpg

    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        fresh_url = url.rsplit("/", 1)[0] + "/" + name
        try:
            await asyncio.to_thread(migrate_and_check, fresh_url, tmp_path)
            fresh = await asyncpg.connect(fresh_url)
            try:
                rows = await fresh.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            finally:
                await fresh.close()
            assert EXPECTED_TABLES <= {row["table_name"] for row in rows}
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_the_tables_match_the_migrations_so_no_migration_is_missing():
    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    alter = await AutoMigrationManager(auto_input="y").get_alter_statements(APP_CONFIG)

    assert list(chain.from_iterable(a.statements for a in alter)) == []


async def test_the_test_database_has_run_every_migration():
    from piccolo.apps.migrations.commands.check import CheckMigrationManager

    statuses = await CheckMigrationManager(app_name="marketplace").get_migration_statuses()

    assert {s.migration_id: s.has_ran for s in statuses} == {migration_id: True for migration_id in MIGRATION_IDS}
