"""Security probes over the whole app, enumerated from its route list so a new route is covered
automatically: CSRF on every unsafe route, security headers on every response, body size limits
(413, a page or JSON under /api), and filter injection in every search parameter. Stored XSS through
the real forms is in test_stored_xss.py.

One app, one client and one index serve the whole module (`http`): a probe reads, it writes nothing
that the next probe could trip over, and building an app and an index per case cost ~2 s each."""
from __future__ import annotations

import re
from typing import AsyncIterator, Iterator

import httpx
import pytest
from factories import Meili, app_client, index_all, make_provider, new_engine
from litestar.routes import HTTPRoute

from marketplace.app import create_app
from marketplace.errors import InvalidInput
from marketplace.outcomes.jobs import BACKGROUND_BYTES
from marketplace.web.security import CSP, MAX_BODY_BYTES
from search.client import SearchEngine
from search.queries import build_queries, parse_search_params

from tests.accounts.support import csrf_token
from tests.authority.support import login_as

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
STRICT_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "strict-origin-when-cross-origin",
                  "x-frame-options": "DENY"}


def _routes() -> list[HTTPRoute]:
    return [r for r in create_app(run_outbox_worker=False).routes if isinstance(r, HTTPRoute)]


def _concrete(path: str) -> str:
    """A route path with its parameters filled in ({id:int} → 1, {slug:str} → x)."""
    return re.sub(r"\{[^}:]+:(int|str|path|uuid)\}",
                  lambda m: {"int": "1", "str": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}[m[1]],
                  path)


UNSAFE_ROUTES = sorted({(m, _concrete(r.path)) for r in _routes() for m in r.methods & UNSAFE})
GET_ROUTES = sorted({_concrete(r.path) for r in _routes() if "GET" in r.methods and not r.path.startswith("/static")})


@pytest.fixture(scope="module")
def module_engine(meili: Meili) -> Iterator[SearchEngine]:
    engine = new_engine(meili)
    yield engine
    engine.delete_index(engine.index_uid)


