"""The application factory.

    create_app()  →  Litestar app with the domain controllers, templates, static files, error
                     handlers and a lifespan that opens the database and runs the outbox worker.

Security (marketplace.accounts, marketplace.web.security): server-side sessions in the database,
CSRF on every unsafe request, security headers on every response, `area_check` before every route handler, and
the `current_user` / `optional_user` dependencies.

Search settings come from MEILI_URL / MEILI_MASTER_KEY (`marketplace run` starts its own
Meilisearch and sets them). Tests pass their own `SearchEngine`.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from marketplace.accounts.guards import area_check, provide_current_user, provide_optional_user
from marketplace.accounts.sessions import SESSION_COOKIE, DatabaseSessionConfig, signed_in
from marketplace.accounts.store import DatabaseStore
from marketplace.db import close_database, open_database
from marketplace.routes import ROUTE_HANDLERS
from marketplace.settings import PROJECT_DIR, Settings, get_settings
from marketplace.web.assets import SHORT_CACHE, AssetManifest, asset_route
from marketplace.web.compression import SKIP_COMPRESSION
from marketplace.web.errors import EXCEPTION_HANDLERS
from marketplace.web.form_markup import JINJA_GLOBALS as FORM_MARKUP
from marketplace.web.fragments import JINJA_GLOBALS as FRAGMENTS
from marketplace.web.i18n import JINJA_FILTERS, JINJA_GLOBALS
from marketplace.web.templating import LocalizedTemplateEngine
from marketplace.web.security import MAX_BODY_BYTES, secret_key, security_headers
from search.client import SearchEngine
from search.result_cache import STATE_KEY as SEARCH_CACHE_STATE, SearchCache, enabled_by_environment as search_cache_enabled
from marketplace.providers.sweeps import run_freshness_sweeps
from search.sync import run_worker

TEMPLATES_DIR = PROJECT_DIR / "templates"
STATIC_DIR = PROJECT_DIR / "static"
DKFDS_DIR = PROJECT_DIR / "node_modules" / "dkfds" / "dist"


def _configure_jinja(engine: LocalizedTemplateEngine, assets: AssetManifest) -> None:
    engine.update_globals({**JINJA_GLOBALS, **FORM_MARKUP, **FRAGMENTS, "asset": assets.url, "signed_in": signed_in})
    engine.update_filters(JINJA_FILTERS)


def create_app(
    settings: Settings | None = None, *, search_engine: SearchEngine | None = None, run_outbox_worker: bool = True,
    search_cache: bool | None = None,
) -> Litestar:
    """Build the portal. `search_cache` (default: with the outbox worker, unless
    MARKETPLACE_SEARCH_CACHE=0) keeps popular searches: anonymous visitors' pages and the search
    API's answers (search.result_cache);
    its invalidation relies on this process's worker signalling deliveries."""
    settings = settings or get_settings()
    engine = search_engine or SearchEngine(settings.meili_url or "http://127.0.0.1:7700", settings.meili_master_key,
                                           settings.meili_index, target_name=settings.meili_target or None)

    assets = AssetManifest({"app": STATIC_DIR, "dkfds": DKFDS_DIR})  # hashed URLs, cached for a year
    use_cache = run_outbox_worker if search_cache is None else search_cache
    answers = SearchCache(engine.target) if use_cache and search_cache_enabled() else None
    sessions = DatabaseStore()
    session_config = DatabaseSessionConfig(
        key=SESSION_COOKIE, store="sessions", secure=settings.secure_cookies, httponly=True, samesite="lax",
        idle_timeout=settings.session_idle_minutes * 60, absolute_timeout=settings.session_absolute_hours * 3600,
        max_age=int(settings.session_absolute_hours * 3600), exclude=["^/static/", "^/health$"],
    )
    csrf_config = CSRFConfig(
        secret=secret_key(settings), cookie_name="csrftoken", header_name="x-csrftoken",
        cookie_secure=settings.secure_cookies, cookie_samesite="lax", exclude=["^/static/"],
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await open_database()
        try:
            await sessions.delete_expired()
        except Exception:  # housekeeping only: never keep the portal from starting
            logging.getLogger("marketplace").warning("could not purge expired sessions", exc_info=True)
        stop = asyncio.Event()
        tasks = (
            [asyncio.create_task(run_worker(engine, stop, settings.outbox_poll_seconds,
                                            delivered=answers.delivered if answers is not None else None)),
             asyncio.create_task(run_freshness_sweeps(stop))]
            if run_outbox_worker else []
        )
        try:
            yield
        finally:
            stop.set()
            if tasks:
                await asyncio.wait(tasks, timeout=10)
                for task in tasks:
                    task.cancel()
            await engine.aclose()
            await close_database()

    return Litestar(
        route_handlers=[
            *ROUTE_HANDLERS,
            asset_route(assets),
            create_static_files_router(path="/static/dkfds", directories=[DKFDS_DIR], name="dkfds",
                                       include_in_schema=False, cache_control=SHORT_CACHE),
            create_static_files_router(path="/static/app", directories=[STATIC_DIR], name="static",
                                       include_in_schema=False, cache_control=SHORT_CACHE),
        ],
        dependencies={
            "search_engine": Provide(lambda: engine, sync_to_thread=False, use_cache=True),
            "current_user": Provide(provide_current_user),
            "optional_user": Provide(provide_optional_user),
        },
        stores={"sessions": sessions},
        middleware=[session_config.middleware],
        csrf_config=csrf_config,
        before_request=area_check,  # the areas' roles and the 413, on every route (see its docstring)
        before_send=[security_headers(settings)],
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=LocalizedTemplateEngine,
                                       engine_callback=lambda jinja: _configure_jinja(jinja, assets)),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_max_body_size=MAX_BODY_BYTES,  # forms and API; the outcome upload sets its own larger limit
        # Level 3: a 58 KB search page in 0.39 ms to 9.1 KB; level 6 took 0.90 ms for 8.1 KB, 9 took 1.2 ms.
        compression_config=CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=3,
                                             exclude_opt_key=SKIP_COMPRESSION),
        openapi_config=OpenAPIConfig(
            title="Godkendte aktører API", version="1.0.0", path="/schema",
            description="Åbne data om godkendte aktører / Open data on approved providers.",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        lifespan=[lifespan],
        state={"search_engine": engine, "settings": settings, SEARCH_CACHE_STATE: answers},
    )
