"""Health (database, search, outbox backlog), the language switch and static information pages."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Response, get
from litestar.concurrency import sync_to_thread
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from marketplace.outcomes.services import method_context
from marketplace.providers.tables import Provider
from search import outbox
from search.client import SearchEngine


class HealthOut(msgspec.Struct):
    status: str  # "ok", "degraded" (search down: pages say so, writes still accepted) or "down"
    database: dict[str, Any]
    search: dict[str, Any]
    outbox: dict[str, Any]


class SystemController(Controller):
    """Health and small public pages."""

    @get("/health", name="system:health", tags=["System"], summary="Health of database, search and outbox",
         responses={503: ResponseSpec(data_container=HealthOut, description="The database does not answer",
                                      generate_examples=False)})
    async def health(self, search_engine: NamedDependency[SearchEngine]) -> Response[HealthOut]:
        """200 while the database answers (status `degraded` when search is down), else 503."""
        try:
            await Provider.count()
            database = {"ok": True}
        except Exception as exc:  # report, never raise, from a health check
            database = {"ok": False, "error": type(exc).__name__}
        search_ok = await sync_to_thread(search_engine.is_healthy)
        documents = await sync_to_thread(search_engine.document_count) if search_ok else None
        backlog = await outbox.backlog(search_engine.target) if database["ok"] else None
        status = "down" if not database["ok"] else "ok" if search_ok else "degraded"
        body = HealthOut(
            status=status, database=database,
            search={"ok": search_ok, "index": search_engine.index_uid, "documents": documents},
            outbox={"backlog": backlog},
        )
        return Response(body, status_code=503 if status == "down" else 200)

    @get("/sprog/{code:str}", name="system:language", include_in_schema=False)
    async def language(self, code: FromPath[str], next: FromQuery[str] = "/") -> Redirect:
        """Switch language (da/en) with a cookie, then go back."""
        target = next if next.startswith("/") and not next.startswith("//") and not urlsplit(next).netloc else "/"
        lang = code if code in ("da", "en") else "da"
        return Redirect(target, cookies=[Cookie(key="lang", value=lang, max_age=365 * 86400, samesite="lax", httponly=True)])

    @get("/metode", name="pages:method", include_in_schema=False)
    async def method(self) -> Template:
        """How the numbers are made, in plain Danish (and English), with the method's constants."""
        return Template("pages/metode.html", context=await method_context())
