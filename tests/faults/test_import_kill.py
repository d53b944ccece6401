"""The import command killed (SIGKILL) during validation, at the start and in the middle of the
apply, and during the recompute: nothing is ever half applied, the results stay consistent with
the courses, and running the same command again applies the file cleanly."""
from __future__ import annotations

import pytest
from factories import make_provider

from marketplace.outcomes.importer import PHASE_APPLY, PHASE_RESULTS, import_outcomes, results_behind

from .imports import PROGRESS, csv_courses, fingerprint, outcome_file, run_import, stored_courses

pytestmark = pytest.mark.slow

ROWS = 6_000  # big enough that each phase takes a while on this machine, small enough for the suite


async def test_an_import_killed_anywhere_is_all_or_nothing_and_a_rerun_applies_it(tmp_path):
    providers = [await make_provider() for _ in range(8)]
    cvrs = [p["cvr"] for p in providers]
    # what is there before: an earlier import, with its results
    earlier = outcome_file(tmp_path / "earlier.csv", cvrs, 600, seed=1)
    await import_outcomes(earlier, actor_label="test")
    before = await fingerprint()
    assert before["courses"] == 600 and before["national_results"] == 1
    # the new file corrects 300 of those courses and adds the rest
    path = outcome_file(tmp_path / "new.csv", cvrs, ROWS, start=300, seed=2)

    for kill_at in ("validate", "apply-start", "apply-middle"):
        run = run_import(path, kill_at=kill_at)

        assert run["killed"] and run["returncode"] == -9, run["output"][-2000:]
        assert PHASE_APPLY not in run["phases_finished"], f"{kill_at}: the kill came too late to test anything"
        if kill_at == "apply-middle":  # killed after some rows were written in the apply's transaction
            assert any(0 < int(m["done"]) < int(m["total"]) for m in map(PROGRESS.match, run["output"].splitlines())
                       if m and m["phase"] == PHASE_APPLY), run["output"][-2000:]
        assert await fingerprint() == before, kill_at  # not one row, import record, audit entry or result
        assert not await results_behind()

    run = run_import(path, kill_at="recompute")

    assert run["killed"] and run["returncode"] == -9, run["output"][-2000:]
    assert PHASE_APPLY in run["phases_finished"] and PHASE_RESULTS not in run["phases_finished"]
    after_kill = await fingerprint()
    # the courses were committed, with their import record and audit entry, before the recompute …
    assert after_kill["courses"] == 300 + ROWS
    assert (after_kill["imports"], after_kill["import_audits"]) == (before["imports"] + 1, before["import_audits"] + 1)
    # … and the killed recompute left no results at all, only the marker that they are behind
    assert after_kill["provider_results_per_batch"] == before["provider_results_per_batch"]
    assert after_kill["national_results"] == before["national_results"]
    assert await results_behind()

    rerun = run_import(path)

    assert rerun["returncode"] == 0, rerun["output"][-2000:]
    done = await fingerprint()
    assert done["courses"] == 300 + ROWS and done["imports"] == before["imports"] + 2
    assert done["national_results"] == before["national_results"] + 1
    newest_batch = max(b for b in done["provider_results_per_batch"] if b is not None)
    assert done["provider_results_per_batch"][newest_batch] == len(cvrs)  # every provider, recomputed once
    assert not await results_behind()
    # every course is exactly what the two files say, the corrected ones included
    assert await stored_courses() == csv_courses([earlier, path], {p["cvr"]: p["id"] for p in providers})
