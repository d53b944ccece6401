"""Settings from the environment, each with a working default (the public contract in DESIGN.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _secure_cookies_default() -> bool:
    """MARKETPLACE_SECURE_COOKIES (1/0) when given; else on unless the portal listens on loopback."""
    value = _env("MARKETPLACE_SECURE_COOKIES", "").lower()
    if value:
        return value in ("1", "true", "yes", "on")
    return _env("MARKETPLACE_HOST", "127.0.0.1") not in ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Read once; tests build their own with `Settings(...)`."""

    data_dir: Path = field(default_factory=lambda: Path(_env("MARKETPLACE_DATA_DIR", str(PROJECT_DIR / "data"))))
    database_url: str = ""
    meili_url: str = field(default_factory=lambda: _env("MEILI_URL", ""))
    meili_master_key: str = field(default_factory=lambda: _env("MEILI_MASTER_KEY", ""))
    meili_target: str = field(default_factory=lambda: _env("MEILI_TARGET", ""))  # outbox cursor name
    meili_index: str = field(default_factory=lambda: _env("MEILI_INDEX", "providers"))
    host: str = field(default_factory=lambda: _env("MARKETPLACE_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("MARKETPLACE_PORT", "8000")))
    secret_key: str = field(default_factory=lambda: _env("MARKETPLACE_SECRET_KEY", ""))
    outbox_poll_seconds: float = field(default_factory=lambda: float(_env("MARKETPLACE_OUTBOX_POLL", "0.2")))
    # accounts: sessions end after this long without a request, and this long after login regardless
    session_idle_minutes: float = field(default_factory=lambda: float(_env("MARKETPLACE_SESSION_IDLE_MINUTES", "30")))
    session_absolute_hours: float = field(default_factory=lambda: float(_env("MARKETPLACE_SESSION_ABSOLUTE_HOURS", "8")))
    secure_cookies: bool = field(default_factory=_secure_cookies_default)  # Secure cookies + HSTS (HTTPS)

    def __post_init__(self) -> None:
        if not self.database_url:
            default = f"sqlite:///{self.data_dir / 'marketplace.sqlite3'}"
            object.__setattr__(self, "database_url", _env("MARKETPLACE_DATABASE_URL", default))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///").removeprefix("sqlite://"))

    @property
    def meili_embedded(self) -> bool:
        """True when the portal starts its own Meilisearch (no MEILI_URL given)."""
        return not self.meili_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
