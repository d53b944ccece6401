"""Outcome CSV files for tests: one valid course per call, overridable by field, written to disk."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from marketplace.outcomes.importer import HEADER, OPTIONAL_COLUMN

COLUMNS = list(HEADER) + [OPTIONAL_COLUMN]


def course(n: int, cvr: str, **fields: str) -> dict[str, str]:
    """A valid course (job three months after, job start given); say only what the test is about."""
    row = {
        "course_id": f"K-{n:07d}",
        "provider_cvr": cvr,
        "target_group": "dagpenge",
        "municipality": "751",
        "age_band": "30-39",
        "months_on_benefit": "4",
        "start_date": "2025-01-06",
        "end_date": "2025-04-04",
        "status_3m": "job",
        "job_start_date": "2025-03-03",
    }
    unknown = set(fields) - set(row)
    assert not unknown, f"unknown fields {unknown}"
    row.update(fields)
    return row


def write_outcomes(path: Path, courses: Iterable[dict[str, str]], *, job_start_column: bool = True,
                   header: list[str] | None = None) -> Path:
    """Write courses as an outcome CSV (UTF-8, header first); returns the path."""
    columns = header or (COLUMNS if job_start_column else list(HEADER))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in courses:
            writer.writerow([row.get(c, "") for c in (COLUMNS if job_start_column else HEADER)])
    return path


def mixed_courses(cvr: str, n: int, *, start: int = 0, jobs_every: int = 2) -> list[dict[str, str]]:
    """n valid courses at one provider, every `jobs_every`-th without a job."""
    rows = []
    for i in range(start, start + n):
        job = i % jobs_every != 0
        rows.append(course(i, cvr, status_3m="job" if job else "benefit",
                           job_start_date="2025-03-03" if job else "",
                           age_band="50-59" if i % 3 == 0 else "30-39",
                           target_group="sygedagpenge" if i % 4 == 0 else "dagpenge"))
    return rows
