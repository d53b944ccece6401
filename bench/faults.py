"""Faults at full count, with figures for bench/RESULTS.md (the same scenarios as tests/faults):

    python -m bench.faults                 # SQLite in a temp dir
    python -m bench.faults --database-url postgresql://postgres@127.0.0.1:5432/bench_faults   # an empty database
    python -m bench.faults --quick --no-record

1. Meilisearch SIGKILLed 20 times while writes go on (capacity edits, approvals, reviews,
   suspensions) and the outbox worker delivers: writes and events made, time from the last restart
   until the index equals the database (ids and content hashes of every public document), lost = 0.
2. `marketplace import-outcomes` SIGKILLed during validation, at the start and in the middle of the
   apply and during the recompute, several times each: half-applied = 0, and every re-run applies.
3. 20 writers in 20 OS processes at once (capacity edits with retries on conflict, reviews, choices,
   versioned draft saves from one base): "database is locked" = 0, lost updates = 0.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PROJECT_DIR, BenchEnv, append_results, machine_line, md_table, say

PROVIDERS = 200  # background data: the index and the database hold more than the scenarios' own rows


def _ensure_test_helpers() -> None:
    """The scenarios live in tests/faults and build rows with tests/factories.py."""
    for path in (str(PROJECT_DIR), str(PROJECT_DIR / "tests")):
        if path not in sys.path:
            sys.path.insert(0, path)


async def _kills(env: BenchEnv, kills: int) -> dict[str, Any]:
    from marketplace.db import close_database, open_database
    from tests.faults.scenarios import meilisearch_kills

    await open_database()
    try:
        return await meilisearch_kills(env.meili, env.engine(), kills=kills, converge_timeout=120)
    finally:
        await close_database()


async def _imports(rounds: int, rows: int, tmp: Path) -> dict[str, Any]:
    """Each kill point `rounds` times, each time on a new file; then the re-run."""
    from factories import make_provider

    from marketplace.db import close_database, open_database
    from marketplace.outcomes.importer import PHASE_APPLY, results_behind
    from tests.faults.imports import KILL_POINTS, fingerprint, outcome_file, run_import

    await open_database()
    try:
        cvrs = [(await make_provider())["cvr"] for _ in range(8)]
        figures: dict[str, Any] = {"kills": 0, "landed": {k: 0 for k in KILL_POINTS}, "half_applied": 0,
                                   "reruns_ok": 0, "reruns": 0, "rows": rows, "kill_seconds": []}
        start = 10_000_000
        for r in range(rounds):
            for point in KILL_POINTS:
                path = outcome_file(tmp / f"{point}-{r}.csv", cvrs, rows, start=start, seed=r)
                start += rows
                before = await fingerprint()
                t0 = time.perf_counter()
                run = run_import(path, kill_at=point)
                figures["kill_seconds"].append(time.perf_counter() - t0)
                figures["kills"] += run["killed"]
                after = await fingerprint()
                applied = PHASE_APPLY in run["phases_finished"]
                if point == "recompute":
                    figures["landed"][point] += applied
                    whole = (after["courses"] == before["courses"] + rows
                             and after["provider_results_per_batch"] == before["provider_results_per_batch"]
                             and after["national_results"] == before["national_results"] and await results_behind())
                else:
                    figures["landed"][point] += not applied
                    whole = after == before if not applied else after["courses"] == before["courses"] + rows
                figures["half_applied"] += not whole
                rerun = run_import(path)
                done = await fingerprint()
                figures["reruns"] += 1
                figures["reruns_ok"] += (rerun["returncode"] == 0 and done["courses"] == before["courses"] + rows
                                         and not await results_behind())
        return figures
    finally:
        await close_database()


async def _writers(processes: int, writers: int, edits: int) -> dict[str, Any]:
    from marketplace.db import close_database, open_database
    from tests.faults.scenarios import concurrent_writer_processes, lost_writes

    await open_database()
    try:
        figures = await concurrent_writer_processes(processes=processes, writers=writers, edits=edits)
        figures["lost"] = lost_writes(figures)
        return figures
    finally:
        await close_database()


def run(env: BenchEnv, quick: bool = False) -> str:
    """All three scenarios on `env` (its database and its Meilisearch, which gets killed). Markdown."""
    _ensure_test_helpers()
    kills = asyncio.run(_kills(env, 20))
    say(f"    kills: {kills}")
    with tempfile.TemporaryDirectory(prefix="marketplace-bench-faults-") as tmp:
        imports = asyncio.run(_imports(1 if quick else 3, 6_000 if quick else 20_000, Path(tmp)))
    say(f"    imports: {imports}")
    writers = asyncio.run(_writers(5 if quick else 20, 20, 2 if quick else 5))
    say(f"    writers: { {k: v for k, v in writers.items() if k != 'faults'} }")
    secs = imports.pop("kill_seconds")
    rows = [
        ["Meilisearch SIGKILLed during writes", kills["kills"],
         f"{kills['writes']} writes, {kills['events']} outbox events, {kills['documents']} public documents; "
         f"down {kills['down_seconds']:.1f} s in all",
         f"index = database (ids + SHA-256 of each document) {kills['seconds_to_converge']:.2f} s after the last "
         f"restart", f"lost {kills['lost']} (missing {kills['missing']}, extra {kills['extra']}, "
                     f"changed {kills['changed']})"],
        ["`import-outcomes` SIGKILLed", imports["kills"],
         f"{imports['rows']:,} rows a file; kill landed in its phase: "
         + ", ".join(f"{k} {v}" for k, v in imports["landed"].items())
         + f"; {sum(secs) / max(len(secs), 1):.1f} s a killed run",
         f"re-runs applied cleanly {imports['reruns_ok']}/{imports['reruns']}",
         f"half-applied {imports['half_applied']}"],
        [f"{writers['writers']} writers in {writers['processes']} OS processes", "–",
         f"accepted {writers['accepted']}, conflicts reported {writers['conflicts']} in {writers['seconds']:.1f} s",
         f"stored {writers['stored']}",
         f"\"database is locked\" {writers['locked']}, other errors {len(writers['faults']) - writers['locked']}, "
         f"lost {writers['lost']}"],
    ]
    ok = (kills["lost"] == 0 and kills["converged"] and kills["seconds_to_converge"] <= 60
          and imports["half_applied"] == 0 and imports["reruns_ok"] == imports["reruns"]
          and writers["locked"] == 0 and not writers["faults"] and writers["lost"] == 0)
    verdict = ("**All fault targets met** (lost 0, converged within 60 s, half-applied 0, locked 0)."
               if ok else "**A fault target was missed**: see the row above.")
    return md_table(["scenario", "kills", "load", "recovery", "damage"], rows) + f"\n\n{verdict}\n"


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer import rounds and smaller files")
    ap.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temp dir)")
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args()
    label = " (SMOKE, --quick)" if args.quick else ""
    with BenchEnv(providers=PROVIDERS, seed=5, database_url=args.database_url) as env:
        database = "PostgreSQL" if args.database_url else "SQLite"
        body = f"{machine_line(f'{database}, {PROVIDERS} background providers')}\n\n{run(env, args.quick)}"
    print(body)
    if not args.no_record:
        append_results(f"Faults{label}", body)


if __name__ == "__main__":
    main()
