"""gzip for the search page, with Intel's ISA-L (the `isal` package) instead of zlib.

Every search page the portal renders is gzipped once, whole (search.result_cache). zlib at level 3
spent 0.15–0.4 ms on a 58 KB search page, up to a tenth of the portal's whole CPU time per search;
ISA-L at its level 2 spends about 0.05 ms and its output is 2 % larger (bench/RESULTS.md: "gzip of
the page" in the profile sections).
The output is ordinary gzip: any browser reads it. (A provider page is gzipped once per change and
kept, marketplace.providers.page_cache, so zlib's smaller output at level 6 wins there; other
responses go through Litestar's compression middleware, which always uses the standard library.)
A handler that compresses every response itself sets `opt={SKIP_COMPRESSION: True}`: the middleware
is then not on its route at all (otherwise it sets up a zlib compressor for every response, even one
it passes through, ≈ 30 µs). Such a handler answers with `html_response` (a page) or
`encoded_response` (any media type: the search API's JSON).
"""
from __future__ import annotations

from typing import Callable

from isal import igzip
from litestar import MediaType, Request, Response

SKIP_COMPRESSION = "skip_compression"  # a route handler's opt key: it compresses its own responses
LEVEL = 2  # ISA-L has levels 0–3; at 2 a search page comes out about as small as with zlib's 3


def gzip_bytes(body: bytes) -> bytes:
    """`body` gzipped (mtime 0: the same body always gives the same bytes)."""
    return igzip.compress(body, LEVEL, mtime=0)


def encoded_response(request: Request, body: bytes, gzipped: Callable[[], bytes], *, media_type: str,
                     status_code: int = 200, headers: dict[str, str]) -> Response:
    """A response from a route that compresses its own responses (SKIP_COMPRESSION): `gzipped()`
    when the client takes gzip, else `body`. `headers` should say `Vary: Accept-Encoding`."""
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gzipped(), status_code=status_code, media_type=media_type,
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def html_response(request: Request, body: bytes, gzipped: Callable[[], bytes], *, status_code: int = 200,
                  headers: dict[str, str]) -> Response:
    """An HTML page from a route that compresses its own responses (see `encoded_response`)."""
    return encoded_response(request, body, gzipped, media_type=MediaType.HTML, status_code=status_code,
                            headers=headers)
