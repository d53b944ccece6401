"""HTTP for public provider data: the JSON API (/api/providers…) and the citizen pages (/ and
/providers/{slug}). Each handler is one service call."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode
from typing import Any, AsyncIterator

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Redirect, Stream, Template

from marketplace.enrolments.citizens import profile_search_defaults
from marketplace.errors import InvalidInput, SearchUnavailable
from marketplace.outcomes.stats import AGE_BANDS, MIN_COURSES
from marketplace.providers import services
from marketplace.providers.schemas import PlaceOut, ProviderOut, SearchOut, provider_out
from marketplace.web.i18n import lang_of
from marketplace.web.search_form import search_form_context
from search.client import SearchEngine
from search.queries import SearchParams, SearchResult, parse_search_params


def query_dict(request: Request) -> dict[str, list[str]]:
    """The query string as name → all its values."""
    return {k: request.query_params.getall(k) for k in request.query_params.keys()}


def search_out(result: SearchResult, params: SearchParams) -> SearchOut:
    place = params.place
    return SearchOut(
        hits=[provider_out(h) for h in result.hits], total=result.total, page=result.page,
        per_page=result.per_page, pages=result.pages, facets=result.facets,
        place=PlaceOut(place.municipality, place.lat, place.lon, place.label) if place else None,
        covering_total=result.covering_total,
    )


class ProviderApiController(Controller):
    """Public JSON API: search, one provider, and the open-data CSV."""

    path = "/api/providers"
    tags = ["Providers / Aktører"]

    @get("/", name="api:providers:search", summary="Search approved providers")
    async def search(
        self,
        request: Request,
        search_engine: SearchEngine,
        q: str | None = Parameter(default=None, description="Free text (typo tolerant)", max_length=200),
        municipality: str | None = Parameter(default=None, description="Municipality code (e.g. 751) or name"),
        postcode: str | None = Parameter(default=None, description="Danish 4-digit postcode, e.g. 8000"),
        radius_km: int | None = Parameter(default=None, ge=1, le=300, description="Also providers within this distance"),
        target_group: str | None = Parameter(default=None, description="Target group slug, e.g. dagpenge"),
        service: list[str] | None = Parameter(default=None, description="Service slugs (all must be offered)"),
        language: list[str] | None = Parameter(default=None, description="Language codes (any)"),
        type: list[str] | None = Parameter(default=None, description="Provider type slugs (any)"),
        region: list[str] | None = Parameter(default=None, description="Region codes (any)"),
        capacity: list[str] | None = Parameter(default=None, description="open, waitlist or full (any)"),
        remote: bool | None = Parameter(default=None, description="Only providers offering remote help"),
        fresh: bool | None = Parameter(default=None, description="Only listings confirmed within the period"),
        stars: int | None = Parameter(default=None, ge=1, le=5, description="Minimum stars"),
        sort: str | None = Parameter(default=None, description="best, success_rate, reviews, price, distance or name"),
        page: int | None = Parameter(default=None, ge=1, le=100, description="Page number, from 1"),
        per_page: int | None = Parameter(default=None, ge=1, le=100, description="Hits per page (default 20)"),
    ) -> SearchOut:
        """Search public listings. Bad parameters give 400 with `detail` and `field`."""
        params = parse_search_params(query_dict(request))
        return search_out(await services.search_providers(search_engine, params), params)

    @get("/{provider_id:int}", name="api:providers:detail", summary="One approved provider")
    async def detail(self, provider_id: int) -> ProviderOut:
        """A public provider by id, read from the database."""
        return provider_out(await services.public_document(provider_id))


CSV_COLUMNS = [
    "id", "cvr", "name", "type", "slug", "municipalities", "remote", "target_groups", "services", "price_min",
    "price_max", "languages", "capacity", "waiting_weeks", "courses", "success_rate", "success_low",
    "success_high", "score", "score_low", "score_high", "stars", "method_version", "review_avg",
    "review_count", "last_confirmed_at", "stale",
]


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


async def _csv_rows() -> AsyncIterator[str]:
    yield _csv_line(CSV_COLUMNS)
    async for doc in services.iter_public_documents():
        results = doc.get("results") or {}
        row = {**doc, **{k: results.get(k) for k in ("courses", "success_rate", "success_low", "success_high",
                                                   "score", "score_low", "score_high", "stars")}}
        for key in ("municipalities", "target_groups", "services", "languages"):
            row[key] = ";".join(str(v) for v in doc[key])
        yield _csv_line(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])


@get("/api/providers.csv", name="api:providers:csv", summary="Open data: every approved provider as CSV",
     tags=["Providers / Aktører"], media_type="text/csv")
async def open_data_csv() -> Stream:
    """All public providers with their numbers, one row each (UTF-8, comma separated)."""
    return Stream(
        _csv_rows(), media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="godkendte-aktoerer.csv"'},
    )


class ProviderPageController(Controller):
    """Citizen pages: search (works without JavaScript) and a provider's page."""

    include_in_schema = False

    @get("/", name="pages:search")
    async def search_page(self, request: Request, search_engine: SearchEngine) -> Template | Redirect:
        """The search page: a GET form, so every search has a URL. A logged-in citizen opening a
        bare `/` is sent to the search for their profile's municipality and target group."""
        raw = query_dict(request)
        profile = await profile_search_defaults(request)  # {} unless a logged-in citizen with a profile
        if not raw and profile:  # a bare "/": search with the profile's municipality and target group
            return Redirect("/?" + urlencode(profile, doseq=True), status_code=302)
        context: dict[str, Any] = {"errors": [], "result": None, "unavailable": False, "params": None,
                                   "from_profile": bool(profile) and raw == profile}
        try:
            params = parse_search_params(raw)
            context["params"] = params
            context["result"] = await services.search_providers(search_engine, params)
        except InvalidInput as exc:
            context["errors"] = [exc]
        except SearchUnavailable:
            context["unavailable"] = True
        result = context["result"]
        context.update(search_form_context(raw, result.facets if result else None, lang_of(request)))
        status = 400 if context["errors"] else 503 if context["unavailable"] else 200
        return Template("pages/search.html", context=context, status_code=status)

    @get("/providers/{slug:str}", name="pages:provider")
    async def provider_page(self, slug: str, target_group: str | None = None, age_band: str | None = None) -> Template:
        """A provider's whole approved listing, results and published experiences; `target_group`
        and `age_band` choose the "people like me" numbers."""
        page = await services.provider_page(slug, target_group=target_group, age_band=age_band)
        return Template("pages/provider.html", context={"page": page, "MIN_COURSES": MIN_COURSES, "AGE_BANDS": AGE_BANDS})
