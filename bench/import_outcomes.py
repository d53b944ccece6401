"""Outcome import: time and peak memory for a 500,000-row CSV (`marketplace import-outcomes`).

    .venv/bin/python -m bench.import_outcomes                       # 500,000 rows, SQLite in a temp dir
    .venv/bin/python -m bench.import_outcomes --rows 100000 --no-save
    .venv/bin/python -m bench.import_outcomes --database-url postgresql://postgres@127.0.0.1:5432/bench

Each measurement runs in a fresh child process (so `ru_maxrss` is that run's own peak) against a
fresh database with the same providers:

1. **import**: `import_outcomes(file)` as the CLI runs it – pass 1 (validate), pass 2 (apply in
   one transaction), then the recompute of every provider's results. Wall time per phase and
   the process's peak RSS after pass 2 and after the recompute.
2. **re-import** of the same file into that database: every row unchanged, nothing written.
3. **tracemalloc**: pass 1 and pass 2 only, under tracemalloc (slower), in a new database: the
   peak of Python allocations made by the import itself.

A PostgreSQL URL must name an empty, throw-away database: its public schema is dropped first.
Figures are printed and appended to bench/RESULTS.md (section "Outcome import").
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import PROJECT_DIR, append_results, machine_line, md_table, say
from marketplace.reference.catalog import municipalities

SEED = 20261123
PROVIDERS = 1_000
ROWS = 500_000
TARGET_GROUPS = {  # slug → base chance of a job (log-odds shift), share of courses
    "dagpenge": (0.6, 0.35), "kontanthjaelp-jobparat": (-0.1, 0.15), "kontanthjaelp-aktivitetsparat": (-1.6, 0.15),
    "sygedagpenge": (-0.3, 0.15), "uddannelseshjaelp": (-0.2, 0.08), "integration": (-0.8, 0.07),
    "jobafklaring": (-1.2, 0.05),
}
AGE_BANDS = {"16-24": 0.2, "25-29": 0.3, "30-39": 0.2, "40-49": 0.0, "50-59": -0.4, "60+": -1.0}
FIRST_START = date(2023, 1, 2)
HEADER = ("course_id,provider_cvr,target_group,municipality,age_band,months_on_benefit,start_date,end_date,"
          "status_3m,job_start_date\n")


def cvr(n: int) -> str:
    """The n-th valid CVR number (7 digits + modulus-11 check digit)."""
    weights = (2, 7, 6, 5, 4, 3, 2, 1)
    base = 3_100_000 + n * 3
    while True:
        digits = str(base)
        check = -sum(int(d) * w for d, w in zip(digits, weights)) % 11
        if check < 10:
            return digits + str(check)
        base += 1


def provider_cvrs(n: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(out) < n:
        c = cvr(i)
        i += 1
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def write_csv(path: Path, rows: int, cvrs: list[str], seed: int = SEED) -> None:
    """A valid outcome file: `rows` courses spread over the providers, with true provider effects."""
    import math

    rng = random.Random(seed)
    effects = [rng.gauss(0, 0.3) for _ in cvrs]
    groups = list(TARGET_GROUPS)
    group_weights = [TARGET_GROUPS[g][1] for g in groups]
    ages = list(AGE_BANDS)
    codes = sorted(municipalities())  # the reference data (pure: no database)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        buffer: list[str] = []
        for i in range(rows):
            p = rng.randrange(len(cvrs))
            tg = rng.choices(groups, group_weights)[0]
            age = ages[rng.randrange(len(ages))]
            months = min(120, int(rng.expovariate(1 / 9)))
            start = FIRST_START + timedelta(days=rng.randrange(900))
            end = start + timedelta(weeks=rng.randint(4, 30))
            logit = -0.4 + TARGET_GROUPS[tg][0] + AGE_BANDS[age] - 0.3 * math.log1p(months) + effects[p]
            job = rng.random() < 1 / (1 + math.exp(-logit))
            if job:
                status = "job"
                job_start = (start + timedelta(days=7 + rng.randrange(max(1, (end - start).days + 60)))).isoformat()
            else:
                status = "benefit" if rng.random() < 0.8 else ("education" if rng.random() < 0.5 else "other")
                job_start = ""
            buffer.append(f"B{i:09d},{cvrs[p]},{tg},{codes[rng.randrange(len(codes))]},{age},"
                          f"{months},{start.isoformat()},{end.isoformat()},{status},{job_start}\n")
            if len(buffer) == 10_000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))


# -- the child process ----------------------------------------------------------------------------
def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


async def _prepare_database(providers: int, fresh_postgres: bool) -> None:
    from marketplace.bootstrap import migrate
    from marketplace.db import is_sqlite, open_database, write_transaction
    from marketplace.providers.tables import Provider
    from marketplace.reference.services import sync_reference_tables
    from marketplace.settings import get_settings

    if fresh_postgres and not is_sqlite():
        import asyncpg

        conn = await asyncpg.connect(get_settings().database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            await conn.close()
    await open_database()
    await migrate()
    await sync_reference_tables()
    if await Provider.count() == 0:
        async with write_transaction():
            rows = [Provider(cvr=c, name=f"Bench-aktør {i}", slug=f"bench-{i}", type="privat", status="active")
                    for i, c in enumerate(provider_cvrs(providers))]
            for start in range(0, len(rows), 500):
                await Provider.insert(*rows[start:start + 500])


async def _child(mode: str, csv_path: str, providers: int) -> dict[str, Any]:
    await _prepare_database(providers, fresh_postgres=mode in ("import", "tracemalloc"))
    from marketplace.outcomes import importer
    from marketplace.outcomes.tables import Outcome, ProviderResult

    stamps: dict[str, float] = {}
    rss: dict[str, float] = {"before": _rss_mib()}

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        stamps.setdefault(f"{phase} start", now)
        if done >= total:
            stamps[f"{phase} end"] = now
        if phase == importer.PHASE_RESULTS and done == 0:
            rss["after apply"] = _rss_mib()

    out: dict[str, Any] = {"mode": mode}
    if mode == "tracemalloc":
        import tracemalloc

        path = Path(csv_path)
        cvrs = await importer.registered_cvrs()
        tracemalloc.start()
        t0 = time.perf_counter()
        report = importer.validate_file(path, cvrs)
        out["validate_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.reset_peak()
        await importer._apply(path, report, cvrs, path.name, None, "bench", None)
        out["apply_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        out["seconds_under_tracemalloc"] = time.perf_counter() - t0
        tracemalloc.stop()
        out["rows"] = report.rows
        return out

    t0 = time.perf_counter()
    summary = await importer.import_outcomes(csv_path, actor_label="bench", progress=progress)
    total = time.perf_counter() - t0
    rss["peak"] = _rss_mib()
    out.update(
        seconds=total, rows=summary.rows, new=summary.new, changed=summary.changed, unchanged=summary.unchanged,
        providers=summary.providers_recomputed, rss=rss,
        phases={p: stamps.get(f"{p} end", 0) - stamps.get(f"{p} start", 0)
                for p in (importer.PHASE_VALIDATE, importer.PHASE_APPLY, importer.PHASE_RESULTS)},
        outcome_rows=await Outcome.count(), result_rows=await ProviderResult.count(),
    )
    return out


def _run_child(mode: str, csv_path: Path, providers: int, env: dict[str, str]) -> dict[str, Any]:
    say(f"==> {mode}")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.import_outcomes", "--child", mode, "--csv", str(csv_path),
         "--providers", str(providers)],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, check=True,
    )
    result = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    say(f"    {result}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--providers", type=int, default=PROVIDERS)
    parser.add_argument("--database-url", default="", help="an empty throw-away PostgreSQL database (default SQLite)")
    parser.add_argument("--no-save", action="store_true", help="print only; do not append to bench/RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        os.environ.setdefault("PICCOLO_CONF", "marketplace.piccolo_conf")
        result = asyncio.run(_child(args.child, args.csv, args.providers))
        print(json.dumps(result, default=str))
        return

    with tempfile.TemporaryDirectory(prefix="marketplace-bench-import-") as tmp:
        tmp_dir = Path(tmp)
        csv_path = tmp_dir / "outcomes.csv"
        t0 = time.perf_counter()
        write_csv(csv_path, args.rows, provider_cvrs(args.providers))
        size_mb = csv_path.stat().st_size / 1e6
        say(f"==> {args.rows:,} rows, {size_mb:.1f} MB written in {time.perf_counter() - t0:.1f} s")

        def env_for(name: str) -> dict[str, str]:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETPLACE_", "MEILI_"))}
            env.update(PICCOLO_CONF="marketplace.piccolo_conf", MARKETPLACE_DATA_DIR=str(tmp_dir / name))
            env["MARKETPLACE_DATABASE_URL"] = args.database_url or f"sqlite:///{tmp_dir / name / 'bench.sqlite3'}"
            return env

        first = _run_child("import", csv_path, args.providers, env_for("a"))
        again = _run_child("reimport", csv_path, args.providers, env_for("a"))
        traced = _run_child("tracemalloc", csv_path, args.providers, env_for("b"))

    database = "PostgreSQL" if args.database_url else "SQLite"
    phases = first["phases"]
    rows = [
        ["import (validate + apply + recompute)", f"{first['seconds']:.1f} s",
         f"{phases['kontrol/validate']:.1f} / {phases['indlæsning/apply']:.1f} / {phases['resultater/results']:.1f} s",
         f"{first['rss']['before']:.0f} → {first['rss']['after apply']:.0f} → {first['rss']['peak']:.0f} MiB"],
        ["re-import, all rows unchanged", f"{again['seconds']:.1f} s",
         f"{again['phases']['kontrol/validate']:.1f} / {again['phases']['indlæsning/apply']:.1f} / – s",
         f"{again['rss']['before']:.0f} → {again['rss']['peak']:.0f} MiB"],
        ["tracemalloc peak of the import itself", f"({traced['seconds_under_tracemalloc']:.1f} s traced)",
         "validate / apply", f"{traced['validate_peak_mib']:.1f} / {traced['apply_peak_mib']:.1f} MiB"],
    ]
    body = "\n\n".join([
        machine_line(f"{database}, {args.rows:,} rows ({size_mb:.0f} MB CSV), {args.providers:,} providers, "
                     f"new/changed/unchanged {first['new']}/{first['changed']}/{first['unchanged']}, "
                     f"re-import {again['new']}/{again['changed']}/{again['unchanged']}"),
        md_table(["run", "wall time", "validate / apply / recompute", "peak RSS (ru_maxrss): start → after apply → end"],
                 rows),
        "Peak RSS includes the interpreter, pandas/statsmodels and, at the end, the recompute's DataFrame of every "
        "stored course; the tracemalloc figures are the Python allocations of pass 1 (dominated by the set of "
        "course ids kept for duplicate detection) and pass 2 (one chunk at a time).",
    ])
    print(body)
    if not args.no_save:
        append_results("Outcome import", body)


if __name__ == "__main__":
    main()
