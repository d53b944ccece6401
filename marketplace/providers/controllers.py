"""HTTP for public provider data: the JSON API (/api/providers…) and the citizen pages (/ and
/providers/{slug}). Each handler is one service call."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode
from typing import Any, AsyncIterator, Awaitable, Callable

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Stream, Template
from litestar.utils.scope.state import ScopeState

from marketplace.accounts.sessions import session_data
from marketplace.enrolments.citizens import profile_search_defaults
from marketplace.errors import InvalidInput, SearchUnavailable
from marketplace.outcomes.stats import AGE_BANDS, MIN_COURSES
from marketplace.reference import LANGUAGES, PROVIDER_TYPES, REGIONS, SERVICES, TARGET_GROUPS
from marketplace.reference.catalog import CAPACITIES
from marketplace.providers import page_cache, services
from marketplace.providers.api_json import search_json
from marketplace.providers.schemas import ProviderOut, SearchOut, provider_out
from marketplace.web.compression import SKIP_COMPRESSION, encoded_response, gzip_bytes, html_response
from marketplace.web.errors import EXPLAIN_INVALID, error_responses
from marketplace.web.i18n import lang_of
from marketplace.web.search_form import CARD_FIELDS, CARDS, FieldErrors, search_form_context
from search.client import SearchEngine
from search.result_cache import API, STATE_KEY as SEARCH_CACHE_STATE, CachedAnswer, CacheKey, Generation, SearchCache
from search.queries import SORTS, parse_search_params


def query_dict(request: Request) -> dict[str, list[str]]:
    """The query string as name → all its values."""
    return {k: request.query_params.getall(k) for k in request.query_params.keys()}


def _one_of(values) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """OpenAPI: a parameter takes one of these values (documentation; parse_search_params validates).
    An empty value means "not given", as an empty field of the search form sends."""
    return {"enum": ["", *(str(v) for v in values)]}


def _each_of(values) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """OpenAPI: each value of a repeated parameter is one of these (or empty: ignored)."""
    return {"items": {"type": "string", "enum": ["", *(str(v) for v in values)]}}


def _json(request: Request, entry: CachedAnswer, state: str) -> Response:
    """A search API answer from its cacheable form, gzipped when it was stored (the route is SKIP_COMPRESSION)."""
    return encoded_response(request, entry.body, lambda: entry.gzipped, media_type=MediaType.JSON,
                            headers={"Vary": "Accept-Encoding", "X-Cache": state})


MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a larger number is a 400, not a database error


class ProviderApiController(Controller):
    """Public JSON API: search, one provider, and the open-data CSV."""

    path = "/api/providers"
    tags = ["Providers / Aktører"]

    @get("/", name="api:providers:search", summary="Search approved providers",
         responses=error_responses(400, 503),
         opt={SKIP_COMPRESSION: True, EXPLAIN_INVALID: lambda request: parse_search_params(query_dict(request))})
    async def search(
        self,
        request: Request,
        search_engine: NamedDependency[SearchEngine],
        q: str | None = Parameter(default=None, description="Free text (typo tolerant)", max_length=200),
        municipality: str | None = Parameter(default=None, description="Municipality code (e.g. 751) or name"),
        postcode: str | None = Parameter(default=None, description="Danish 4-digit postcode, e.g. 8000",
                                         schema_extra={"pattern": "^([0-9]{4})?$"}),
        radius_km: int | None = Parameter(default=None, ge=1, le=300, description="Also providers within this distance"),
        target_group: str | None = Parameter(default=None, description="Target group slug, e.g. dagpenge",
                                             schema_extra=_one_of(TARGET_GROUPS)),
        service: list[str] | None = Parameter(default=None, description="Service slugs (all must be offered)",
                                              schema_extra=_each_of(SERVICES)),
        language: list[str] | None = Parameter(default=None, description="Language codes (any)",
                                               schema_extra=_each_of(LANGUAGES)),
        type: list[str] | None = Parameter(default=None, description="Provider type slugs (any)",
                                           schema_extra=_each_of(PROVIDER_TYPES)),
        region: list[str] | None = Parameter(default=None, description="Region codes (any)",
                                             schema_extra=_each_of(REGIONS)),
        capacity: list[str] | None = Parameter(default=None, description="open, waitlist or full (any)",
                                               schema_extra=_each_of(CAPACITIES)),
        remote: bool | None = Parameter(default=None, description="Only providers offering remote help"),
        fresh: bool | None = Parameter(default=None, description="Only listings confirmed within the period"),
        stars: int | None = Parameter(default=None, ge=1, le=5, description="Minimum stars"),
        sort: str | None = Parameter(default=None, description="best, success_rate, reviews, price, distance or name",
                                     schema_extra=_one_of(SORTS)),
        page: int | None = Parameter(default=None, ge=1, le=100, description="Page number, from 1"),
        per_page: int | None = Parameter(default=None, ge=1, le=100, description="Hits per page (default 20)"),
    ) -> Response[SearchOut]:
        """Search public listings. Bad parameters give 400 with `detail`, `field` and `errors` (every
        bad parameter, in the caller's language, also those the typed parameters below refuse).
        A repeated search is answered from the popular-search cache until the index changes
        (`X-Cache: HIT`); `Cache-Control: no-cache` asks for a fresh answer."""
        cache: SearchCache | None = request.app.state.get(SEARCH_CACHE_STATE)
        key = (API, request.scope.get("query_string", b""))
        ticket = None
        if cache is not None:
            ticket, entry = await _stored_answer(request, cache, key)
            if entry is not None:
                return _json(request, entry, "HIT")
        params = parse_search_params(query_dict(request))
        body = search_json(await services.search_providers(search_engine, params, light=True), params)
        if cache is not None:
            return _json(request, cache.put(key, ticket, body), "MISS")
        return encoded_response(request, body, lambda: gzip_bytes(body), media_type=MediaType.JSON,
                                headers={"Vary": "Accept-Encoding"})

    @get("/{provider_id:int}", name="api:providers:detail", summary="One approved provider",
         responses=error_responses(400, 404))
    async def detail(self, provider_id: int = Parameter(ge=1, le=MAX_ID, description="Provider id")) -> ProviderOut:
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


def _page(request: Request, body: bytes, gzipped: Callable[[], bytes], status: int = 200,
          cache_state: str | None = None) -> Response:
    """A search page as it goes out, gzipped here (the route is SKIP_COMPRESSION)."""
    headers = {"Vary": "Accept-Encoding, Cookie", **({"X-Cache": cache_state} if cache_state else {})}
    return html_response(request, body, gzipped, status_code=status, headers=headers)


async def _stored_answer(request: Request, cache: SearchCache, key: CacheKey) -> tuple[Generation | None, CachedAnswer | None]:
    """The cache's generation now (the ticket to store a new answer under) and the answer stored
    for `key`, if any: none when the request asks for a fresh one (`Cache-Control: no-cache`, as a
    browser's reload does; the benchmarks measure uncached searches this way)."""
    ticket = await cache.generation()
    if "no-cache" in request.headers.get("cache-control", ""):
        return ticket, None
    return ticket, cache.get(key, ticket)


def _cached_page(request: Request, entry: CachedAnswer, state: str) -> Response:
    """A search page from its cacheable form (search.result_cache), gzipped when it was stored."""
    return _page(request, entry.body, lambda: entry.gzipped, cache_state=state)


class ProviderPageController(Controller):
    """Citizen pages: search (works without JavaScript) and a provider's page."""

    include_in_schema = False

    # A GET form and no form that posts: like the provider page, no CSRF middleware (it would mint
    # a token and set its cookie on every cookie-less visit, a large share of a cached answer's time).
    @get("/", name="pages:search", opt={"exclude_from_csrf": True, SKIP_COMPRESSION: True})
    async def search_page(self, request: Request, search_engine: NamedDependency[SearchEngine]) -> Template | Redirect | Response:
        """The search page: a GET form, so every search has a URL. A logged-in citizen opening a
        bare `/` is sent to the search for their profile's municipality and target group.
        Anonymous visitors' answers go through the popular-search cache (search.result_cache). A
        request that asks for a fresh answer (`Cache-Control: no-cache`, as a browser's reload does;
        the benchmarks measure the uncached page this way) is searched and rendered again, and its
        answer renews the stored one. Either way the page is gzipped once, as a whole."""
        cache: SearchCache | None = request.app.state.get(SEARCH_CACHE_STATE)
        if session_data(request):
            cache = None  # a signed-in visitor's page is their own: never stored, never shared
        key = (lang_of(request), request.scope.get("query_string", b""))
        ticket = None
        if cache is not None:
            ticket, entry = await _stored_answer(request, cache, key)
            if entry is not None:
                return _cached_page(request, entry, "HIT")
        answer = await self._search_page(request, search_engine)
        if not isinstance(answer, Template):
            return answer
        html = request.app.template_engine.get_template(answer.template_name).render(  # type: ignore[union-attr]
            **answer.create_template_context(request))
        token = ScopeState.from_scope(request.scope).csrf_token
        shareable = not (isinstance(token, str) and token and token in html)  # not with this visitor's token
        if cache is not None and answer.status_code == 200 and shareable:
            return _cached_page(request, cache.put(key, ticket, html.encode("utf-8")), "MISS")
        body = html.encode("utf-8")
        return _page(request, body, lambda: gzip_bytes(body), answer.status_code)

    async def _search_page(self, request: Request, search_engine: SearchEngine) -> Template | Redirect:
        raw = query_dict(request)
        profile = await profile_search_defaults(request)  # {} unless a logged-in citizen with a profile
        if not raw and profile:  # a bare "/": search with the profile's municipality and target group
            return Redirect("/?" + urlencode(profile, doseq=True), status_code=302)
        lang = lang_of(request)
        context: dict[str, Any] = {"errors": [], "result": None, "unavailable": False, "params": None,
                                   "from_profile": bool(profile) and raw == profile, "lang": lang}
        try:
            params = parse_search_params(raw)
            context["params"] = params
            context["result"] = await services.search_providers(search_engine, params, CARD_FIELDS, light=True)
        except InvalidInput as exc:
            context["errors"] = list(exc.every)
        except SearchUnavailable:
            context["unavailable"] = True
        result = context["result"]
        context.update(search_form_context(raw, result.facets if result else None, lang))
        context["field_errors"] = FieldErrors({e.field: e.message(lang) for e in context["errors"]})
        ticked = frozenset(raw.get("ids") or ())  # ticked for comparison on the previous page
        context["cards"] = (CARDS.slots(result.hits, result.sources, lang, context["params"].target_group, ticked)
                            if result else [])
        context["remember_card"] = CARDS.remember
        status = 400 if context["errors"] else 503 if context["unavailable"] else 200
        return Template("pages/search.html", context=context, status_code=status)

    # GET only and no form that posts: the CSRF middleware (which would mint a token and set its
    # cookie on every cookie-less visit, ≈ a third of a cached page's time) has nothing to protect.
    @get("/providers/{slug:str}", name="pages:provider", opt={"exclude_from_csrf": True, SKIP_COMPRESSION: True})
    async def provider_page(
        self, request: Request, slug: FromPath[str], target_group: FromQuery[str | None] = None,
        age_band: FromQuery[str | None] = None,
    ) -> Response:
        """A provider's whole approved listing, results and published experiences; `target_group`
        and `age_band` choose the "people like me" numbers. Anonymous visitors are served from the
        per-process page cache (marketplace.providers.page_cache), with an ETag."""

        async def render(national: Callable[[], Awaitable[Any]]) -> tuple[dict[str, Any], bool, str]:
            page = await services.provider_page(slug, target_group=target_group, age_band=age_band, national=national)
            context = {"page": page, "MIN_COURSES": MIN_COURSES, "AGE_BANDS": AGE_BANDS, "lang": lang_of(request)}
            template = Template("pages/provider.html", context=context)
            return page.provider, page.stale, request.app.template_engine.get_template(  # type: ignore[union-attr]
                "pages/provider.html").render(**template.create_template_context(request))

        return await page_cache.serve(request, slug, render)
