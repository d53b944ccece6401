"""Search speed: the portal's page `/` and `/api/providers` against raw Meilisearch answering exactly
the multi-search the portal sends, for a fixed mix of realistic searches, interleaved in one run.

    python -m bench.search_speed                 # 10,000 providers, 200 rounds
    python -m bench.search_speed --quick         # 1,000 providers, 20 rounds (smoke)

Own Meilisearch (temp dir) and portal (`uvicorn marketplace.asgi:app`, one worker, access log
off) on loopback. One client, one kept-alive connection per target, sequential requests: each
round visits every query in a shuffled order and, per query, the targets in a rotating order —
so load from other processes hits all targets alike and the *ratios* stay meaningful on a noisy
machine. Columns:

  raw     raw Meilisearch, the exact multi-search body (bodies) the portal sends for the API, on a
          kept-alive connection — the floor for `api`
  raw page  the same for the page, which asks only for a card's fields — the floor for `page`
  client  the same through the portal's Meilisearch client (`SearchEngine.multi_search`, in this
          process, on an event loop) — what the portal pays to talk to Meilisearch
  api     GET /api/providers?…   page  GET /?… (HTML) with `Cache-Control: no-cache`, so the
          popular-search cache (search/result_cache.py) does not answer the repeated mix

The page renders each result card and form field once and then reuses it, keyed by what it shows
(marketplace.web.search_form.CardCache, marketplace.web.fragments): after the first round the
mix's cards and fields come from there, as a popular provider's card and the common selects do in
real traffic; bench/profile.py also prices a page with every card and field rendered anew.

Requests to the portal send `Accept-Encoding: gzip, deflate` like browsers do. Requests to raw
Meilisearch send none, as the portal's own client does: asked for gzip, Meilisearch compresses
each answer and a 15 KB answer then takes ≈ 5× as long (52 vs 9.5 ms p50 at 2,000 providers, measured
on the same connection), which made an earlier raw baseline look slow and the ratios flattering.
"""
from __future__ import annotations

import asyncio
import argparse
import json
import random
import time
from typing import Any

from bench.common import BenchEnv, Http, append_results, machine_line, md_table, ms, pct, say
from bench.data import SEED

TARGET_PAGE_P50_RATIO = 2.0
TARGET_PAGE_P95_MS = 25.0
ENCODING = {"Accept-Encoding": "gzip, deflate"}
NO_CACHE = {"Cache-Control": "no-cache"}


def _measure(fn: Any) -> tuple[float, bool]:
    t0 = time.perf_counter()
    ok = fn()
    return time.perf_counter() - t0, ok


