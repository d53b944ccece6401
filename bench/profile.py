"""Where the portal's own time per search goes: the app in-process (no HTTP server, no network
between client and app: ASGI calls straight into `create_app()`), the same query mix.

    python -m bench.profile            # 10,000 providers
    python -m bench.profile --quick    # 1,000 providers (smoke)

1. Decomposition (no profiler, interleaved rounds): for `/` and `/api/providers`, the mean time per
   request in the handler as a whole, inside `search.queries.search` (on the event loop),
   inside the Meilisearch client (`SearchEngine.multi_search`), rendering the Jinja template /
   converting hits to msgspec structs, and — as the floor — raw Meilisearch answering the same
   bodies on a kept-alive connection. The app is built as served (popular-search cache on); every
   request asks for a fresh answer (`Cache-Control: no-cache`), so each page is searched, rendered
   and gzipped once; the gzip of the mix's pages is also timed alone. The functions are wrapped in
   this process only; the app code is not changed.
2. cProfile of the same requests (all on the event loop's thread): the top 15 by own time, own
   time per package, and our functions by cumulative time. The full profile is saved to bench/out/profile.pstats.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import inspect
import pstats
import random
import sys
import time
from collections import defaultdict
from typing import Any

from bench.common import BENCH_DIR, PROJECT_DIR, BenchEnv, Http, append_results, machine_line, md_table, pct
from bench.data import SEED

OUT = BENCH_DIR / "out"


async def asgi_get(app: Any, path_qs: str, gzip: bool = True, body: bytearray | None = None) -> tuple[int, int]:
    """One GET straight into the ASGI app, asking for a fresh answer (`Cache-Control: no-cache`:
    the search page is searched and rendered, not taken from the popular-search cache); returns
    (status, body bytes) and appends the body to `body` if given."""
    path, _, qs = path_qs.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench"), (b"cache-control", b"no-cache")]
    if gzip:
        headers.append((b"accept-encoding", b"gzip, deflate"))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": qs.encode(), "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {},
    }
    status, size, sent = 0, 0, False

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))
            if body is not None:
                body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


class Spans:
    """Accumulates wall time per named span for the current request."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, fn: Any) -> Any:
        """`fn` timed as `name` (a coroutine function from the call until it returns; one request
        at a time, so nothing else runs on the loop meanwhile)."""
        if inspect.iscoroutinefunction(fn):
            async def awrapper(*a: Any, **kw: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return await fn(*a, **kw)
                finally:
                    self.current[name] += time.perf_counter() - t0
            return awrapper

        def wrapper(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.current[name] += time.perf_counter() - t0
        return wrapper

    def take(self) -> dict[str, float]:
        out, self.current = dict(self.current), defaultdict(float)
        return out


def _short(path: str) -> str:
    for prefix, short in ((str(PROJECT_DIR / ".venv/lib/python3.11/site-packages") + "/", ""),
                          (str(PROJECT_DIR) + "/", ""), (sys.prefix + "/lib/python3.11/", "py:"),
                          (sys.base_prefix + "/lib/python3.11/", "py:")):
        if path.startswith(prefix):
            return short + path[len(prefix):]
    return path


def _package(path: str) -> str:
    p = _short(path)
    if p.startswith("py:"):
        name = p[3:].split("/")[0].removesuffix(".py")
        return {"http": "http.client (stdlib)", "json": "json (stdlib)", "asyncio": "asyncio (stdlib)",
                "socket": "socket (stdlib)", "gzip": "gzip/zlib (stdlib)", "zlib": "gzip/zlib (stdlib)",
                "threading": "threading (stdlib)", "ssl": "socket (stdlib)", "selectors": "asyncio (stdlib)"}.get(
            name, f"{name} (stdlib)")
    if p.startswith("~") or p.startswith("<"):
        return "builtins (C: socket, json, zlib, msgspec … called directly)"
    return p.split("/")[0]


WAITS = ("poll", "recv_into", "sendall", "acquire", "connect", "sleep", "select", "wait")


def _is_wait(file: str, func: str) -> bool:
    """Blocking calls: their own time is waiting (for Meilisearch, the worker thread), not CPU."""
    return file == "~" and any(w in func for w in WAITS)


def profile_table(stats: pstats.Stats, requests: int) -> tuple[str, str, str]:
    entries = stats.stats  # type: ignore[attr-defined]
    rows = sorted(((k, v) for k, v in entries.items() if not _is_wait(k[0], k[2])),
                  key=lambda kv: kv[1][2], reverse=True)[:15]
    top = md_table(["own ms/request", "cum ms/request", "calls/request", "function"], [
        [f"{tt / requests * 1000:.3f}", f"{ct / requests * 1000:.3f}", f"{nc / requests:.1f}",
         f"`{_short(file)}:{line}({func})`"] for (file, line, func), (cc, nc, tt, ct, _) in rows])
    by_pkg: dict[str, float] = defaultdict(float)
    total = 0.0
    for (file, _, func), (_, _, tt, _, _) in entries.items():
        if _is_wait(file, func):
            key = "(waiting: epoll, sockets, locks — I/O and thread hand-offs, not CPU)"
        else:
            key = _package(file) if file != "~" else f"builtins: {func.split(' of ')[0].strip('{}<>')[:60]}"
        by_pkg[key] += tt
        total += tt
    pkgs = md_table(["package", "own ms/request", "share"], [
        [k, f"{v / requests * 1000:.2f}", f"{100 * v / total:.0f} %"]
        for k, v in sorted(by_pkg.items(), key=lambda kv: kv[1], reverse=True)[:15]])
    ours = sorted(((k, v) for k, v in entries.items() if _short(k[0]).startswith(("marketplace/", "search/"))),
                  key=lambda kv: kv[1][3], reverse=True)[:12]
    our = md_table(["cum ms/request", "own ms/request", "function (our code)"], [
        [f"{ct / requests * 1000:.2f}", f"{tt / requests * 1000:.3f}", f"`{_short(file)}:{line}({func})`"]
        for (file, line, func), (_, _, tt, ct, _) in ours])
    return top, pkgs, our


async def _gzip_costs(app: Any, queries: list[Any], repeat: int = 20) -> str:
    """gzip of the mix's search pages as the page does it (once per answer, marketplace.web.compression:
    ISA-L) and with zlib at level 3 (what it did before): mean ms per page and mean compressed size."""
    import gzip as gzip_mod

    from marketplace.web.compression import LEVEL, gzip_bytes

    pages = []
    for q in queries:
        body = bytearray()
        await asgi_get(app, f"/{q.path_qs}", gzip=False, body=body)
        pages.append(bytes(body))
    figures = {}
    for name, fn in (("ISA-L", gzip_bytes), ("zlib", lambda page: gzip_mod.compress(page, 3, mtime=0))):
        t0 = time.perf_counter()
        for _ in range(repeat):
            for page in pages:
                fn(page)
        figures[name] = ((time.perf_counter() - t0) / (repeat * len(pages)) * 1000,
                         sum(len(fn(page)) for page in pages) / len(pages) / 1024)
    (isal_ms, isal_kb), (zlib_ms, zlib_kb) = figures["ISA-L"], figures["zlib"]
    return (f"gzip of the page costs {isal_ms:.2f} ms (in `rest`: the whole page gzipped once with ISA-L at level "
            f"{LEVEL}, marketplace.web.compression; {isal_kb:.1f} KB); zlib at level 3 would cost {zlib_ms:.2f} ms "
            f"({zlib_kb:.1f} KB); means over the mix's {len(pages)} pages of "
            f"{sum(map(len, pages)) / len(pages) / 1024:.0f} KB")


async def _run(env: BenchEnv, rounds: int, profile_rounds: int) -> str:
    import jinja2

    import search.queries as queries_mod
    from bench import mix
    from marketplace.app import create_app
    from marketplace.db import close_database, open_database
    from marketplace.providers import api_json, controllers
    from marketplace.web import fragments
    from marketplace.web.search_form import CardCache
    from search.client import SearchEngine

    engine = env.engine()
    queries = await mix.build(engine)
    # As served: the popular-search cache on (anonymous pages are rendered, gzipped once and stored
    # through it); every request asks for a fresh answer, so each one is searched and rendered.
    app = create_app(search_engine=engine, run_outbox_worker=False, search_cache=True)
    meili = Http(env.meili.url, env.meili_headers)  # no gzip, as the portal's client (bench/search_speed.py)
    spans = Spans()
    originals = (queries_mod.search, SearchEngine.multi_search, controllers.search_json, jinja2.Template.render)
    queries_mod.search = spans.wrap("queries.search", queries_mod.search)
    SearchEngine.multi_search = spans.wrap("client", SearchEngine.multi_search)  # type: ignore[method-assign]
    controllers.search_json = spans.wrap("msgspec", controllers.search_json)
    jinja2.Template.render = spans.wrap("render", jinja2.Template.render)  # type: ignore[method-assign]
    await open_database()
    try:
        async def raw(q: mix.Query, page: bool = False) -> tuple[int, int]:
            for body in q.page_bodies if page else q.meili_bodies:
                status, data = meili.request("POST", "/multi-search", body)
            return status, len(data)

        async def page_rendered_anew(q: mix.Query) -> tuple[int, int]:
            """The page with stores that keep nothing: every card and form field rendered."""
            kept = controllers.CARDS, fragments.FRAGMENTS
            controllers.CARDS, fragments.FRAGMENTS = CardCache(size=0), fragments.Fragments(size=0)
            try:
                return await asgi_get(app, f"/{q.path_qs}")
            finally:
                controllers.CARDS, fragments.FRAGMENTS = kept

        async def api_written_anew(q: mix.Query) -> tuple[int, int]:
            """The API with a hit store that keeps nothing: every hit decoded, checked and encoded."""
            kept = api_json.HIT_JSON
            api_json.HIT_JSON = api_json.HitJson(size=0)
            try:
                return await asgi_get(app, f"/api/providers{q.path_qs}")
            finally:
                api_json.HIT_JSON = kept

        targets = {
            "raw": raw,
            "raw page": lambda q: raw(q, page=True),
            "api": lambda q: asgi_get(app, f"/api/providers{q.path_qs}"),
            "api, nothing reused": api_written_anew,
            "page": lambda q: asgi_get(app, f"/{q.path_qs}"),
            "page, nothing reused": page_rendered_anew,
        }
        samples: dict[str, list[dict[str, float]]] = defaultdict(list)
        rng = random.Random(1)
        names = list(targets)
        for rnd in range(rounds + 2):
            order = queries[:]
            rng.shuffle(order)
            for i, q in enumerate(order):
                k = (rnd + i) % len(names)
                for t in names[k:] + names[:k]:
                    spans.take()
                    t0 = time.perf_counter()
                    status, _ = await targets[t](q)
                    total = time.perf_counter() - t0
                    if status != 200:
                        raise SystemExit(f"{t} {q.name!r}: HTTP {status}")
                    if rnd >= 2:
                        samples[t].append({"total": total, **spans.take()})

        def mean(t: str, key: str) -> float:
            return sum(s.get(key, 0.0) for s in samples[t]) / len(samples[t]) * 1000

        rows = []
        for t in ("api", "api, nothing reused", "page", "page, nothing reused"):
            raw_mean = mean("raw" if t.startswith("api") else "raw page", "total")
            total, search, client = mean(t, "total"), mean(t, "queries.search"), mean(t, "client")
            conv = mean(t, "render") if t.startswith("page") else mean(t, "msgspec")
            rows.append([t, f"{pct([s['total'] for s in samples[t]], 50) * 1000:.2f}", f"{total:.2f}",
                         f"{raw_mean:.2f}", f"{client - raw_mean:+.2f}", f"{search - client:.2f}",
                         f"{conv:.2f} ({'Jinja render' if t.startswith('page') else 'search_json, stored hit JSON'})",
                         f"{total - search - conv:.2f}", f"{total - raw_mean:.2f} ({total / raw_mean:.1f}×)"])
        decomposition = md_table(
            ["in-process request", "p50 ms", "mean ms", "raw Meili (keep-alive) mean", "client − raw",
             "search() − client (hit post-processing)", "render / convert", "rest (framework, "
             "params, form context, JSON/gzip)", "portal's own = mean − raw"], rows)
        decomposition += (f"\n\n{await _gzip_costs(app, queries)}; "
                          f"{len(samples['page'])} requests per target. `page` reuses result cards and form "
                          f"fields rendered for an earlier request (marketplace.web.search_form.CardCache, "
                          f"marketplace.web.fragments); `page, nothing reused` renders them all every time; likewise `api` "
                          f"writes hits from the JSON stored for an earlier answer (marketplace.providers.api_json), "
                          f"`api, nothing reused` writes every hit anew.")

        # -- cProfile ------------------------------------------------------------------------------
        queries_mod.search, SearchEngine.multi_search, controllers.search_json, jinja2.Template.render = originals  # type: ignore
        main_prof = cProfile.Profile()
        n = 0
        main_prof.enable()
        for _ in range(profile_rounds):
            for q in queries:
                await asgi_get(app, f"/{q.path_qs}")
                await asgi_get(app, f"/api/providers{q.path_qs}")
                n += 2
        main_prof.disable()
        stats = pstats.Stats(main_prof)
        OUT.mkdir(exist_ok=True)
        stats.dump_stats(OUT / "profile.pstats")
        top, pkgs, ours = profile_table(stats, n)
        provider = await _provider_page(app, rounds)
    finally:
        queries_mod.search, SearchEngine.multi_search, controllers.search_json, jinja2.Template.render = originals  # type: ignore
        meili.close()
        await close_database()

    body = (
        f"**Decomposition** (mean ms per request, in-process ASGI, no HTTP server; raw = Meilisearch on a kept-alive "
        f"connection for the same bodies):\n\n{decomposition}\n\n"
        f"**cProfile** ({n} requests: each query of the mix as page and as API, all on the event loop; cProfile inflates Python-heavy code, so read shares, not absolute ms). "
        f"Top 15 by own time (blocking waits left out; they are in the package table):\n\n{top}\n\nOwn time by package:\n\n{pkgs}\n\nOur functions by cumulative time:\n\n{ours}\n\n"
        f"{provider}"
    )
    print(body)
    return body


async def _provider_page(app: Any, rounds: int) -> str:
    """The provider page (target ≥ 1,000 req/s): time per page, database connections opened per
    page (Piccolo's SQLite engine opens one per query outside a transaction), and a cProfile."""
    import aiosqlite

    from bench.data import public_slugs

    slugs = (await _slugs(public_slugs))[:50]
    opened = 0
    connect = aiosqlite.connect

    def counting_connect(*a: Any, **kw: Any) -> Any:
        nonlocal opened
        opened += 1
        return connect(*a, **kw)

    aiosqlite.connect = counting_connect  # type: ignore[assignment]
    try:
        for slug in slugs[:5]:
            await asgi_get(app, f"/providers/{slug}")  # warm-up
        opened = 0
        times = []
        for _ in range(max(1, rounds // 5)):
            for slug in slugs:
                t0 = time.perf_counter()
                status, _ = await asgi_get(app, f"/providers/{slug}")
                times.append(time.perf_counter() - t0)
                if status != 200:
                    raise SystemExit(f"/providers/{slug}: HTTP {status}")
        per_page = opened / len(times)
        prof = cProfile.Profile()
        prof.enable()
        for slug in slugs:
            await asgi_get(app, f"/providers/{slug}")
        prof.disable()
    finally:
        aiosqlite.connect = connect  # type: ignore[assignment]
    top, pkgs, ours = profile_table(pstats.Stats(prof), len(slugs))
    mean_ms = sum(times) / len(times) * 1000
    return (
        f"**Provider page** `/providers/{{slug}}` in-process: p50 {pct(times, 50) * 1000:.2f} ms, mean {mean_ms:.2f} ms "
        f"over {len(times)} pages (≈ {1000 / mean_ms:.0f} pages/s on one core before any HTTP server); "
        f"**{per_page:.1f} new database connections per page**. cProfile, top 15 by own time:\n\n{top}\n\n"
        f"Own time by package:\n\n{pkgs}\n\nOur functions by cumulative time:\n\n{ours}\n"
    )


async def _slugs(fn: Any) -> list[str]:
    """public_slugs opens and closes the database itself; here it is open already."""
    from marketplace.providers.tables import Provider

    rows = await Provider.select(Provider.slug).where(Provider.status == "active").order_by(Provider.id)
    step = max(1, len(rows) // 50)
    return [r["slug"] for r in rows[::step]]


def run(env: BenchEnv, rounds: int, profile_rounds: int) -> str:
    return asyncio.run(_run(env, rounds, profile_rounds))


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 1,000 providers, fewer rounds")
    ap.add_argument("--providers", type=int)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    n = args.providers or (1_000 if args.quick else 10_000)
    with BenchEnv(providers=n, seed=args.seed, keep=args.keep) as env:
        head = machine_line(f"{n:,} providers")
        body = run(env, rounds=10 if args.quick else 50, profile_rounds=5 if args.quick else 20)
    if not args.no_record:
        append_results(f"Profile of the portal's own time per search{' (SMOKE, --quick)' if args.quick else ''}",
                       f"{head}\n\n{body}")


if __name__ == "__main__":
    main()
