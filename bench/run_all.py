"""Run every benchmark and append the figures to bench/RESULTS.md (`make bench`).

    python -m bench.run_all            # full: 10,000 providers (speed, load, profile), 100,000 (rebuild)
    python -m bench.run_all --quick    # smoke: 1,000 and 2,000 providers, short runs

Search speed, load, profile and the API probe (schemathesis) share one environment (data set,
Meilisearch); the rebuild benchmark builds its own, larger one; the index-settings, outcome-import,
Lighthouse and fault benchmarks each their own. The index-settings and outcome-import benchmarks
append their own sections (in the order they finish), the others are appended at the end. A benchmark that fails is reported and the others still run;
the exit status is 1 when any failed (2 when wrk is missing and the load benchmark was skipped).
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback

from bench.common import BenchEnv, append_results, machine_line, say
from bench.data import SEED


ALL = ["search_speed", "load", "profile", "probe_api", "reindex", "index_settings", "document_shape",
       "import_outcomes", "lighthouse", "faults"]


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke sizes and durations")
    ap.add_argument("--only", nargs="+", choices=ALL)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args()
    quick = args.quick
    only = set(args.only or ALL)
    label = " (SMOKE, --quick)" if quick else ""
    status = 0
    sections: list[tuple[str, str]] = []
    t0 = time.perf_counter()

    def attempt(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        nonlocal status
        try:
            fn()
        except Exception:
            status = 1
            say(f"!! {name} failed:\n{traceback.format_exc()}")
            sections.append((f"{name}{label}: FAILED", f"```\n{traceback.format_exc()[-2000:]}\n```"))

    small = {"search_speed", "load", "profile", "probe_api"} & only
    if small:
        from bench import load, probe_api, profile, search_speed

        n = 1_000 if quick else 10_000
        wrk_bin = load.ensure_wrk(install=False) if "load" in small else None
        with BenchEnv(providers=n, seed=args.seed) as env:
            head = machine_line(f"{n:,} providers ({env.engine().document_count():,} public)")
            if "search_speed" in small:
                attempt("Search speed", lambda: sections.append(
                    (f"Search speed{label}", f"{head}\n\n{search_speed.run(env, 20 if quick else 200, 3 if quick else 10)}")))
            if "load" in small:
                if wrk_bin is None:
                    say("wrk is missing: `sudo apt-get install -y wrk` (the load benchmark is skipped)")
                    sections.append((f"Load{label}: SKIPPED", "wrk is missing: `apt-get install -y wrk`."))
                    status = status or 2
                else:
                    attempt("Load", lambda: sections.append(
                        (f"Load{label}", f"{head}\n\n{load.run(env, wrk_bin, 3 if quick else 10, 1 if quick else 2)}")))
            if "profile" in small:
                attempt("Profile", lambda: sections.append(
                    (f"Profile of the portal's own time per search{label}",
                     f"{head}\n\n{profile.run(env, 10 if quick else 50, 5 if quick else 20)}")))
            if "probe_api" in small:
                def do_probe() -> None:
                    body = probe_api.run(env, 100 if quick else 1_000)
                    sections.append((f"API probe (schemathesis){label}", f"{head}\n\n{body}"))
                    if "failures: 0" not in body:
                        raise AssertionError("the API probe found failures (see the section above)")

                attempt("API probe", do_probe)

    if "reindex" in only:
        from bench import reindex

        n = 2_000 if quick else 100_000

        def do_reindex() -> None:
            with BenchEnv(providers=n, seed=args.seed) as env:
                head = machine_line(f"{n:,} providers; data generated and loaded in {env.data_seconds:.0f} s")
                sections.append((f"Rebuild and freshness{label}", f"{head}\n\n{reindex.run(env, 10 if quick else 50, args.seed)}"))

        attempt("Rebuild and freshness", do_reindex)

    if "index_settings" in only:  # Meilisearch alone, one fresh server per settings variant
        from bench import index_settings

        attempt("Index settings", lambda: index_settings.main(
            ["--providers", "2000" if quick else "100000", "--updates", "5" if quick else "20"]
            + (["--no-record"] if args.no_record else [])))

    if "document_shape" in only:  # Meilisearch alone: the shipped document shape against the nested one
        from bench import document_shape

        attempt("Document shape", lambda: document_shape.main(
            ["--providers", "2000" if quick else "10000", "--rounds", "5" if quick else "60"]
            + (["--no-record"] if args.no_record else [])))

    if "import_outcomes" in only:  # its own SQLite database and CSV; records its own section
        from bench import import_outcomes

        attempt("Outcome import", lambda: import_outcomes.main(
            (["--rows", "20000", "--providers", "200"] if quick else []) + (["--no-save"] if args.no_record else [])))

    if "lighthouse" in only:  # its own portal (`marketplace run`, demo data); scores, not timings
        from bench import lighthouse

        attempt("Lighthouse", lambda: sections.append(
            (f"Lighthouse{label}", lighthouse.run(1 if quick else 3)[0])))

    if "faults" in only:  # its own small environment: its Meilisearch is SIGKILLed 20 times
        from bench import faults

        def do_faults() -> None:
            with BenchEnv(providers=faults.PROVIDERS, seed=args.seed) as env:
                head = machine_line(f"SQLite, {faults.PROVIDERS} background providers")
                sections.append((f"Faults{label}", f"{head}\n\n{faults.run(env, quick)}"))

        attempt("Faults", do_faults)

    if not args.no_record:
        for title, body in sections:
            append_results(title, body)
    say(f"==> all benchmarks done in {time.perf_counter() - t0:.0f} s (status {status})")
    sys.exit(status)


if __name__ == "__main__":
    main()
