"""The search page's own gzip (marketplace.web.compression, ISA-L): ordinary gzip that any client
reads, the same bytes for the same page, and what a browser gets on the wire."""
from __future__ import annotations

import gzip

import httpx
from factories import index_all, make_provider, running

from marketplace.app import create_app
from marketplace.web.compression import gzip_bytes

PAGE = ("<!doctype html><html lang=da><body><ol>"
        + "".join(f"<li class=result-card><h3>Aktør {i}</h3><p>Dækker din kommune · {i},5 km væk</p></li>"
                  for i in range(200)) + "</ol></body></html>").encode()


def test_the_output_is_gzip_that_the_standard_library_reads_back():
    packed = gzip_bytes(PAGE)

    assert gzip.decompress(packed) == PAGE
    assert packed[:2] == b"\x1f\x8b" and len(packed) < len(PAGE) / 5
    assert gzip_bytes(PAGE) == packed  # no timestamp: the same page, the same bytes


async def test_a_search_page_on_the_wire_is_that_gzip_of_its_html(engine):
    await make_provider(name="Mentorhuset")
    await index_all(engine)
    app = create_app(search_engine=engine, run_outbox_worker=False, search_cache=True)
    async with running(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t.local") as http:
            plain = await http.get("/?q=mentorhuset", headers={"Accept-Encoding": "identity"})
            async with http.stream("GET", "/?q=mentorhuset", headers={"Accept-Encoding": "gzip"}) as wire:
                raw = b"".join([chunk async for chunk in wire.aiter_raw()])

    assert wire.headers["content-encoding"] == "gzip" and wire.headers["x-cache"] == "HIT"
    assert gzip.decompress(raw) == plain.content and b"Mentorhuset" in plain.content


async def test_every_search_page_is_gzipped_once_by_the_page_itself(engine):
    """Without the popular-search cache, and for a page with an error, the page gzips its own HTML
    (the compression middleware is not on this route): the bytes are exactly gzip_bytes of it."""
    await make_provider(name="Mentorhuset")
    await index_all(engine)
    app = create_app(search_engine=engine, run_outbox_worker=False, search_cache=False)
    async with running(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t.local") as http:
            for path, status in (("/?q=mentorhuset", 200), ("/?postcode=12", 400)):
                plain = await http.get(path, headers={"Accept-Encoding": "identity"})
                async with http.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as wire:
                    raw = b"".join([chunk async for chunk in wire.aiter_raw()])

                assert plain.status_code == wire.status_code == status
                assert "content-encoding" not in plain.headers
                assert wire.headers["content-encoding"] == "gzip" and "Accept-Encoding" in wire.headers["vary"]
                assert raw == gzip_bytes(plain.content)
