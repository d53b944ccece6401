"""Benchmark data: N realistic providers (10,000 and 100,000) with their finished courses, results,
citizens' enrolments and reviews, built from the demo generator's building blocks
(`marketplace.demo.seed`): the same spread over regions (by population), municipalities (by size),
provider types, target groups, services, prices, languages and true provider effects.

Deterministic: the same seed and N give the same rows (dates relative to a fixed `now`).

Two ways to use it:
  (a) `prepare_database(n)` bulk-inserts the rows into the database named by
      MARKETPLACE_DATABASE_URL / MARKETPLACE_DATA_DIR (migrated here; must have no providers), with
      raw executemany through Piccolo's engine, and `index_database(engine)` builds the index with
      `search.sync.rebuild` — the production path;
  (b) `documents(generate(n))` builds the index documents in memory with
      `search.documents.index_document`, for pure search benchmarks.

    python -m bench.data --providers 10000                 # (a) into $MARKETPLACE_DATABASE_URL
    python -m bench.data --providers 10000 --index         # … and index into $MEILI_URL
    python -m bench.data --providers 10000 --documents docs.ndjson   # (b), no database

Compared with the demo (300 providers), a benchmark provider has fewer courses (5–60) and fewer
enrolments (0–12), so that 100,000 providers stay within a couple of million rows; a few per cent
are registered-but-not-approved or suspended, so the index holds fewer documents than the database.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from marketplace.demo import seed as demo
from marketplace.outcomes.stats import ResultStats, compute_results_frame
from marketplace.providers.freshness import is_stale
from search.documents import ProviderSnapshot, index_document, is_public

SEED = 20261123
NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)  # fixed, so the data do not change from day to day
COURSES = (5, 60)
ENROLMENTS_MAX = 12
SHARE_REGISTERED = 0.02  # submitted but never approved: not public
SHARE_SUSPENDED = 0.01  # approved, then suspended: not public
INSERT_CHUNK = 5_000

Row = dict[str, Any]
Progress = Callable[[str, int, int], None]


@dataclass
class BenchData:
    """Rows with their primary keys assigned (1, 2, …): the tables are empty when they are loaded."""

    now: datetime
    providers: list[Row] = field(default_factory=list)
    revisions: list[Row] = field(default_factory=list)
    outcomes: list[Row] = field(default_factory=list)
    results: list[Row] = field(default_factory=list)  # ProviderResult rows
    users: list[Row] = field(default_factory=list)
    enrolments: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in
                ("providers", "revisions", "outcomes", "results", "users", "enrolments", "reviews")}


def generate(n: int, seed: int = SEED, *, now: datetime = NOW, courses: tuple[int, int] = COURSES,
             enrolments_max: int = ENROLMENTS_MAX, progress: Progress | None = None) -> BenchData:
    """N providers and everything hanging off them. Pure and deterministic."""
    rng = random.Random(seed)
    geo = demo._Geo.load()
    data = BenchData(now=now)
    names: set[str] = set()
    slugs: set[str] = set()
    cvrs: set[str] = set()
    homes: dict[int, int] = {}
    effects: dict[int, float] = {}

    for pid, (ptype, home) in enumerate(demo._provider_slots(rng, geo, n), start=1):
        provider, revision = demo._make_provider(rng, geo, now, ptype, home, names, slugs, cvrs)
        effects[pid] = rng.gauss(0.0, demo.PROVIDER_EFFECT_SD)
        homes[pid] = home
        r = rng.random()
        if r < SHARE_REGISTERED:
            provider["status"], revision["status"], revision["decided_at"] = "registered", "submitted", None
        elif r < SHARE_REGISTERED + SHARE_SUSPENDED:
            provider["status"] = "suspended"
        provider["id"] = pid
        revision.update(id=pid, provider=pid)
        del revision["_provider"]
        data.providers.append(provider)
        data.revisions.append(revision)
        if progress and pid % 10_000 == 0:
            progress("providers", pid, n)

    approved = [rev for rev in data.revisions if rev["status"] == "approved"]
    number = 0
    for rev in approved:
        pid = rev["provider"]
        for _ in range(demo._course_count(rng, courses)):
            number += 1
            row = demo._outcome(rng, number, "", rev, homes[pid], effects[pid])
            del row["_provider"]
            row.update(id=number, provider=pid, import_batch=1)
            data.outcomes.append(row)

    enrolment_id = 0
    for rev in approved:
        pid = rev["provider"]
        reviews = 0
        for _ in range(int(rng.triangular(0, enrolments_max, enrolments_max / 4))):
            enrolment_id += 1
            citizen, enrolment = demo._citizen_and_enrolment(rng, enrolment_id, "", rev, now)
            citizen["id"] = enrolment_id
            citizen["email"] = f"borger{enrolment_id:07d}@bench.invalid"
            enrolment.update(id=enrolment_id, citizen=enrolment_id, provider=pid)
            for key in ("_citizen", "_provider"):
                del enrolment[key]
            data.users.append(citizen)
            data.enrolments.append(enrolment)
            if reviews < 25 and rng.random() < 0.6:
                review = demo._review(rng, {**enrolment, "_provider": ""}, effects[pid], now)
                for key in ("_enrolment", "_provider"):
                    del review[key]
                review.update(id=len(data.reviews) + 1, enrolment=enrolment_id, provider=pid)
                data.reviews.append(review)
                reviews += 1

    data.results = result_rows(data.outcomes, now)
    return data


def outcome_frame(outcomes: list[Row]) -> pd.DataFrame:
    """The courses as the frame `marketplace.outcomes.stats.compute_results_frame` expects (the same
    columns and types that `marketplace.outcomes.services.load_outcome_frame` reads from the database)."""
    frame = pd.DataFrame.from_records(outcomes, columns=[
        "provider", "target_group", "municipality", "age_band", "months_on_benefit", "start_date", "end_date",
        "status_3m", "job_start_date"]).rename(columns={"provider": "provider_id"})
    for col in ("start_date", "end_date", "job_start_date"):
        frame[col] = pd.to_datetime(frame[col]).to_numpy(dtype="datetime64[ns]")
    for col in ("provider_id", "municipality", "months_on_benefit"):
        frame[col] = frame[col].astype(np.int64)
    return frame


def result_rows(outcomes: list[Row], now: datetime) -> list[Row]:
    """ProviderResult rows from the real statistics (model fit, scores, stars), as
    `marketplace.outcomes.services.result_rows` writes them."""
    if not outcomes:
        return []
    report = compute_results_frame(outcome_frame(outcomes))
    rows = []
    for i, (pid, r) in enumerate(sorted(report.providers.items()), start=1):
        rows.append({
            "id": i, "provider": int(pid), "import_batch": 1, "method_version": report.method_version,
            "computed_at": now, "results": _stats_dict(r.overall),
            "results_by_target_group": {tg: _stats_dict(s) for tg, s in r.by_target_group.items()},
            "people_like_me": {f"{tg}|{age}": _stats_dict(s) for (tg, age), s in r.people_like_me.items()},
        })
    return rows


def _stats_dict(stats: ResultStats) -> dict[str, Any]:
    """`ResultStats.to_dict()` without `dataclasses.asdict` (which deep-copies: 140 µs a call,
    minutes for the 1.4 million cells of 100k providers). Same keys, same rounding."""
    out = {}
    for name in _STATS_FIELDS:
        v = getattr(stats, name)
        out[name] = round(v, 4) if isinstance(v, float) else v
    return out


_STATS_FIELDS = tuple(f.name for f in dataclasses.fields(ResultStats))


# -- (b) documents without a database ---------------------------------------------------------------
def snapshots(data: BenchData) -> list[ProviderSnapshot]:
    """What `search.sync.load_snapshots` would read from the database, built from the rows."""
    results = {r["provider"]: r for r in data.results}
    ratings: dict[int, list[int]] = {}
    for review in data.reviews:
        if review["text_status"] != "rejected":
            ratings.setdefault(review["provider"], []).append(review["rating"])
    approved = {rev["provider"]: rev for rev in data.revisions if rev["status"] == "approved"}
    out = []
    for p in data.providers:
        res = results.get(p["id"], {})
        rs = ratings.get(p["id"], [])
        out.append(ProviderSnapshot(
            provider=p, revision=approved.get(p["id"]), results=res.get("results") or {},
            results_by_target_group=res.get("results_by_target_group") or {},
            review_avg=sum(rs) / len(rs) if rs else None, review_count=len(rs),
            stale=is_stale(p["last_confirmed_at"], data.now), method_version=res.get("method_version"),
        ))
    return out


def documents(data: BenchData) -> list[dict[str, Any]]:
    """The index documents of the public providers."""
    return [index_document(s) for s in snapshots(data) if is_public(s)]


# -- (a) the database --------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


async def bulk_insert(table: Any, rows: list[Row], progress: Progress | None = None) -> None:
    """INSERT the rows (with their ids) by executemany on one connection of Piccolo's engine, in
    one transaction. Columns a row lacks get the column default. Bench data only: no validation."""
    from piccolo.columns import JSON, JSONB
    from piccolo.engine.sqlite import SQLiteEngine

    from marketplace.piccolo_conf import DB

    if not rows:
        return
    columns = list(table._meta.columns)
    names = [c._meta.name for c in columns]
    defaults = {c._meta.name: c.get_default_value() for c in columns if not c._meta.primary_key}
    json_cols = {c._meta.name for c in columns if isinstance(c, (JSON, JSONB))}
    sqlite = isinstance(DB, SQLiteEngine)
    marks = ", ".join("?" if sqlite else f"${i}" for i in range(1, len(columns) + 1))
    quoted = ", ".join(f'"{c._meta.db_column_name}"' for c in columns)
    sql = f'INSERT INTO "{table._meta.tablename}" ({quoted}) VALUES ({marks})'

    def values(row: Row) -> tuple:
        out = []
        for name in names:
            v = row.get(name, defaults.get(name))
            if isinstance(v, Enum):
                v = v.value
            if name in json_cols and not isinstance(v, str):
                v = json.dumps(v, default=_json_default)
            out.append(v)
        return tuple(out)

    if sqlite:
        conn = await DB.get_connection()  # autocommit (isolation_level=None): one explicit transaction
        try:
            await conn.execute("BEGIN IMMEDIATE")
            for start in range(0, len(rows), INSERT_CHUNK):
                await conn.executemany(sql, [values(r) for r in rows[start:start + INSERT_CHUNK]])
                if progress:
                    progress(table._meta.tablename, min(start + INSERT_CHUNK, len(rows)), len(rows))
            await conn.execute("COMMIT")
        finally:
            await conn.close()
    else:
        conn = await DB.get_new_connection()
        try:
            async with conn.transaction():
                for start in range(0, len(rows), INSERT_CHUNK):
                    await conn.executemany(sql, [values(r) for r in rows[start:start + INSERT_CHUNK]])
                    if progress:
                        progress(table._meta.tablename, min(start + INSERT_CHUNK, len(rows)), len(rows))
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table._meta.tablename}\"', 'id'), "
                                   f"(SELECT max(id) FROM \"{table._meta.tablename}\"))")
        finally:
            await conn.close()


async def load(data: BenchData, progress: Progress | None = None) -> dict[str, int]:
    """Bulk-insert every row (parents first). The database must be migrated and have no providers."""
    from marketplace.accounts.tables import User
    from marketplace.enrolments.tables import Enrolment
    from marketplace.outcomes.tables import Outcome, OutcomeImport, ProviderResult
    from marketplace.providers.tables import ListingRevision, Provider
    from marketplace.reviews.tables import Review

    await bulk_insert(Provider, data.providers, progress)
    await bulk_insert(ListingRevision, data.revisions, progress)
    await bulk_insert(OutcomeImport, [{"id": 1, "filename": "bench", "rows": len(data.outcomes),
                                       "imported_at": data.now}], progress)
    await bulk_insert(Outcome, data.outcomes, progress)
    await bulk_insert(ProviderResult, data.results, progress)
    await bulk_insert(User, data.users, progress)
    await bulk_insert(Enrolment, data.enrolments, progress)
    await bulk_insert(Review, data.reviews, progress)
    return data.counts()


async def prepare_database(n: int, seed: int = SEED, progress: Progress | None = None) -> dict[str, int]:
    """Migrate the database named by the environment, add the reference data, generate N providers
    and load them. Refuses a database that already has providers."""
    from marketplace.bootstrap import migrate
    from marketplace.db import close_database, open_database
    from marketplace.providers.tables import Provider
    from marketplace.reference.services import sync_reference_tables

    await open_database()
    try:
        await migrate()
        await sync_reference_tables()
        if await Provider.count():
            raise SystemExit("the bench database already has providers: give an empty one")
        t0 = time.perf_counter()
        data = generate(n, seed, progress=progress)
        if progress:
            progress(f"generated in {time.perf_counter() - t0:.1f} s", 1, 1)
        return await load(data, progress)
    finally:
        await close_database()


async def index_database(engine: Any, progress: Progress | None = None) -> int:
    """Fill the index from the database the production way (`search.sync.rebuild`: fresh index + swap)."""
    from marketplace.db import close_database, open_database
    from search import sync

    await open_database()
    try:
        return await sync.rebuild(engine, progress)
    finally:
        await close_database()


async def public_slugs(limit: int) -> list[str]:
    """Slugs of public providers, spread over the id range (for provider-page benchmarks)."""
    from marketplace.db import close_database, open_database
    from marketplace.providers.tables import Provider

    await open_database()
    try:
        rows = await Provider.select(Provider.slug).where(Provider.status == "active").order_by(Provider.id)
    finally:
        await close_database()
    step = max(1, len(rows) // limit)
    return [r["slug"] for r in rows[::step][:limit]]


def _print_progress(phase: str, done: int, total: int) -> None:
    if done >= total:
        print(f"  {phase}: {total}", file=sys.stderr, flush=True)


def main(argv: Iterable[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.data", description=__doc__.split("\n\n")[0])
    ap.add_argument("--providers", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--documents", metavar="FILE", help="write the index documents as NDJSON; no database")
    ap.add_argument("--index", action="store_true", help="after loading, rebuild the index at $MEILI_URL")
    args = ap.parse_args(list(argv) if argv is not None else None)
    t0 = time.perf_counter()
    if args.documents:
        docs = documents(generate(args.providers, args.seed, progress=_print_progress))
        with open(args.documents, "w") as f:
            for d in docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        print(f"{len(docs)} documents → {args.documents} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        return
    counts = asyncio.run(prepare_database(args.providers, args.seed, _print_progress))
    print(f"loaded {counts} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.index:
        from marketplace.settings import get_settings
        from search.client import SearchEngine

        s = get_settings()
        if not s.meili_url:
            raise SystemExit("--index needs MEILI_URL and MEILI_MASTER_KEY")
        engine = SearchEngine(s.meili_url, s.meili_master_key, s.meili_index, target_name=s.meili_target or None)
        t1 = time.perf_counter()
        n = asyncio.run(index_database(engine, lambda d, t: _print_progress("index", d, t)))
        print(f"indexed {n} documents in {time.perf_counter() - t1:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
