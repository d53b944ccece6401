"""Use cases for outcomes: recompute every provider's results from the stored courses, and read
them back for pages, open data and the authority.

Results are written as new ProviderResult rows (the history per import is kept) with one
NationalResult row (the national levels they are set against) and reach the search index through
the outbox, in the same transaction.

    recompute_results(import_batch)      all providers' numbers from all stored courses
    latest_results(provider_id)          a provider's newest ProviderResult row (JSON loaded)
    latest_national()                    the newest national levels
    choose_people_like_me(row, tg, age)  the most specific shown numbers for a citizen
    chart_rows(latest, national, listed) the lines of a provider's results chart
    flagged_providers()                  providers clearly below expected (result requirement)
    recent_imports()                     the newest applied imports
    iter_ratings_history()               every provider's results per import, for open data
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, AsyncIterator

import numpy as np
import pandas as pd
from litestar.concurrency import sync_to_thread
from piccolo.query.functions.aggregate import Max

from marketplace.db import write_transaction
from marketplace.outcomes import stats
from marketplace.outcomes.stats import METHOD_VERSION, MIN_COURSES, ExpectedModel, ResultsReport, compute_results_frame
from marketplace.outcomes.tables import NationalResult, Outcome, OutcomeImport, ProviderResult
from marketplace.providers.tables import Provider
from marketplace.reference import TARGET_GROUPS
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


def model_summary(model: ExpectedModel) -> dict[str, Any]:
    """What the methods page and open data may say about the fitted model (JSON-ready)."""
    return {
        "intercept": round(model.intercept, 6),
        "coefficients": {f: {k: round(v, 6) for k, v in levels.items()} for f, levels in model.coefficients.items()},
        "reference": model.reference,
        "pooled_municipalities": sorted(model.pooled_municipalities),
        "national_rate": round(model.national_rate, 6),
        "courses": model.n_courses,
        "cells": model.n_cells,
        "penalty": model.penalty,
    }


def national_row(report: ResultsReport, import_batch: int | None) -> NationalResult:
    """The national levels of a report as a NationalResult row."""
    return NationalResult(
        import_batch=import_batch, method_version=report.method_version, results=report.national.to_dict(),
        results_by_target_group={tg: s.to_dict() for tg, s in sorted(report.national_by_target_group.items())},
        model=model_summary(report.model),
    )


async def recompute_results(import_batch: int | None = None) -> ResultsReport | None:
    """Recompute every provider's numbers from all stored courses; None when there are none."""
    frame = await load_outcome_frame()
    if frame.empty:
        return None
    report = await sync_to_thread(compute_results_frame, frame)
    del frame
    rows = result_rows(report, import_batch)
    async with write_transaction():
        for start in range(0, len(rows), 200):
            await ProviderResult.insert(*rows[start : start + 200])
        await NationalResult.insert(national_row(report, import_batch))
        await outbox.enqueue(list(report.providers), "results")
    return report


# -- reading --------------------------------------------------------------------------------------
async def method_context() -> dict[str, Any]:
    """The numbers the methods page states, taken from the code that uses them, plus the newest
    fitted model's size (None before the first import)."""
    national = await NationalResult.select(NationalResult.model, NationalResult.computed_at).order_by(
        NationalResult.id, ascending=False).first().output(load_json=True)
    return {
        "method": {
            "version": stats.METHOD_VERSION, "date": stats.METHOD_DATE, "min_courses": stats.MIN_COURSES,
            "confidence": stats.CONFIDENCE, "five_star_min": stats.FIVE_STAR_MIN_SCORE,
            "one_star_max": stats.ONE_STAR_MAX_SCORE, "as_expected": stats.AS_EXPECTED_SCORE,
            "months_bands": stats.MONTHS_BANDS, "age_bands": stats.AGE_BANDS, "factors": stats.FACTORS,
            "min_level_courses": stats.MIN_LEVEL_COURSES, "ridge_penalty": stats.RIDGE_PENALTY,
            "prior_sd": stats.RIDGE_PENALTY ** -0.5,
        },
        "model": (national or {}).get("model") or None,
        "model_computed_at": (national or {}).get("computed_at"),
        "examples": {  # worked examples, computed by the same functions the results use
            "wilson": (12, 20, *stats.wilson_interval(12, 20)),
            "score": (30, 25.0, *stats.score_interval(30, 25.0)),
        },
    }


