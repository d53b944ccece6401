"""Static assets under content-hashed URLs: a year's immutable caching on hashed URLs, a short one on
the unhashed mounts, relative references of the design system's CSS kept inside the hashed tree, and
a changed file gets a new URL."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from marketplace.web.assets import AssetManifest

IMMUTABLE = {"public", "max-age=31536000", "immutable"}


def directives(response: httpx.Response) -> set[str]:
    return {d.strip() for d in response.headers.get("cache-control", "").split(",") if d.strip()}


async def hashed_urls(client: httpx.AsyncClient) -> list[str]:
    page = await client.get("/")
    assert page.status_code == 200
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert len(urls) >= 4, urls  # the design system's CSS and JS, ours
    return urls


async def test_pages_link_hashed_assets_cached_for_a_year(client: httpx.AsyncClient) -> None:
    for url in await hashed_urls(client):
        assert re.fullmatch(r"/static/v/[0-9a-f]{12}/(app|dkfds)/.+", url), url
        response = await client.get(url)
        assert response.status_code == 200, url
        assert directives(response) == IMMUTABLE, (url, response.headers.get("cache-control"))


async def test_the_design_systems_relative_fonts_and_icons_resolve_in_the_hashed_tree(
        client: httpx.AsyncClient) -> None:
    css_url = next(u for u in await hashed_urls(client) if u.endswith("dkfds-borgerdk.min.css"))
    css = (await client.get(css_url)).text
    base = httpx.URL("http://test" + css_url)
    refs = sorted(set(re.findall(r"url\((\.\./(?:fonts|img)/[^)#?]+)", css)))
    assert any("/fonts/" in r for r in refs) and any("/img/" in r for r in refs)
    for ref in (refs[0], refs[-1], next(r for r in refs if r.endswith(".woff2"))):
        target = base.join(ref).path
        assert target.startswith(css_url.split("/dkfds/")[0] + "/dkfds/"), target
        response = await client.get(target)
        assert response.status_code == 200, target
        assert directives(response) == IMMUTABLE


async def test_our_font_subsets_resolve_from_our_css(client: httpx.AsyncClient) -> None:
    css_url = next(u for u in await hashed_urls(client) if u.endswith("/app/site.css"))
    css = (await client.get(css_url)).text
    fonts = re.findall(r"url\((fonts/[^)]+\.woff2)\)", css)
    assert len(fonts) == 4
    for ref in fonts:
        response = await client.get(httpx.URL("http://test" + css_url).join(ref).path)
        assert response.status_code == 200 and response.content[:4] == b"wOF2"


async def test_an_outdated_or_unknown_digest_is_not_found(client: httpx.AsyncClient) -> None:
    url = next(u for u in await hashed_urls(client) if u.endswith("/app/site.css"))
    stale = re.sub(r"/static/v/[0-9a-f]{12}/", "/static/v/000000000000/", url)
    assert (await client.get(stale)).status_code == 404
    assert (await client.get(url.replace("/app/", "/nowhere/"))).status_code == 404
    assert (await client.get(url.replace("site.css", "missing.css"))).status_code == 404
    assert (await client.get(url.replace("site.css", "../../../../pyproject.toml"))).status_code == 404


async def test_unhashed_urls_keep_a_short_cache_lifetime(client: httpx.AsyncClient) -> None:
    for url in ("/static/app/site.css", "/static/dkfds/js/dkfds.min.js"):
        response = await client.get(url)
        assert response.status_code == 200
        cache = directives(response)
        assert "immutable" not in cache
        max_age = int(next(d for d in cache if d.startswith("max-age=")).split("=")[1])
        assert 0 < max_age <= 3600


def test_a_changed_file_gets_a_new_url_and_the_old_one_stops_resolving(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_text("body { color: #111; }")
    (tmp_path / "site.js").write_text("// unchanged")
    before = AssetManifest({"app": tmp_path})
    url = before.url("app/site.css")
    assert AssetManifest({"app": tmp_path}).url("app/site.css") == url  # stable while nothing changes
    (tmp_path / "site.css").write_text("body { color: #222222; }")
    after = AssetManifest({"app": tmp_path})
    assert after.url("app/site.css") != url
    assert after.digests["app"] != before.digests["app"]


def test_an_unknown_asset_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_text("")
    manifest = AssetManifest({"app": tmp_path})
    with pytest.raises(ValueError, match="app/nope.css"):
        manifest.url("app/nope.css")
    with pytest.raises(ValueError, match="unknown root 'img'"):
        manifest.url("img/logo.svg")
