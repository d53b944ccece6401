"""What the shape of the index documents costs Meilisearch per search: the same providers indexed
as shipped (`search.documents.index_document`: results, results by target group, prices and
offices packed into one JSON string, `detail`) and in the public shape (`unpack`: the same data as
nested objects, as indexed before), under the same settings, in one fresh Meilisearch, in one run.

    python -m bench.document_shape                  # 10,000 providers
    python -m bench.document_shape --providers 2000 --rounds 20 --no-record

The searches are the fixed mix (bench/mix.py, the multi-search bodies the portal sends), plus a
bare 20-hit search that returns only ids, which isolates the cost of returning a hit. Both
indexes are asked the same bodies, alternating, on one kept-alive connection. The documents are
`bench.data.documents` (no database involved), so the figures are Meilisearch's alone.
"""
from __future__ import annotations

import asyncio
import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import msgspec

from bench.common import Http, append_results, machine_line, md_table, pct, say
from bench.data import SEED, documents, generate
from bench.mix import MIX, meili_requests
from search.client import SearchEngine
from search.documents import unpack
from search.server import MeiliServer
from search.settings import INDEX_SETTINGS

SHAPES = {
    "packed": "as shipped: shown-only fields in one JSON string (`detail`)",
    "nested": "the same fields as nested objects (the public shape, indexed before)",
}
BARE = {"q": "", "limit": 20, "attributesToRetrieve": ["id"]}


def _ms(values: list[float], q: float) -> str:
    return f"{pct(values, q) * 1000:.1f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.document_shape", description=__doc__.split("\n\n")[0])
    ap.add_argument("--providers", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--no-record", action="store_true", help="print only, do not append to bench/RESULTS.md")
    args = ap.parse_args(argv)

    head = machine_line(f"{args.providers:,} providers generated (seed {SEED})")
    say(f"generating {args.providers:,} providers …")
    packed = documents(generate(args.providers))
    shaped = {"packed": packed, "nested": [unpack(dict(d)) for d in packed]}
    tmp = Path(tempfile.mkdtemp(prefix="bench-shape-"))
    server = MeiliServer(data_dir=tmp / "meili")
    server.start()
    try:
        engines = {}
        for shape, docs in shaped.items():
            engine = SearchEngine(server.url, server.master_key, f"providers_{shape}", target_name=f"bench-{shape}")
            engine.ensure_index()
            say(f"indexing {len(docs):,} {shape} documents …")
            for i in range(0, len(docs), 5_000):
                engine.wait(engine.send_documents_json(msgspec.json.encode(docs[i:i + 5_000])))
            engines[shape] = engine
        sizes = {s: sum(len(msgspec.json.encode(d)) for d in docs) / len(docs) for s, docs in shaped.items()}
        # The mix's bodies as the portal sends them to the packed (shipped) index; the nested index
        # gets the same bodies with its own uid, asking for the nested fields instead of `detail`.
        cases: list[tuple[str, dict[str, list[bytes]]]] = []
        for name, params in MIX:
            bodies, _ = asyncio.run(meili_requests(engines["packed"], params))
            per_shape = {"packed": bodies, "nested": []}
            for body in bodies:
                request = json.loads(body)
                for q in request["queries"]:
                    q["indexUid"] = engines["nested"].index_uid
                    if "detail" in q.get("attributesToRetrieve", []):
                        q["attributesToRetrieve"] = [f for f in q["attributesToRetrieve"] if f != "detail"] + [
                            "results", "results_by_target_group", "service_prices", "offices"]
                per_shape["nested"].append(json.dumps(request).encode())
            cases.append((name, per_shape))
        cases.append(("bare: 20 hits, ids only", {
            s: [json.dumps({"queries": [{**BARE, "indexUid": e.index_uid}], "federation": None}).encode()]
            for s, e in engines.items()}))

        meili = Http(server.url, {"Authorization": f"Bearer {server.master_key}", "Content-Type": "application/json"})
        times: dict[tuple[str, str], list[float]] = {(n, s): [] for n, _ in cases for s in SHAPES}
        rng = random.Random(1)
        say(f"{args.rounds} rounds of {len(cases)} searches × {len(SHAPES)} shapes …")
        for rnd in range(args.rounds + 3):
            order = cases[:]
            rng.shuffle(order)
            for i, (name, per_shape) in enumerate(order):
                for shape in (list(SHAPES) if (rnd + i) % 2 else list(SHAPES)[::-1]):
                    t0 = time.perf_counter()
                    for body in per_shape[shape]:
                        status, data = meili.request("POST", "/multi-search", body)
                        if status != 200:
                            raise SystemExit(f"{shape} {name!r}: HTTP {status} {data[:200]!r}")
                    if rnd >= 3:
                        times[(name, shape)].append(time.perf_counter() - t0)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    rows = []
    for name, _ in cases:
        p, n = times[(name, "packed")], times[(name, "nested")]
        rows.append([name, f"{_ms(n, 50)} / {_ms(n, 95)}", f"{_ms(p, 50)} / {_ms(p, 95)}",
                     f"{pct(p, 50) / pct(n, 50):.2f}×"])
    mix_p = [t for (n, s), v in times.items() if s == "packed" and not n.startswith("bare") for t in v]
    mix_n = [t for (n, s), v in times.items() if s == "nested" and not n.startswith("bare") for t in v]
    rows.append(["**the mix**", f"{_ms(mix_n, 50)} / {_ms(mix_n, 95)}", f"{_ms(mix_p, 50)} / {_ms(mix_p, 95)}",
                 f"**{pct(mix_p, 50) / pct(mix_n, 50):.2f}×**"])
    body = (f"{head}\n\n" + "\n".join(f"- `{s}`: {what}; {sizes[s] / 1000:.1f} KB of JSON per document"
                                      for s, what in SHAPES.items())
            + f"\n\n{args.rounds} rounds, both shapes in one Meilisearch 1.21, same settings "
              f"(search.settings.INDEX_SETTINGS), alternating; ms per search (a geo search is two requests)\n\n"
            + md_table(["search", "nested p50 / p95", "packed p50 / p95", "packed ÷ nested p50"], rows))
    print(body)
    if not args.no_record:
        append_results("Document shape: what Meilisearch pays per search", body)


if __name__ == "__main__":
    main()
