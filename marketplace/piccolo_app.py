"""The one Piccolo app: it gathers every domain package's tables and owns the migrations.

Tables live beside their domain (`marketplace/<domain>/tables.py`, `search/tables.py`); one app with
one migration history keeps cross-domain foreign keys simple and the order of migrations obvious.
"""
from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

TABLE_MODULES = [
    "marketplace.reference.tables",
    "marketplace.accounts.tables",
    "marketplace.providers.tables",
    "marketplace.enrolments.tables",
    "marketplace.outcomes.tables",
    "marketplace.reviews.tables",
    "marketplace.audit.tables",
    "search.tables",
]

APP_CONFIG = AppConfig(
    app_name="marketplace",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=table_finder(modules=TABLE_MODULES, exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