@pytest.fixture(scope="module")
async def http(database: None, module_engine: SearchEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app for the whole module, with one indexed provider (it stays in the index when the
    tables are emptied after each test, so searches have a hit to render)."""
    async with app_client(module_engine) as client:
        await make_provider(name="Aarhus Jobhjælp", postcode="8000")
        assert await index_all(module_engine) >= 1
        yield client


def test_the_route_list_is_not_empty() -> None:
    assert ("POST", "/login") in UNSAFE_ROUTES and len(UNSAFE_ROUTES) >= 10
    assert "/api/providers" in GET_ROUTES and "/" in GET_ROUTES


# -- CSRF --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), UNSAFE_ROUTES)
async def test_every_unsafe_route_refuses_a_request_without_the_token(http, method: str, path: str) -> None:
    await csrf_token(http)  # the cookie is there; only the token is missing
    response = await http.request(method, path, data={"x": "1"})
    assert response.status_code == 403, (method, path, response.status_code)


async def test_with_the_token_the_same_request_passes_the_csrf_check(http) -> None:
    token = await csrf_token(http)
    response = await http.post("/login", data={"email": "a@b.dk", "password": "x", "_csrf_token": token})
    assert response.status_code != 403


# -- headers -----------------------------------------------------------------------------------------
def _assert_security_headers(response, where: str) -> None:
    for name, value in STRICT_HEADERS.items():
        assert response.headers.get(name) == value, (where, name)
    assert response.headers.get("content-security-policy"), where
    if not where.startswith("GET /schema"):
        assert response.headers["content-security-policy"] == CSP, where


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_every_get_route_sends_the_security_headers(http, path: str) -> None:
    response = await http.get(path)
    assert response.status_code < 500, (path, response.status_code)
    _assert_security_headers(response, f"GET {path}")


@pytest.mark.parametrize(("method", "path"), UNSAFE_ROUTES[:3])
async def test_refusals_and_errors_send_the_security_headers_too(http, method: str, path: str) -> None:
    _assert_security_headers(await http.request(method, path), f"{method} {path}")
    _assert_security_headers(await http.delete("/api/providers"), "DELETE /api/providers")  # 405
    _assert_security_headers(await http.get("/static/app/findes-ikke.css"), "GET /static 404")


# -- body size ---------------------------------------------------------------------------------------
async def test_a_body_over_the_limit_gets_413_with_a_danish_page(http) -> None:
    token = await csrf_token(http)
    response = await http.post("/login", headers={"x-csrftoken": token},
                                 data={"email": "a@b.dk", "password": "x" * (MAX_BODY_BYTES + 1)})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Det du sendte er for stort" in response.text
    _assert_security_headers(response, "POST /login 413")


async def test_a_body_over_the_limit_under_api_gets_413_json_with_a_message(http) -> None:
    """No /api route reads a body, yet an announced body over the limit is refused before anything runs."""
    response = await http.request("GET", "/api/providers", content=b"{" + b" " * MAX_BODY_BYTES + b"}",
                                  headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == 413 and "Det du sendte er for stort" in body["detail"], body
    _assert_security_headers(response, "GET /api/providers 413")
    under = await http.request("GET", "/api/providers", content=b" " * 1000)
    assert under.status_code == 200


async def test_a_body_under_the_limit_is_read(http) -> None:
    token = await csrf_token(http)
    response = await http.post("/login", headers={"x-csrftoken": token},
                                 data={"email": "a@b.dk", "password": "x" * (MAX_BODY_BYTES // 2)})
    assert response.status_code not in (413, 500)


async def test_the_outcome_upload_takes_a_file_over_the_form_limit(client) -> None:
    await login_as(client, "authority")
    # a file of exactly the background threshold is imported at once; the request is over the form limit
    big = b"course_id\n" + b"x" * (BACKGROUND_BYTES - 11) + b"\n"
    response = await client.post("/authority/outcomes", data={"_csrf_token": await csrf_token(client)},
                                 files={"file": ("stor.csv", big, "text/csv")})
    assert int(response.request.headers["content-length"]) > MAX_BODY_BYTES
    assert response.status_code == 400 and "Filen blev afvist" in response.text, response.status_code


def test_only_the_outcome_upload_accepts_more_than_the_form_limit() -> None:
    larger = {r.path for r in _routes() for h in r.route_handlers
              if isinstance(h.request_max_body_size, int) and h.request_max_body_size > MAX_BODY_BYTES}
    assert larger == {"/authority/outcomes"}


# -- filter injection --------------------------------------------------------------------------------
SEARCH_PARAMS = ["q", "municipality", "postcode", "radius_km", "target_group", "service", "language", "type",
                 "region", "capacity", "remote", "fresh", "stars", "sort", "page", "per_page"]
PAYLOADS = ['101" OR id > 0', "dagpenge\" OR target_groups EXISTS", "751 OR 1=1", "'; DROP TABLE provider; --",
            "[1,2]", "] OR [", "_geoRadius(55.6, 12.5, 100000000)", "x" * 5000, "København\u0000", "\u0000",
            "ødelæggelse 🙂", "NOT municipalities = 751", "%22", "\\", "(", ")", "{}"]


@pytest.mark.parametrize("name", SEARCH_PARAMS)
async def test_hostile_values_are_refused_naming_the_parameter_or_treated_as_data(http, name: str) -> None:
    for payload in PAYLOADS:
        for path in ("/api/providers", "/"):
            response = await http.get(path, params={name: payload})
            assert response.status_code in (200, 400), (path, name, payload[:40], response.status_code)
            if response.status_code == 400 and path == "/api/providers":
                assert response.json()["field"] == name, (name, payload[:40], response.json())


@pytest.mark.parametrize("name", SEARCH_PARAMS)
def test_no_raw_value_reaches_a_meilisearch_filter(name: str) -> None:
    for payload in PAYLOADS:
        try:
            params = parse_search_params({name: [payload]})
        except Exception as exc:
            assert isinstance(exc, InvalidInput), (name, payload, exc)
            assert [e.field for e in exc.every] == [name], (name, payload, exc.every)
            continue
        for query in filter(None, build_queries(params)):
            for clause in query["filter"]:
                assert payload.strip() not in clause, (name, payload, clause)
