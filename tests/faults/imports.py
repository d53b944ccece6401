"""The portal's import command killed mid-way: a big outcome file, `marketplace import-outcomes`
as a subprocess, SIGKILL when its progress output says it reached a phase, and a fingerprint of
what the database holds. Shared by test_import_kill.py and bench/faults.py."""
from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from marketplace.audit.tables import AuditEntry
from marketplace.outcomes.importer import PHASE_APPLY, PHASE_RESULTS, PHASE_VALIDATE
from marketplace.outcomes.tables import NationalResult, Outcome, OutcomeImport, ProviderResult
from marketplace.settings import PROJECT_DIR

from tests.outcomes.outcome_files import course, write_outcomes

# where to kill: at the first progress line of a phase, or (MIDDLE) at its first line that reports
# rows done but not all of them (`marketplace import-outcomes` prints one at each tenth when its
# output is not a terminal), so the kill lands inside the phase without timing anything
MIDDLE = "middle"
KILL_POINTS: dict[str, tuple[str, str]] = {
    "validate": (PHASE_VALIDATE, "start"),
    "apply-start": (PHASE_APPLY, "start"),
    "apply-middle": (PHASE_APPLY, MIDDLE),
    "recompute": (PHASE_RESULTS, "start"),
}
PROGRESS = re.compile(r"^\s*(?P<phase>\S+): (?P<done>\d+)/(?P<total>\d+) ")
MUNICIPALITIES = ("101", "147", "751", "461", "851", "561")
AGE_BANDS = ("16-24", "25-29", "30-39", "40-49", "50-59", "60+")
TARGET_GROUPS = ("dagpenge", "sygedagpenge", "kontanthjaelp-jobparat")


def outcome_file(path: Path, cvrs: list[str], rows: int, *, start: int = 0, seed: int = 1) -> Path:
    """`rows` valid courses spread over the providers, municipalities, age bands and target groups
    (enough variety for the expected-success model)."""
    rng = random.Random(seed)
    courses = []
    for i in range(start, start + rows):
        job = rng.random() < 0.45
        courses.append(course(i, cvrs[i % len(cvrs)], municipality=MUNICIPALITIES[i % len(MUNICIPALITIES)],
                              age_band=AGE_BANDS[rng.randrange(len(AGE_BANDS))],
                              target_group=TARGET_GROUPS[rng.randrange(len(TARGET_GROUPS))],
                              months_on_benefit=str(1 + rng.randrange(36)),
                              status_3m="job" if job else rng.choice(("benefit", "education", "other")),
                              job_start_date="2025-03-03" if job else ""))
    return write_outcomes(path, courses)


def run_import(path: Path, *, kill_at: str | None = None, timeout: float = 300) -> dict[str, Any]:
    """`marketplace import-outcomes FILE` in a subprocess; with `kill_at` (a KILL_POINTS key) SIGKILL
    it there. Returns {"killed", "returncode", "phases_finished", "output"}."""
    proc = subprocess.Popen([sys.executable, "-m", "marketplace.cli", "import-outcomes", str(path)], cwd=PROJECT_DIR,
                            env=dict(os.environ), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines: list[str] = []
    killed = False
    try:
        if kill_at is not None:
            phase, where = KILL_POINTS[kill_at]
            assert proc.stderr is not None
            for line in proc.stderr:  # progress lines as they are printed (blocking reads, no polling)
                lines.append(line)
                seen = PROGRESS.match(line)
                if seen is None or seen["phase"] != phase:
                    continue
                done, total = int(seen["done"]), int(seen["total"])
                if (done == 0) if where != MIDDLE else (0 < done < total):
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(lines) + err + out
    finished = [p for p in (PHASE_VALIDATE, PHASE_APPLY, PHASE_RESULTS)
                if any(line.strip().startswith(f"{p}:") and "(100 %)" in line for line in output.splitlines())]
    return {"killed": killed, "returncode": proc.returncode, "phases_finished": finished, "output": output}


_STORED = ("provider", "target_group", "municipality", "age_band", "months_on_benefit", "start_date", "end_date",
           "status_3m", "job_start_date")


def _value(value: Any) -> str:
    return "" if value is None else str(value)[:10]


def csv_courses(paths: list[Path], provider_ids: dict[str, int]) -> dict[str, tuple[str, ...]]:
    """What the database must hold after importing these files in order (a later file's course
    replaces an earlier one's), in the shape of `stored_courses`."""
    import csv

    courses: dict[str, tuple[str, ...]] = {}
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                row["provider"] = str(provider_ids[row["provider_cvr"]])
                courses[row["course_id"]] = tuple(_value(row[c] or None) for c in _STORED)
    return courses


async def stored_courses() -> dict[str, tuple[str, ...]]:
    rows = await Outcome.select(Outcome.course_id, *[getattr(Outcome, c) for c in _STORED])
    return {r["course_id"]: tuple(_value(r[c]) for c in _STORED) for r in rows}


async def fingerprint() -> dict[str, Any]:
    """What an import writes, summarised: the courses (count and a hash of every stored value), the
    import records, their audit entries, and the computed results per import batch."""
    rows = await Outcome.select(
        Outcome.course_id, Outcome.provider, Outcome.target_group, Outcome.municipality, Outcome.age_band,
        Outcome.months_on_benefit, Outcome.start_date, Outcome.end_date, Outcome.status_3m, Outcome.job_start_date,
    ).order_by(Outcome.course_id)
    digest = hashlib.sha256()
    for r in rows:
        digest.update(("|".join(str(v)[:10] if "date" in k else str(v) for k, v in r.items()) + "\n").encode())
    results = {}
    for r in await ProviderResult.select(ProviderResult.import_batch):
        results[r["import_batch"]] = results.get(r["import_batch"], 0) + 1
    return {
        "courses": len(rows), "courses_sha256": digest.hexdigest(),
        "imports": await OutcomeImport.count(),
        "import_audits": await AuditEntry.count().where(AuditEntry.action == "outcomes.import"),
        "provider_results_per_batch": results,
        "national_results": await NationalResult.count(),
    }
