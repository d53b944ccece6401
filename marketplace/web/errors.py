"""Exceptions → responses: JSON with `detail` (and `field`) under /api, Danish pages elsewhere.
Users never see a stack trace."""
from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.response import Redirect, Template

from marketplace.errors import DomainError, InvalidInput
from marketplace.web.i18n import lang_of, translate

log = logging.getLogger("marketplace")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path in ("/health", "/schema")


def _page(request: Request, status: int, title_key: str, text: str | None = None) -> Template:
    return Template("pages/error.html", context={"status": status, "title_key": title_key, "text": text},
                    status_code=status)


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    lang = lang_of(request)
    if _wants_json(request):
        body = {"detail": exc.message(lang), "status_code": exc.status_code}
        if isinstance(exc, InvalidInput):  # `field` the first bad parameter, `errors` every one
            body["field"] = exc.field
            body["errors"] = [{"message": e.message(lang), "key": e.field, "source": "query"} for e in exc.every]
        return Response(body, status_code=exc.status_code)
    title = {404: "error.not_found", 403: "error.forbidden"}.get(exc.status_code, "search.error_title")
    return _page(request, exc.status_code, title, exc.message(lang))


EXPLAIN_INVALID = "explain_invalid"  # a route handler's opt key: its own check of the request (see below)


def validation_error_handler(request: Request, exc: ValidationException) -> Response:
    """Litestar's own parameter validation: name the parameter. A route whose handler has its own
    check of the parameters (`opt={EXPLAIN_INVALID: check}`, `check(request)` raising InvalidInput)
    answers with that instead: every bad parameter, in the visitor's language, as its handler
    would have answered had Litestar let the request through. When that check finds nothing wrong,
    Litestar's answer stands."""
    explain = request.route_handler.opt.get(EXPLAIN_INVALID)
    if explain is not None:
        try:
            explain(request)
        except InvalidInput as own:
            return domain_error_handler(request, own)
    extra = exc.extra if isinstance(exc.extra, list) else []
    field = next((e.get("key") for e in extra if isinstance(e, dict) and e.get("key")), None)
    detail_da = f"Ugyldig værdi for {field}." if field else "Ugyldige parametre."
    detail_en = f"Invalid value for {field}." if field else "Invalid parameters."
    detail = detail_en if lang_of(request) == "en" else detail_da
    if _wants_json(request):
        return Response({"detail": detail, "field": field, "status_code": 400, "errors": extra}, status_code=400)
    return _page(request, 400, "search.error_title", detail)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        return Redirect(f"/login?next={request.url.path}")
    if _wants_json(request):
        detail = (f"{translate('error.too_large', lang_of(request))}. {translate('error.too_large_text', lang_of(request))}"
                  if exc.status_code == 413 else exc.detail)
        return Response({"detail": detail, "status_code": exc.status_code}, status_code=exc.status_code,
                        headers=exc.headers)
    title = {404: "error.not_found", 403: "error.forbidden", 405: "error.not_found",
             413: "error.too_large"}.get(exc.status_code, "error.server")
    return _page(request, exc.status_code, title, translate("error.too_large_text", lang_of(request))
                 if exc.status_code == 413 else None)


def server_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _wants_json(request):
        return Response({"detail": "Internal server error", "status_code": 500}, status_code=500)
    return _page(request, 500, "error.server")


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: server_error_handler,
}


class ErrorOut(msgspec.Struct, kw_only=True):
    """The JSON body of every error under /api: `detail` in the visitor's language, `field` naming the
    bad parameter on a 400 and `errors` every bad one (`key`, `message`, `source`)."""

    detail: str
    status_code: int
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


_ERROR_TEXT = {400: "Bad parameter: `detail` says what is wrong, `field` names the parameter",
               404: "Not found", 503: "Search is temporarily unavailable"}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the JSON errors an /api route answers with (route `responses=`)."""
    return {code: ResponseSpec(data_container=ErrorOut, description=_ERROR_TEXT[code], generate_examples=False)
            for code in codes}
