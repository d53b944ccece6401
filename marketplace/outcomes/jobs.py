"""Outcome imports started from the authority's upload page.

    job = await save_upload(upload)          # the uploaded file, copied to <data dir>/imports/
    state = await run(job, by=user)          # small files: import now, return the final state
    start(job, by=user)                      # big files: import in a background asyncio task
    read_state(job_id)                       # what the progress page shows

A job's state is a small JSON file beside the uploaded CSV, written as the import progresses, so
every worker process of the portal can show the progress page, whichever process runs the import.
The uploaded file is deleted when the import ends. A portal stopped mid-import rolls the import's
transaction back (nothing applied); its state then stops changing and the page says so after
`STALE_AFTER` without news.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketplace.outcomes.importer import OutcomeFileRejected, ResultsNotRecomputed, import_outcomes
from marketplace.settings import get_settings

if TYPE_CHECKING:
    from litestar.datastructures import UploadFile

    from marketplace.accounts.tables import User

log = logging.getLogger("marketplace.outcomes")

BACKGROUND_BYTES = 1_000_000
"""Uploads larger than this (about 12,000 rows) are imported in the background with a progress page."""
MAX_UPLOAD_BYTES = 300_000_000
"""The largest upload accepted (a 500,000-row file is about 40 MB)."""
STALE_AFTER = 600.0
"""Seconds without progress after which a running job is reported as interrupted."""
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_WRITE_EVERY = 0.5
_COPY_CHUNK = 1 << 20

_tasks: dict[str, asyncio.Task[JobState]] = {}  # running background jobs of this process


@dataclass
class Job:
    id: str
    filename: str
    path: Path
    size: int


@dataclass
class JobState:
    """What the progress page shows. `status`: running, applied, rejected, results_failed (applied,
    but the recompute failed), failed (nothing applied) or interrupted."""

    id: str
    filename: str
    size: int
    status: str = "running"
    phase: str = ""
    done: int = 0
    total: int = 0
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    summary: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0

    @property
    def finished(self) -> bool:
        return self.status != "running"

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0


def imports_dir() -> Path:
    path = get_settings().data_dir / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _state_path(job_id: str) -> Path:
    return imports_dir() / f"{job_id}.json"


def _write_state(state: JobState) -> None:
    """Write atomically (a reader never sees half a file)."""
    state.updated_at = time.time()
    target = _state_path(state.id)
    temporary = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(asdict(state), default=str), encoding="utf-8")
    os.replace(temporary, target)


def read_state(job_id: str) -> JobState | None:
    """The job's state, or None for an unknown (or malformed) id."""
    if not _JOB_ID.fullmatch(job_id):
        return None
    try:
        data = json.loads(_state_path(job_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    state = JobState(**data)
    if state.status == "running" and job_id not in _tasks and time.time() - state.updated_at > STALE_AFTER:
        state.status = "interrupted"
    return state


async def save_upload(upload: UploadFile) -> Job:
    """Copy an uploaded file (Litestar keeps it in a spooled temporary file) to the imports folder."""
    job_id = secrets.token_urlsafe(16)
    path = imports_dir() / f"{job_id}.csv"
    size = 0
    with open(path, "wb") as out:
        while chunk := await upload.read(_COPY_CHUNK):
            out.write(chunk)
            size += len(chunk)
    await upload.close()
    filename = os.path.basename((upload.filename or "upload.csv").replace("\\", "/"))[:255] or "upload.csv"
    return Job(job_id, filename, path, size)


async def run(job: Job, *, by: User | None) -> JobState:
    """Import the job's file now; the final state (applied, rejected or failed)."""
    state = JobState(job.id, job.filename, job.size)
    lock = threading.Lock()
    last_write = [0.0]
    _write_state(state)

    def progress(phase: str, done: int, total: int) -> None:  # called from the event loop and a thread
        with lock:
            state.phase, state.done, state.total = phase, done, total
            now = time.monotonic()
            if now - last_write[0] >= _WRITE_EVERY or done >= total:
                last_write[0] = now
                _write_state(state)

    try:
        summary = await import_outcomes(job.path, filename=job.filename, by=by, progress=progress)
        state.status, state.summary = "applied", asdict(summary)
    except OutcomeFileRejected as exc:
        state.status = "rejected"
        state.errors = [asdict(e) for e in exc.report.errors]
        state.error_count = exc.report.error_count
    except ResultsNotRecomputed as exc:
        log.exception("outcome import %s: applied, but the results were not recomputed", job.id)
        state.status, state.summary = "results_failed", asdict(exc.summary)
    except Exception:
        log.exception("outcome import %s failed", job.id)
        state.status = "failed"
    finally:
        job.path.unlink(missing_ok=True)
    with lock:
        _write_state(state)
    return state


def start(job: Job, *, by: User | None) -> None:
    """Run the import in a background task of this process; its state file shows the progress."""
    _write_state(JobState(job.id, job.filename, job.size))
    task = asyncio.create_task(run(job, by=by), name=f"outcome-import-{job.id}")
    _tasks[job.id] = task
    task.add_done_callback(lambda _: _tasks.pop(job.id, None))


async def wait(job_id: str) -> JobState | None:
    """Wait for a background job of this process to end (tests; shutdown); its final state."""
    task = _tasks.get(job_id)
    if task is not None:
        await asyncio.wait([task])
    return read_state(job_id)


__all__ = ["BACKGROUND_BYTES", "MAX_UPLOAD_BYTES", "Job", "JobState", "read_state", "run", "save_upload", "start",
           "wait"]
