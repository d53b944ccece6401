"""What the index settings cost Meilisearch: the same documents indexed under variants of
`search.settings.INDEX_SETTINGS`, each into its own fresh Meilisearch, in one run.

    python -m bench.index_settings                      # 100,000 providers, every variant
    python -m bench.index_settings --providers 10000 --only current granular

Per variant: the full build (5,000-document batches of pre-encoded JSON sent back to back, the clock
stops when Meilisearch's last task has succeeded) and then single-document updates one after the
other (a rename, as an approval would write), timed as Meilisearch's own task duration and as the
wall time from sending to the task's success, plus the step of Meilisearch's batch progress trace
that took longest. The documents are `bench.data.documents` (no database involved), so the figures
are Meilisearch's alone. Ratios against the first variant are of the same run.
"""
from __future__ import annotations

import argparse
import copy
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import urllib3

from bench.common import append_results, machine_line, md_table, ms, pct, say
from bench.data import SEED, documents, generate
from search import geo
from search.server import MeiliServer
from search.settings import FILTERABLE, INDEX_SETTINGS, PRIMARY_KEY

BATCH = 5_000
INDEX = "providers"

def _shipped(s: dict) -> dict:
    return s


def _flat_filters(s: dict) -> dict:  # every filter feature on every filterable attribute
    s["filterableAttributes"] = list(FILTERABLE)
    return s


def _no_prefix(s: dict) -> dict:
    s["prefixSearch"] = "disabled"
    return s


def _meili_geo(s: dict) -> dict:  # what the portal shipped before search.geo: Meilisearch's own geo index
    s["filterableAttributes"] = [*s["filterableAttributes"], "_geo"]
    s["sortableAttributes"] = [*s["sortableAttributes"], "_geo"]
    return s


def _few_sorts(s: dict) -> dict:
    s["sortableAttributes"] = [a for a in s["sortableAttributes"] if "_by_tg." not in a]
    return s


VARIANTS: dict[str, tuple[str, Callable[[dict], dict]]] = {
    "shipped": ("search.settings.INDEX_SETTINGS (filter features limited to those used)", _shipped),
    "flat-filters": ("every filter feature on every filterable attribute (Meilisearch's default)", _flat_filters),
    "no-prefix": ("shipped + prefixSearch disabled (no prefix databases)", _no_prefix),
    "meili-geo": ("shipped + `_geo` filterable and sortable (Meilisearch's geo index, as before search.geo)", _meili_geo),
    "few-sorts": ("shipped without the per-target-group sorts", _few_sorts),
}


class Meili:
    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.http = urllib3.PoolManager(headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})

    def call(self, method: str, path: str, body: bytes | None = None) -> Any:
        resp = self.http.request(method, self.url + path, body=body, timeout=60)
        if resp.status >= 400:
            raise RuntimeError(f"{method} {path}: {resp.status} {resp.data[:300]!r}")
        return msgspec.json.decode(resp.data)

    def wait(self, uid: int, timeout: float = 1800) -> dict:
        deadline = time.monotonic() + timeout
        pause = 0.002
        while time.monotonic() < deadline:
            task = self.call("GET", f"/tasks/{uid}")
            if task["status"] == "succeeded":
                return task
            if task["status"] in ("failed", "canceled"):
                raise RuntimeError(f"task {uid} {task['status']}: {task.get('error')}")
            time.sleep(pause)  # polling Meilisearch's task status, with a deadline
            pause = min(pause * 2, 0.05)
        raise TimeoutError(f"task {uid} not done in {timeout} s")


def _iso_duration(text: str | None) -> float:
    """Meilisearch's ISO-8601 durations (PT0.123S, PT1M2.5S) in seconds."""
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", text or "")
    if not m:
        return float("nan")
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def _slowest_step(meili: Meili, batch_uid: int | None) -> str:
    if batch_uid is None:
        return "–"
    trace = meili.call("GET", f"/batches/{batch_uid}").get("stats", {}).get("progressTrace") or {}
    if not trace:
        return "–"
    # Leaf steps only (a parent's duration includes its children's).
    leaves = {k: v for k, v in trace.items() if not any(o != k and o.startswith(k + " >") for o in trace)}
    step, took = max(leaves.items(), key=lambda kv: _to_seconds(kv[1]))
    return f"{' > '.join(step.split(' > ')[-2:])} {_to_seconds(took) * 1000:.0f} ms"  # leaf and its parent


