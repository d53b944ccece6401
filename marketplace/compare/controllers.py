"""/compare?ids=…: the comparison page (public; works without JavaScript).

The search results form sends its own fields along (`postcode`, `municipality`, `target_group`), so
the comparison is for the situation the citizen searched for; a logged-in citizen's profile fills
what the query leaves empty. Bad ids (fewer than 2, more than 4, unknown, not numbers) → 400 with a
Danish message and a way back to the search.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.response import Template

from marketplace.accounts.guards import get_current_user
from marketplace.compare import services
from marketplace.enrolments.citizens import profile_defaults
from marketplace.errors import InvalidInput, error_context
from marketplace.outcomes.stats import MIN_COURSES
from marketplace.reference import AGE_BANDS, TARGET_GROUPS
from marketplace.web.i18n import lang_of

SEARCH_FIELDS_NOT_KEPT = {"ids", "page"}


def _first(request: Request[Any, Any, Any], name: str) -> str:
    values = request.query_params.getall(name, [])
    return str(values[0])[:100] if values else ""


def _search_url(request: Request[Any, Any, Any]) -> str:
    """Back to the search the citizen came from (its query without the ticked ids)."""
    pairs = [(k, v) for k in request.query_params.keys() if k not in SEARCH_FIELDS_NOT_KEPT
             for v in request.query_params.getall(k)]
    return "/?" + urlencode(pairs) if pairs else "/"


@get("/compare", name="pages:compare", include_in_schema=False)
async def compare_page(request: Request[Any, Any, Any]) -> Template:
    """2–4 providers side by side: coverage, target groups, services and price, results for the
    citizen's target group (and "people like me"), reviews, capacity, languages and distance."""
    form = {k: _first(request, k) for k in ("postcode", "municipality", "target_group", "age_band")}
    context: dict[str, Any] = {
        "comparison": None, "form": form, "search_url": _search_url(request), "errors": [], "field_errors": {},
        "ids": [], "TARGET_GROUPS": TARGET_GROUPS, "AGE_BANDS": AGE_BANDS, "MIN_COURSES": MIN_COURSES,
    }
    try:
        ids = services.parse_ids(request.query_params.getall("ids", []))
        context["ids"] = ids
        defaults = profile_defaults(await get_current_user(request))
        situation = services.situation_from(**form, defaults=defaults)
        context["comparison"] = await services.compare(ids, situation)
    except InvalidInput as exc:
        context.update(error_context(exc, lang_of(request)))
        return Template("pages/compare.html", context=context, status_code=400)
    return Template("pages/compare.html", context=context)
