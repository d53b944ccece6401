"""One writer process for the concurrent-writer fault tests and bench/faults.py.

    python -m tests.faults.writer '<job as JSON>'

It opens the database named by the environment (MARKETPLACE_DATABASE_URL / MARKETPLACE_DATA_DIR,
as the portal's workers do), prints `ready`, waits for a line on standard input (so that every
process starts writing at the same moment), runs its writers as concurrent tasks and prints one
JSON line: accepted and conflicting writes per kind, and every other failure as text.

The job: {"tasks": [{"kind": "capacity", "member": id, "edits": n, "seed": k} |
                    {"kind": "review", "citizen": id, "reference": "…", "seed": k} |
                    {"kind": "choose", "citizen": id, "slug": "…"} |
                    {"kind": "draft", "member": id, "base": id, "version": v, "seed": k}, …]}
"""
from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any


async def _run_task(task: dict[str, Any], result: dict[str, Any]) -> None:
    from marketplace.errors import Conflict
    from marketplace.providers import listing

    from tests.faults import operations as ops

    kind = task["kind"]
    try:
        if kind == "capacity":
            member = await ops.load_user(task["member"])
            for i in range(task["edits"]):
                _, conflicts = await ops.edit_capacity_until_accepted(member, task["seed"] * 1000 + i)
                result["accepted"][kind] += 1
                result["conflicts"][kind] += conflicts
            return
        if kind == "review":
            await ops.write_review(await ops.load_user(task["citizen"]), task["reference"], task["seed"])
        elif kind == "choose":
            await ops.choose(await ops.load_user(task["citizen"]), task["slug"])
        elif kind == "draft":
            member = await ops.load_user(task["member"])
            public = await ops.public_revision(int(member.provider))
            content = {k: public[k] for k in listing.CONTENT_COLUMNS}
            content["description"] = f"Kladde fra proces-skribent {task['seed']}, gemt i samme øjeblik som de andre."
            await listing.save_draft(member, content, base_id=task["base"], version=task["version"])
        else:
            raise ValueError(f"unknown task kind {kind!r}")
        result["accepted"][kind] += 1
    except Conflict:
        result["conflicts"][kind] += 1
    except Exception as exc:  # a fault: reported to the parent, which fails the test
        result["faults"].append(f"{kind}: {type(exc).__name__}: {exc}")


async def main(job: dict[str, Any]) -> dict[str, Any]:
    from marketplace.db import close_database, open_database

    result: dict[str, Any] = {"accepted": Counter(), "conflicts": Counter(), "faults": []}
    await open_database()
    try:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await asyncio.gather(*[_run_task(t, result) for t in job["tasks"]])
    finally:
        await close_database()
    return result


if __name__ == "__main__":
    outcome = asyncio.run(main(json.loads(sys.argv[1])))
    print(json.dumps(outcome), flush=True)
