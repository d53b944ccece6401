"""Security headers on every response, and the secret that signs CSRF tokens.

`security_headers(settings)` is a `before_send` hook: it runs for every HTTP response the app sends
(pages, /api, static files, error pages, 404s), so nothing can forget it.

    Content-Security-Policy   no inline script or style, nothing from other origins, no framing
    X-Content-Type-Options    nosniff
    Referrer-Policy           strict-origin-when-cross-origin
    X-Frame-Options           DENY (older browsers; CSP frame-ancestors for the rest)
    Strict-Transport-Security only over HTTPS (or when MARKETPLACE_SECURE_COOKIES says we are)

The one exception is the interactive API documentation under /schema (Swagger UI): Litestar renders
it as a page with an inline script that loads its bundle from cdn.jsdelivr.net. Those pages get a
relaxed policy (inline script and the CDN allowed; still no framing, base-uri and form-action
'self'). They hold no user data or session-changing forms, and the machine-readable schema
(/schema/openapi.json, .yaml) keeps the strict policy. Where the CDN is unreachable the UI stays
blank, but the JSON schema always works.
"""
from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Awaitable, Callable

from litestar.exceptions.http_exceptions import RequestEntityTooLarge

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Message, Scope

    from marketplace.settings import Settings

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
SWAGGER_CDN = "https://cdn.jsdelivr.net"
SCHEMA_UI_CSP = (f"default-src 'self'; img-src 'self' data: {SWAGGER_CDN}; style-src 'self' 'unsafe-inline' {SWAGGER_CDN}; "
                 f"script-src 'self' 'unsafe-inline' {SWAGGER_CDN}; connect-src 'self'; "
                 "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
HSTS = "max-age=31536000; includeSubDomains"
MAX_BODY_BYTES = 1_000_000
"""The largest request body of any route but the outcome upload (a listing form is a few KB): more is a 413."""


def refuse_oversized_body(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """413 when the announced body (Content-Length) is over the route's limit, before anything runs.
    Litestar itself checks only when a handler reads the body; this also covers the routes that never
    do (the API), so a client learns at once that nothing it sent was taken. Called by `area_check`,
    which runs before every route handler."""
    resolve = getattr(handler, "resolve_request_max_body_size", None)
    limit = resolve() if resolve is not None else None
    announced = connection.headers.get("content-length", "")
    if isinstance(limit, int) and announced.isdigit() and int(announced) > limit:
        raise RequestEntityTooLarge


def policy_for(path: str) -> str:
    """The Content-Security-Policy for a path: strict everywhere but the API documentation UI."""
    in_schema = path == "/schema" or path.startswith("/schema/")
    return SCHEMA_UI_CSP if in_schema and not path.endswith((".json", ".yaml", ".yml")) else CSP


_FIXED_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin"),
                  (b"x-frame-options", b"DENY"))
_HSTS_HEADER = ((b"strict-transport-security", HSTS.encode()),)
_CSP_HEADERS = {policy: (b"content-security-policy", policy.encode()) for policy in (CSP, SCHEMA_UI_CSP)}


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook that sets the security headers on every HTTP response: ours replace
    any a handler set under the same names. The headers are encoded once; the response's own are
    looked at once (setting them one by one through Litestar's MutableScopeHeaders scanned them all
    for each)."""

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        ours = (_CSP_HEADERS[policy_for(scope.get("path", ""))], *_FIXED_HEADERS,
                *(_HSTS_HEADER if settings.secure_cookies or scope.get("scheme") == "https" else ()))
        names = {name for name, _ in ours}
        kept = [(name, value) for name, value in message.get("headers") or () if name.lower() not in names]
        message["headers"] = [*kept, *ours]  # type: ignore[typeddict-unknown-key]

    return add_headers


def secret_key(settings: Settings) -> str:
    """MARKETPLACE_SECRET_KEY, else a random key kept in the data folder (file `secret_key`, mode
    0600), made on first use, so every worker process and every restart signs alike."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a candidate beside it, then link it into place: exactly one process's key wins, and
    # every process reads the winner.
    candidate = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32))
    try:
        os.link(candidate, path)
    except FileExistsError:
        pass
    finally:
        candidate.unlink()
    return path.read_text().strip()