def run(env: BenchEnv, rounds: int, warmup: int, seed: int = 1) -> str:
    from bench import mix

    engine = env.engine()
    queries = asyncio.run(mix.build(engine))
    base = env.start_portal(workers=1)
    try:
        portal = Http(base, ENCODING)
        meili = Http(env.meili.url, env.meili_headers)  # no gzip: the portal's client asks for none (see above)

        def raw(q: mix.Query) -> bool:
            return all(meili.request("POST", "/multi-search", body)[0] == 200 for body in q.meili_bodies)

        def raw_page(q: mix.Query) -> bool:
            return all(meili.request("POST", "/multi-search", body)[0] == 200 for body in q.page_bodies)

        loop = asyncio.new_event_loop()  # the client's coroutine on a loop of its own, kept for the run

        def client(q: mix.Query) -> bool:
            for body in q.meili_bodies:
                loop.run_until_complete(engine.multi_search(json.loads(body)["queries"]))
            return True

        def api(q: mix.Query) -> bool:
            status, body = portal.request("GET", f"/api/providers{q.path_qs}")
            return status == 200

        def page(q: mix.Query) -> bool:  # searched and rendered every time (past the popular-search cache)
            status, body = portal.request("GET", f"/{q.path_qs}", headers=NO_CACHE)
            return status == 200

        # Sanity: the portal answers each query and reports the same total as the recorded search.
        for q in queries:
            status, body = portal.request("GET", f"/api/providers{q.path_qs}", headers={"Accept-Encoding": "identity"})
            if status != 200 or json.loads(body)["total"] != q.total:
                raise SystemExit(f"portal disagrees on {q.name!r}: {status} {body[:200]!r}")
        sizes = {q.name: len(portal.request("GET", f"/{q.path_qs}")[1]) for q in queries}

        targets = {"raw": raw, "raw page": raw_page, "client": client, "api": api, "page": page}
        samples: dict[tuple[str, str], list[float]] = {(q.name, t): [] for q in queries for t in targets}
        errors = {t: 0 for t in targets}
        rng = random.Random(seed)
        names = list(targets)
        say(f"==> {len(queries)} queries × {len(targets)} targets × {rounds} rounds (+{warmup} warm-up)")
        t_start = time.perf_counter()
        for rnd in range(warmup + rounds):
            order = queries[:]
            rng.shuffle(order)
            for i, q in enumerate(order):
                k = (rnd + i) % len(names)
                for t in names[k:] + names[:k]:
                    seconds, ok = _measure(lambda: targets[t](q))
                    if rnd >= warmup:
                        samples[(q.name, t)].append(seconds)
                        errors[t] += 0 if ok else 1
        wall = time.perf_counter() - t_start
        portal.close()
        meili.close()
        loop.run_until_complete(engine.aclose())
        loop.close()
    finally:
        env.stop_portal(base)

    rows = []
    for q in queries:
        s = {t: samples[(q.name, t)] for t in targets}
        r50, rp50 = pct(s["raw"], 50), pct(s["raw page"], 50)
        rows.append([
            q.name, " + ".join(str(len(json.loads(b)["queries"])) for b in q.meili_bodies), q.total,
            f"{ms(r50)} / {ms(pct(s['raw'], 95))} / {ms(pct(s['raw'], 99))}",
            f"{ms(pct(s['client'], 50))} ({pct(s['client'], 50) / r50:.1f}×)",
            f"{ms(pct(s['api'], 50))} / {ms(pct(s['api'], 95))} / {ms(pct(s['api'], 99))}",
            f"{pct(s['api'], 50) / r50:.1f}×",
            f"{ms(rp50)} / {ms(pct(s['raw page'], 95))}",
            f"{ms(pct(s['page'], 50))} / {ms(pct(s['page'], 95))} / {ms(pct(s['page'], 99))}",
            f"**{pct(s['page'], 50) / rp50:.1f}×**",
            f"{sizes[q.name] / 1024:.0f}",
        ])
    pooled = {t: [x for q in queries for x in samples[(q.name, t)]] for t in targets}
    p = {t: {k: pct(pooled[t], k) for k in (50, 95, 99)} for t in targets}
    rows.append([
        "**all queries**", "", "",
        f"{ms(p['raw'][50])} / {ms(p['raw'][95])} / {ms(p['raw'][99])}",
        f"{ms(p['client'][50])} ({p['client'][50] / p['raw'][50]:.1f}×)",
        f"{ms(p['api'][50])} / {ms(p['api'][95])} / {ms(p['api'][99])}", f"{p['api'][50] / p['raw'][50]:.1f}×",
        f"{ms(p['raw page'][50])} / {ms(p['raw page'][95])}",
        f"{ms(p['page'][50])} / {ms(p['page'][95])} / {ms(p['page'][99])}",
        f"**{p['page'][50] / p['raw page'][50]:.1f}×**", "",
    ])
    table = md_table(
        ["query", "Meili queries per request", "hits", "raw p50/p95/p99 ms", "client p50", "api p50/p95/p99 ms", "api÷raw p50",
         "raw page p50/p95 ms", "page p50/p95/p99 ms", "page÷raw page p50", "page KB gz"], rows)
    page_ratio = p["page"][50] / p["raw page"][50]

    def page_ratio_of(q: mix.Query) -> float:
        return pct(samples[(q.name, "page")], 50) / pct(samples[(q.name, "raw page")], 50)

    worst = max(queries, key=page_ratio_of)
    worst_ratio = page_ratio_of(worst)
    verdict = (
        f"- page p50 ÷ raw page p50, all queries: **{page_ratio:.1f}×** (target ≤ {TARGET_PAGE_P50_RATIO:.0f}×: "
        f"{'met' if page_ratio <= TARGET_PAGE_P50_RATIO else 'NOT met'}); worst query {worst.name!r} "
        f"{worst_ratio:.1f}×\n"
        f"- page p95, all queries: **{ms(p['page'][95])} ms** (target ≤ {TARGET_PAGE_P95_MS:.0f} ms: "
        f"{'met' if p['page'][95] * 1000 <= TARGET_PAGE_P95_MS else 'NOT met'})\n"
        f"- errors (non-200): {errors}\n"
        f"- {rounds} rounds after {warmup} warm-up, {sum(len(v) for v in samples.values())} timed requests in "
        f"{wall:.0f} s; portal: 1 uvicorn worker; client column = `SearchEngine.multi_search` in the bench process"
    )
    print(table)
    print(verdict)
    return f"{table}\n\n{verdict}\n"


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.search_speed", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 1,000 providers, 20 rounds")
    ap.add_argument("--providers", type=int)
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    args = ap.parse_args()
    n = args.providers or (1_000 if args.quick else 10_000)
    rounds = args.rounds or (20 if args.quick else 200)
    with BenchEnv(providers=n, seed=args.seed, keep=args.keep) as env:
        head = machine_line(f"{n:,} providers ({env.engine().document_count():,} public)")
        body = run(env, rounds, warmup=3 if args.quick else 10)
    if not args.no_record:
        append_results(f"Search speed{' (SMOKE, --quick)' if args.quick else ''}", f"{head}\n\n{body}")


if __name__ == "__main__":
    main()
