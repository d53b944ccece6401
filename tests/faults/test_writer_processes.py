"""20 concurrent writers spread over several OS processes (as several uvicorn workers would be) on
the same database: 0 "database is locked", no lost update, conflicts reported as conflicts."""
from __future__ import annotations

import pytest

from .scenarios import concurrent_writer_processes, lost_writes

pytestmark = pytest.mark.slow

WRITERS = 20


async def test_twenty_writers_in_five_processes_lose_nothing_and_never_see_a_locked_database() -> None:
    figures = await concurrent_writer_processes(processes=5, writers=WRITERS, edits=2)

    assert figures["locked"] == 0
    assert figures["faults"] == []
    accepted, conflicts, stored = figures["accepted"], figures["conflicts"], figures["stored"]
    assert accepted["capacity"] == WRITERS * 2  # each writer retried its conflicts until accepted
    assert accepted["review"] == WRITERS and accepted["choose"] == WRITERS
    assert accepted["draft"] == 1 and conflicts["draft"] == WRITERS - 1  # one base version: one winner
    assert lost_writes(figures) == 0, stored
    assert stored == {"capacity_versions": WRITERS * 2, "capacity_audits": WRITERS * 2, "reviews": WRITERS,
                      "choices": WRITERS, "drafts": 1}
