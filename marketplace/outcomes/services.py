"""Use cases for outcomes: recompute every provider's results from the stored courses.

Results are written as new ProviderResult rows (the history per import is kept) and reach the
search index through the outbox, in the same transaction.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from litestar.concurrency import sync_to_thread

from marketplace.db import write_transaction
from marketplace.outcomes.stats import METHOD_VERSION, ResultsReport, compute_results_frame
from marketplace.outcomes.tables import Outcome, ProviderResult
from search import outbox

READ_CHUNK = 50_000
COLUMNS = ("provider_id", "target_group", "municipality", "age_band", "months_on_benefit", "start_date",
           "end_date", "status_3m", "job_start_date")


async def load_outcome_frame() -> pd.DataFrame:
    """Every stored course as a DataFrame with the columns stats.compute_results_frame expects,
    read in id-ordered chunks so that memory stays bounded by the frame itself."""
    parts: list[pd.DataFrame] = []
    after = 0
    while True:
        rows = await (
            Outcome.select(
                Outcome.id, Outcome.provider.as_alias("provider_id"), Outcome.target_group, Outcome.municipality,
                Outcome.age_band, Outcome.months_on_benefit, Outcome.start_date, Outcome.end_date,
                Outcome.status_3m, Outcome.job_start_date,
            ).where(Outcome.id > after).order_by(Outcome.id).limit(READ_CHUNK)
        )
        if not rows:
            break
        after = rows[-1]["id"]
        chunk = pd.DataFrame.from_records(rows, columns=("id",) + COLUMNS).drop(columns="id")
        for col in ("target_group", "age_band", "status_3m"):
            chunk[col] = chunk[col].astype("category")
        parts.append(chunk)
    if not parts:
        return pd.DataFrame({c: [] for c in COLUMNS})
    frame = pd.concat(parts, ignore_index=True)
    for col in ("start_date", "end_date", "job_start_date"):
        frame[col] = pd.to_datetime(frame[col]).to_numpy(dtype="datetime64[ns]")
    for col in ("target_group", "age_band", "status_3m"):
        frame[col] = frame[col].astype(str)
    frame["provider_id"] = frame["provider_id"].astype(np.int64)
    frame["municipality"] = frame["municipality"].astype(np.int64)
    frame["months_on_benefit"] = frame["months_on_benefit"].astype(np.int64)
    return frame


def result_rows(report: ResultsReport, import_batch: int | None) -> list[ProviderResult]:
    """One ProviderResult row per provider in the report."""
    return [
        ProviderResult(
            provider=pid, import_batch=import_batch, method_version=report.method_version,
            results=r.overall.to_dict(),
            results_by_target_group={tg: s.to_dict() for tg, s in r.by_target_group.items()},
            people_like_me={f"{tg}|{age}": s.to_dict() for (tg, age), s in r.people_like_me.items()},
        )
        for pid, r in sorted(report.providers.items())
    ]


async def recompute_results(import_batch: int | None = None) -> ResultsReport | None:
    """Recompute every provider's numbers from all stored courses; None when there are none."""
    frame = await load_outcome_frame()
    if frame.empty:
        return None
    report = await sync_to_thread(compute_results_frame, frame)
    rows = result_rows(report, import_batch)
    async with write_transaction():
        for start in range(0, len(rows), 200):
            await ProviderResult.insert(*rows[start : start + 200])
        await outbox.enqueue(list(report.providers), "results")
    return report


__all__ = ["METHOD_VERSION", "load_outcome_frame", "recompute_results"]
