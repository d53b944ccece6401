"""Bring the database up to date: migrations, reference tables and (optionally) demo data."""
from __future__ import annotations

from typing import Callable

from piccolo.apps.migrations.commands.forwards import run_forwards


async def migrate() -> None:
    """Apply every pending Piccolo migration; raise if one fails."""
    result = await run_forwards(app_name="marketplace", migration_id="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def prepare_database(*, demo: bool, progress: Callable[[str, int, int], None] | None = None) -> dict | None:
    """Migrations, reference data, and demo data when `demo` and the database has no providers."""
    from marketplace.reference.services import sync_reference_tables

    await migrate()
    await sync_reference_tables()
    if demo:
        from marketplace.demo.seed import seed_demo

        return await seed_demo(progress=progress)
    return None