def _to_seconds(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(ns|µs|us|ms|s)", value.strip())
    if not m:
        return 0.0
    return float(m.group(1)) * {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]


def run_variant(name: str, settings: dict, batches: list[bytes], sample: list[dict], updates: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"marketplace-bench-settings-{name}-"))
    server = MeiliServer(data_dir=data_dir)
    server.start()
    try:
        meili = Meili(server.url, server.master_key)
        meili.wait(meili.call("POST", "/indexes", msgspec.json.encode({"uid": INDEX, "primaryKey": PRIMARY_KEY}))["taskUid"])
        meili.wait(meili.call("PATCH", f"/indexes/{INDEX}/settings", msgspec.json.encode(settings))["taskUid"])
        t0 = time.perf_counter()
        uids = [meili.call("POST", f"/indexes/{INDEX}/documents", body)["taskUid"] for body in batches]
        meili.wait(uids[-1])
        build = time.perf_counter() - t0
        for uid in uids:  # every batch, not only the last, must have succeeded
            meili.wait(uid)
        task_s, wall_s, steps = [], [], []
        for i in range(updates):
            doc = dict(sample[i % len(sample)], name=f"Omdøbt {i}")
            t1 = time.perf_counter()
            task = meili.wait(meili.call("POST", f"/indexes/{INDEX}/documents", msgspec.json.encode([doc]))["taskUid"])
            wall_s.append(time.perf_counter() - t1)
            task_s.append(_iso_duration(task.get("duration")))
            steps.append(_slowest_step(meili, task.get("batchUid")))
        size = meili.call("GET", "/stats").get("databaseSize", 0)
        return {"build": build, "task": task_s, "wall": wall_s, "step": max(set(steps), key=steps.count), "size": size}
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.index_settings", description=__doc__.split("\n\n")[0])
    ap.add_argument("--providers", type=int, default=100_000)
    ap.add_argument("--updates", type=int, default=20, help="single-document updates per variant")
    ap.add_argument("--only", nargs="+", choices=list(VARIANTS), help="variants to run (default: all)")
    ap.add_argument("--no-record", action="store_true", help="print only, do not append to bench/RESULTS.md")
    args = ap.parse_args(argv)

    head = machine_line(f"{args.providers:,} providers generated (seed {SEED})")
    say(f"generating {args.providers:,} providers …")
    docs = documents(generate(args.providers))
    for doc in docs:  # every variant gets `_geo`; only `meili-geo` indexes it (a field is ignored otherwise)
        if (point := geo.location(doc[geo.FIELD])) is not None:
            doc["_geo"] = {"lat": point["lat"], "lng": point["lon"]}
    batches = [msgspec.json.encode(docs[i:i + BATCH]) for i in range(0, len(docs), BATCH)]
    sample = docs[:: max(1, len(docs) // 50)]
    say(f"{len(docs):,} documents, {sum(map(len, batches)) / 1e6:.0f} MB of JSON")

    rows, first = [], None
    for name in args.only or list(VARIANTS):
        what, change = VARIANTS[name]
        say(f"variant {name}: {what}")
        r = run_variant(name, change(copy.deepcopy(INDEX_SETTINGS)), batches, sample, args.updates)
        first = first or r
        say(f"  build {r['build']:.1f} s, update p50 {ms(pct(r['wall'], 50))} p95 {ms(pct(r['wall'], 95))}")
        rows.append([f"`{name}`: {what}", f"{r['build']:.1f} s", f"{r['build'] / first['build']:.2f}×",
                     ms(pct(r["task"], 50)), ms(pct(r["wall"], 50)), ms(pct(r["wall"], 95)),
                     f"{pct(r['wall'], 50) / pct(first['wall'], 50):.2f}×", r["step"], f"{r['size'] / 2**20:.0f} MiB"])

    body = (f"{head}\n\n{len(docs):,} documents in {len(batches)} batches of {BATCH:,}; {args.updates} single-document "
            f"updates after each build (sequential). Each variant in its own fresh Meilisearch 1.21 "
            f"(`search.server.MeiliServer`, production options).\n\n"
            + md_table(["variant", "full build", "× first", "update: task p50", "update: wall p50", "wall p95",
                        "× first", "slowest step of an update (mode)", "database"], rows))
    print(body)
    if not args.no_record:
        append_results("Index settings: what Meilisearch pays for each", body)


if __name__ == "__main__":
    main()
