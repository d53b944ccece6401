"""Lighthouse scores (performance, accessibility, best practices) for the search page and a provider
page of the portal with its demo data, measured by npm `lighthouse` driving the system Chromium.

    python -m bench.lighthouse                 # 3 runs per page and form factor, recorded
    python -m bench.lighthouse --runs 1 --no-record

The portal is started the way a newcomer starts it (`marketplace run`: migrations, demo data, its
own Meilisearch) in a throw-away data folder on a free port, in a process group of its own that is
stopped afterwards. Each page is measured with Lighthouse's default mobile profile (simulated slow
4G and 4× CPU slowdown) and with `--preset=desktop`; the table shows the median of the runs per
category. Target: ≥ 95 in each category on both pages. The mobile performance score depends on the
machine's load (the CPU slowdown is applied on top of whatever the machine is doing): the load
average is recorded with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import PROJECT_DIR, append_results, machine_line, md_table, say, stop_group, wait_http_ok

LIGHTHOUSE = PROJECT_DIR / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-background-networking"
CATEGORIES = ("performance", "accessibility", "best-practices")
SEARCH = "/?postcode=8000&target_group=dagpenge"
TARGET = 95
RUN_TIMEOUT = 240  # seconds for one Lighthouse run


def start_demo_portal(tmp: Path) -> tuple[subprocess.Popen, str]:
    """`marketplace run` with its embedded defaults in `tmp` (demo data, own Meilisearch)."""
    from search.server import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MEILI_", "MARKETPLACE_")) and k != "PICCOLO_CONF"}
    env.update(MARKETPLACE_DATA_DIR=str(tmp), MARKETPLACE_DATABASE_URL=f"sqlite:///{tmp / 'demo.sqlite3'}",
               MARKETPLACE_PORT=str(port))
    log = open(tmp / "portal.log", "ab")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "marketplace"), "run"], cwd=PROJECT_DIR, env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    say(f"==> marketplace run (pid {proc.pid}) on {base}, demo data in {tmp}")
    wait_http_ok(f"{base}/health", 300, proc)
    return proc, base


def a_provider_page(base: str) -> str:
    """The first provider of the search (one with a full page: results, reviews)."""
    with urllib.request.urlopen(f"{base}/api/providers{SEARCH[1:]}", timeout=30) as resp:
        hits = json.load(resp)["hits"]
    if not hits:
        raise RuntimeError(f"the demo data has no provider for {SEARCH}")
    return f"/providers/{hits[0]['slug']}"


def lighthouse(url: str, preset: str, out: Path) -> dict[str, Any]:
    """One Lighthouse run; returns the parsed JSON report."""
    cmd = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
           f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
    if preset == "desktop":
        cmd.append("--preset=desktop")
    done = subprocess.run(cmd, env={**os.environ, "CHROME_PATH": CHROME}, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse failed on {url} ({preset}): {done.stderr[-1500:]}")
    return json.loads(out.read_text())


def below_target(report: dict[str, Any]) -> list[str]:
    """The audits that cost points (weighted, score < 1), for the reader of the results."""
    lost = []
    for category in report["categories"].values():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                lost.append(f"{ref['id']} {audit['score']:.2f} {audit.get('displayValue', '')}".strip())
    return lost


def run(runs: int = 3, presets: tuple[str, ...] = ("mobile", "desktop")) -> tuple[str, bool]:
    """Measure; return the Markdown section and whether every median met the target."""
    if not LIGHTHOUSE.exists():
        raise RuntimeError("node_modules/.bin/lighthouse is missing: run `npm ci` (make install does)")
    if not Path(CHROME).exists():
        raise RuntimeError(f"no Chromium at {CHROME}: apt-get install chromium (or set CHROME_PATH)")
    tmp = Path(tempfile.mkdtemp(prefix="marketplace-lighthouse-"))
    proc = None
    rows, notes, ok = [], [], True
    try:
        proc, base = start_demo_portal(tmp)
        head = machine_line(f"{runs} run(s) per page and form factor, median shown")
        pages = {"search page": SEARCH, "provider page": a_provider_page(base)}
        for preset in presets:
            for name, path in pages.items():
                scores: dict[str, list[float]] = {c: [] for c in CATEGORIES}
                lost: set[str] = set()
                for i in range(runs):
                    t0 = time.perf_counter()
                    report = lighthouse(base + path, preset, tmp / f"lh-{preset}-{i}.json")
                    for c in CATEGORIES:
                        scores[c].append(100 * report["categories"][c]["score"])
                    lost.update(below_target(report))
                    say(f"    {preset:7} {name:13} run {i + 1}: "
                        + ", ".join(f"{c} {scores[c][-1]:.0f}" for c in CATEGORIES)
                        + f" ({time.perf_counter() - t0:.0f} s)")
                medians = {c: statistics.median(scores[c]) for c in CATEGORIES}
                ok = ok and all(v >= TARGET for v in medians.values())
                rows.append([preset, f"{name} (`{path}`)", *(f"{medians[c]:.0f}" for c in CATEGORIES),
                             " / ".join(f"{min(scores[c]):.0f}–{max(scores[c]):.0f}" for c in CATEGORIES)])
                if lost:
                    notes.append(f"- {preset}, {name}: " + "; ".join(sorted(lost)))
    finally:
        if proc is not None:
            stop_group(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    body = (f"{head}\n\nLighthouse {lighthouse_version()} on {CHROME} ({CHROME_FLAGS}); the portal with its demo "
            f"data (`marketplace run`). Target ≥ {TARGET} in every category.\n\n"
            + md_table(["form factor", "page", "performance", "accessibility", "best practices",
                        "range over runs (perf / a11y / bp)"], rows)
            + ("\n\nAudits that cost points in some run:\n" + "\n".join(notes) if notes else "")
            + f"\n\nAll medians ≥ {TARGET}: {'yes' if ok else 'NO'}.")
    return body, ok


def lighthouse_version() -> str:
    try:
        return json.loads((PROJECT_DIR / "node_modules" / "lighthouse" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per page and form factor (median shown)")
    ap.add_argument("--preset", choices=["mobile", "desktop"], nargs="+", default=["mobile", "desktop"])
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    body, ok = run(args.runs, tuple(args.preset))
    print(body)
    if not args.no_record:
        append_results("Lighthouse", body)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
