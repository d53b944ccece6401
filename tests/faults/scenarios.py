"""The fault scenarios, shared by the tests in this package and by bench/faults.py (which runs them
at full count and records the figures). Each returns its figures as a dict; the callers assert.

    figures = await concurrent_writer_processes(processes=5, writers=20, edits=3)
    figures = await meilisearch_kills(server, engine, kills=20)
    figures = import_killed_at(phase, csv_path)            # see test_import_kill.py
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from marketplace.audit.tables import AuditEntry
from marketplace.enrolments.tables import Enrolment
from marketplace.providers.tables import ListingRevision
from marketplace.reviews.tables import Review
from marketplace.settings import PROJECT_DIR

from tests.faults import operations as ops

WRITER_TIMEOUT = 180.0


# -- concurrent writers in several OS processes --------------------------------------------------------
async def _writer_jobs(provider_id: int, draft_provider_id: int, slug: str, writers: int, edits: int) -> list[dict]:
    """One task of each kind per writer: capacity edits on one shared provider, a review and a choice
    by the writer's own citizens, and a draft save from the same base as every other writer."""
    base = await ops.public_revision(draft_provider_id)
    tasks = []
    for k in range(writers):
        member = await ops.make_user("provider", provider_id=provider_id)
        drafter = await ops.make_user("provider", provider_id=draft_provider_id)
        reviewer = await ops.make_user("citizen")
        reference = await ops.started_enrolment(reviewer, provider_id)
        chooser = await ops.make_user("citizen")
        tasks += [
            {"kind": "capacity", "member": member.id, "edits": edits, "seed": k + 1},
            {"kind": "review", "citizen": reviewer.id, "reference": reference, "seed": k},
            {"kind": "choose", "citizen": chooser.id, "slug": slug},
            {"kind": "draft", "member": drafter.id, "base": base["id"], "version": base["version"], "seed": k},
        ]
    return tasks


def run_writer_processes(jobs: list[dict], timeout: float = WRITER_TIMEOUT) -> tuple[list[dict], float]:
    """Start one `tests.faults.writer` process per job, let them all go at once, collect their
    results. Returns (results, seconds from "go" to the last result). Stops exactly what it started."""
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.faults.writer", json.dumps(job)], cwd=PROJECT_DIR,
                         env=dict(os.environ), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for job in jobs
    ]
    try:
        for proc in procs:  # each prints "ready" once its database is open (a blocking read, no polling)
            line = proc.stdout.readline()
            if line.strip() != "ready":
                raise AssertionError(f"writer {proc.pid} did not start: {line!r} (exit {proc.poll()})")
        t0 = time.perf_counter()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, _ = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, f"writer {proc.pid} exited with {proc.returncode}"
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results, time.perf_counter() - t0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def concurrent_writer_processes(*, processes: int, writers: int, edits: int) -> dict[str, Any]:
    """`writers` writers spread over `processes` OS processes (tasks within each), all at once, on
    the database the environment names. Returns the figures and what the database holds."""
    from factories import make_provider

    shared = await make_provider()
    drafts = await make_provider()
    capacity_before = await ops.public_revision(shared["id"])
    tasks = await _writer_jobs(shared["id"], drafts["id"], shared["slug"], writers, edits)
    writer_tasks = [tasks[i : i + 4] for i in range(0, len(tasks), 4)]  # the 4 tasks of one writer stay together
    jobs = [{"tasks": [t for w in writer_tasks[p::processes] for t in w]} for p in range(processes)]
    results, seconds = await asyncio.to_thread(run_writer_processes, jobs)

    accepted, conflicts, faults = Counter(), Counter(), []
    for r in results:
        accepted.update(r["accepted"])
        conflicts.update(r["conflicts"])
        faults += r["faults"]
    capacity_after = await ops.public_revision(shared["id"])
    return {
        "processes": processes, "writers": writers, "seconds": seconds,
        "accepted": dict(accepted), "conflicts": dict(conflicts), "faults": faults,
        "locked": sum("database is locked" in f for f in faults),
        "stored": {
            "capacity_versions": capacity_after["version"] - capacity_before["version"],
            "capacity_audits": await AuditEntry.count().where(AuditEntry.action == "listing.capacity_contact",
                                                              AuditEntry.object_id == str(capacity_after["id"])),
            "reviews": await Review.count().where(Review.provider == shared["id"]),
            "choices": await Enrolment.count().where(Enrolment.provider == shared["id"], Enrolment.status == "chosen"),
            "drafts": await ListingRevision.count().where(ListingRevision.provider == drafts["id"],
                                                          ListingRevision.status == "draft"),
        },
    }


def lost_writes(figures: dict[str, Any]) -> int:
    """Accepted writes the database does not hold (0 when nothing was lost)."""
    a, s = figures["accepted"], figures["stored"]
    return (abs(a.get("capacity", 0) - s["capacity_versions"]) + abs(a.get("capacity", 0) - s["capacity_audits"])
            + abs(a.get("review", 0) - s["reviews"]) + abs(a.get("choose", 0) - s["choices"])
            + abs(a.get("draft", 0) - s["drafts"]))


