"""Piccolo configuration: the engine from MARKETPLACE_DATABASE_URL and the app registry."""
from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from marketplace.settings import get_settings


def _engine() -> SQLiteEngine | PostgresEngine:
    settings = get_settings()
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(settings.sqlite_path), timeout=30)
    url = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    return PostgresEngine(config={"dsn": url})


DB = _engine()

APP_REGISTRY = AppRegistry(apps=["marketplace.piccolo_app"])