PEOPLE_LIKE_ME_LEVELS = ("target_group_age_band", "target_group", "overall")


async def latest_results(provider_id: int) -> dict[str, Any] | None:
    """A provider's newest ProviderResult row with its JSON loaded, or None."""
    return await (
        ProviderResult.select().where(ProviderResult.provider == provider_id)
        .order_by(ProviderResult.id, ascending=False).first().output(load_json=True)
    )


async def latest_national() -> dict[str, Any] | None:
    """The newest national levels (overall, per target group, model summary), or None."""
    return await NationalResult.select().order_by(NationalResult.id, ascending=False).first().output(load_json=True)


def _shown(numbers: dict[str, Any] | None) -> bool:
    return bool(numbers) and int(numbers.get("courses") or 0) >= MIN_COURSES


def choose_people_like_me(
    row: dict[str, Any] | None, target_group: str | None, age_band: str | None
) -> tuple[dict[str, Any] | None, str]:
    """The most specific numbers with at least MIN_COURSES courses for a citizen: own target group
    and age band, else the target group, else overall. Returns (stats, level), level one of
    PEOPLE_LIKE_ME_LEVELS; stats is None when the provider has no results at all."""
    if not row:
        return None, "overall"
    if target_group and age_band:
        cell = (row.get("people_like_me") or {}).get(f"{target_group}|{age_band}")
        if _shown(cell):
            return cell, "target_group_age_band"
    if target_group:
        group = (row.get("results_by_target_group") or {}).get(target_group)
        if _shown(group):
            return group, "target_group"
    return row.get("results") or None, "overall"


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One line of a provider's results chart: overall (target_group '') or one target group."""

    target_group: str
    stats: dict[str, Any] | None  # the provider's ResultStats dict; None when it has no courses there
    national: dict[str, Any] | None  # the national ResultStats dict for the same group


def chart_rows(latest: dict[str, Any] | None, national: dict[str, Any] | None,
               listed: list[str] = ()) -> list[ChartRow]:  # type: ignore[assignment]
    """Overall first, then every target group with courses or in the listing (catalogue order)."""
    by_group = (latest or {}).get("results_by_target_group") or {}
    national_by_group = (national or {}).get("results_by_target_group") or {}
    rows = [ChartRow("", (latest or {}).get("results") or None, (national or {}).get("results") or None)]
    for slug in TARGET_GROUPS:
        if slug in by_group or slug in listed:
            rows.append(ChartRow(slug, by_group.get(slug), national_by_group.get(slug)))
    return rows


@dataclass(frozen=True, slots=True)
class FlaggedProvider:
    """A provider whose score interval lies wholly below 1 (the result requirement)."""

    provider_id: int
    name: str
    slug: str
    cvr: str
    status: str
    score: float
    score_low: float
    score_high: float
    courses: int
    success_rate: float | None
    method_version: str
    computed_at: datetime.datetime


async def _latest_rows(columns: list[Any]) -> list[dict[str, Any]]:
    """Each provider's newest ProviderResult row (selected columns, JSON loaded)."""
    newest = await ProviderResult.select(ProviderResult.provider, Max(ProviderResult.id, alias="id")).group_by(
        ProviderResult.provider
    )
    ids = [r["id"] for r in newest]
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        rows.extend(await ProviderResult.select(*columns).where(ProviderResult.id.is_in(ids[start : start + 500]))
                    .output(load_json=True))
    return rows