# -- Meilisearch killed during writes ------------------------------------------------------------------
async def _writes_forever(members: list[Any], authority: Any, citizens: list[tuple[Any, str]],
                          toggled: list[int], stop: asyncio.Event, done: list[int], wrote: asyncio.Event) -> None:
    """Real writes through the use cases until `stop`: capacity edits, approved new descriptions,
    reviews, suspensions and reinstatements (documents leave the index and come back)."""
    n = 0
    while not stop.is_set():
        member = members[n % len(members)]
        kind = n % 4
        if kind == 0:
            await ops.edit_capacity_until_accepted(member, n)
        elif kind == 1:
            await ops.approve_new_description(member, authority, n)
        elif kind == 2 and citizens:
            citizen, reference = citizens.pop()
            await ops.write_review(citizen, reference, n)
        else:
            await ops.toggle_suspension(authority, toggled[n % len(toggled)], n)
        n += 1
        done[0] = n
        wrote.set()  # each write's own database awaits let the worker and the killer run


async def index_matches_database(engine: Any) -> tuple[bool, dict[str, list[int]]]:
    """Hash every indexed document and every document built from the database; compare."""
    indexed = ops.hashes(await asyncio.to_thread(ops.indexed_documents, engine))
    expected = ops.hashes(await ops.expected_documents())
    diff = ops.differences(indexed, expected)
    return not any(diff.values()), diff


async def meilisearch_kills(server: Any, engine: Any, *, kills: int = 20, providers: int = 8,
                            converge_timeout: float = 60.0, seed: int = 5) -> dict[str, Any]:
    """A real Meilisearch (`server`, a search.server.MeiliServer) SIGKILLed and restarted on its own
    data `kills` times while writes go on and the outbox worker delivers; then the time until the
    index equals the database (ids and content hashes of every public provider's document)."""
    from factories import make_provider

    from search import outbox, sync

    rng = random.Random(seed)
    rows = [await make_provider(name=f"Robust aktør {i}") for i in range(providers)]
    members = [await ops.make_user("provider", provider_id=r["id"]) for r in rows[: providers // 2]]
    toggled = [r["id"] for r in rows[providers // 2 :]]
    authority = await ops.make_user("authority")
    citizens = []
    for i in range(kills * 4):
        citizen = await ops.make_user("citizen")
        citizens.append((citizen, await ops.started_enrolment(citizen, rows[i % len(rows)]["id"])))

    stop_worker, stop_writes, wrote, delivered = asyncio.Event(), asyncio.Event(), asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(sync.run_worker(engine, stop_worker, poll_seconds=0.05, delivered=delivered))
    done = [0]
    writer = asyncio.create_task(_writes_forever(members, authority, citizens, toggled, stop_writes, done, wrote))

    async def writes(count: int) -> None:
        target = done[0] + count
        while done[0] < target:
            wrote.clear()
            waiter = asyncio.ensure_future(wrote.wait())
            await asyncio.wait([waiter, writer], timeout=60, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if writer.done():
                writer.result()  # a failed write: raise it
                raise AssertionError("the writer stopped")

    down_seconds = 0.0
    try:
        for k in range(kills):
            await writes(2 + rng.randrange(4))  # a few writes between kills, so deliveries are in flight
            server.kill()  # SIGKILL, whatever Meilisearch is doing
            t_down = time.perf_counter()
            await writes(1 + rng.randrange(3))  # writes while it is down: they must wait, not be lost
            server.start()  # the same data directory, port and key; blocks until /health answers
            down_seconds += time.perf_counter() - t_down
        stop_writes.set()
        await writer
        writes = done[0]
        events = await outbox.latest_event_id()
        t0 = time.perf_counter()
        deadline = t0 + converge_timeout
        while True:  # woken by each delivery of the worker; bounded by the deadline
            delivered.clear()
            same, diff = await index_matches_database(engine)
            if (same and await outbox.backlog(engine.target) == 0) or time.perf_counter() > deadline:
                break
            try:
                await asyncio.wait_for(delivered.wait(), timeout=max(deadline - time.perf_counter(), 0.01))
            except asyncio.TimeoutError:
                pass
        converged = time.perf_counter() - t0
    finally:
        stop_writes.set()
        stop_worker.set()
        await asyncio.wait_for(asyncio.gather(worker, writer, return_exceptions=True), timeout=60)
    documents = len(await ops.expected_documents())
    return {
        "kills": kills, "writes": writes, "events": events, "documents": documents,
        "converged": same, "seconds_to_converge": converged, "down_seconds": down_seconds,
        "missing": len(diff["missing"]), "extra": len(diff["extra"]), "changed": len(diff["changed"]),
        "lost": len(diff["missing"]) + len(diff["changed"]) + len(diff["extra"]),
    }