async def flagged_providers() -> list[FlaggedProvider]:
    """Providers whose newest overall score has an upper 95% bound below 1, lowest bound first."""
    rows = await _latest_rows([ProviderResult.provider, ProviderResult.results, ProviderResult.method_version,
                               ProviderResult.computed_at])
    below = {r["provider"]: r for r in rows
             if (r["results"] or {}).get("score_high") is not None and r["results"]["score_high"] < 1.0}
    if not below:
        return []
    providers = {
        p["id"]: p for p in await Provider.select(Provider.id, Provider.name, Provider.slug, Provider.cvr, Provider.status)
        .where(Provider.id.is_in(sorted(below)))
    }
    flagged = [
        FlaggedProvider(
            provider_id=pid, name=providers[pid]["name"], slug=providers[pid]["slug"], cvr=providers[pid]["cvr"],
            status=providers[pid]["status"], score=r["results"]["score"], score_low=r["results"]["score_low"],
            score_high=r["results"]["score_high"], courses=r["results"]["courses"],
            success_rate=r["results"].get("success_rate"), method_version=r["method_version"],
            computed_at=r["computed_at"],
        )
        for pid, r in below.items() if pid in providers
    ]
    return sorted(flagged, key=lambda f: (f.score_high, f.name))


async def recent_imports(limit: int = 20) -> list[dict[str, Any]]:
    """The newest applied imports, newest first (for the authority's upload page)."""
    return await OutcomeImport.select().order_by(OutcomeImport.id, ascending=False).limit(limit)


HISTORY_COLUMNS = [
    "import_id", "imported_at", "computed_at", "provider_id", "cvr", "name", "target_group", "courses",
    "success_rate", "success_low", "success_high", "score", "score_low", "score_high", "stars", "method_version",
]


async def iter_ratings_history(batch: int = 500) -> AsyncIterator[list[dict[str, Any]]]:
    """Every ProviderResult row as history lines (overall, then one per target group; target_group
    '' for overall), oldest first, read and yielded in batches of rows."""
    imports = {r["id"]: r["imported_at"] for r in await OutcomeImport.select(OutcomeImport.id, OutcomeImport.imported_at)}
    names: dict[int, tuple[str, str]] = {}
    after = 0
    while True:
        rows = await (
            ProviderResult.select(
                ProviderResult.id, ProviderResult.provider, ProviderResult.import_batch, ProviderResult.method_version,
                ProviderResult.computed_at, ProviderResult.results, ProviderResult.results_by_target_group,
            ).where(ProviderResult.id > after).order_by(ProviderResult.id).limit(batch).output(load_json=True)
        )
        if not rows:
            return
        after = rows[-1]["id"]
        missing = sorted({r["provider"] for r in rows} - names.keys())
        if missing:
            for p in await Provider.select(Provider.id, Provider.cvr, Provider.name).where(Provider.id.is_in(missing)):
                names[p["id"]] = (p["cvr"], p["name"])
        lines: list[dict[str, Any]] = []
        for r in rows:
            cvr, name = names.get(r["provider"], ("", ""))
            base = {
                "import_id": r["import_batch"], "imported_at": imports.get(r["import_batch"]),
                "computed_at": r["computed_at"], "provider_id": r["provider"], "cvr": cvr, "name": name,
                "method_version": r["method_version"],
            }
            groups = [("", r["results"] or {})] + sorted((r["results_by_target_group"] or {}).items())
            for target_group, stats in groups:
                if not stats:
                    continue
                lines.append({**base, "target_group": target_group,
                              **{k: stats.get(k) for k in HISTORY_COLUMNS[7:15]}})
        yield lines


__all__ = [
    "HISTORY_COLUMNS", "METHOD_VERSION", "PEOPLE_LIKE_ME_LEVELS", "ChartRow", "FlaggedProvider", "chart_rows",
    "choose_people_like_me",
    "flagged_providers", "iter_ratings_history", "latest_national", "latest_results", "load_outcome_frame",
    "method_context", "recent_imports", "recompute_results",
]
