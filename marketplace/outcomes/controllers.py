"""HTTP for outcomes: the national levels and the open-data history of every provider's results
per import (public), and the authority's pages: uploading outcome files and the providers flagged
under the result requirement."""
from __future__ import annotations

import csv
import io
from typing import Any, AsyncIterator

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from marketplace.accounts.guards import requires_authority
from marketplace.accounts.tables import User
from marketplace.errors import NotFound
from marketplace.outcomes import jobs, services
from marketplace.outcomes.importer import HEADER, MAX_LISTED_ERRORS, OPTIONAL_COLUMN
from marketplace.providers.schemas import ResultStats
from marketplace.web.errors import error_responses
from marketplace.web.i18n import lang_of, translate


class NationalOut(msgspec.Struct, kw_only=True):
    """The national levels every provider is set against, from the newest recompute."""

    method_version: str
    computed_at: str
    import_id: int | None
    results: ResultStats
    results_by_target_group: dict[str, ResultStats]


@get("/api/results/national", name="api:results:national", summary="National results (all providers' courses)",
     tags=["Providers / Aktører"], responses=error_responses(404))
async def national_results() -> NationalOut:
    """All courses in the country, overall and per target group, in the same shape as a provider's
    `results`: the levels the provider page's chart compares with. 404 before the first import."""
    row = await services.latest_national()
    if row is None:
        raise NotFound("Der er endnu ingen resultater.", "There are no results yet.")
    return msgspec.convert({
        "method_version": row["method_version"], "computed_at": row["computed_at"].isoformat(),
        "import_id": row["import_batch"], "results": row["results"],
        "results_by_target_group": row["results_by_target_group"],
    }, NationalOut, strict=False)


def _csv_lines(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


async def _history_rows() -> AsyncIterator[str]:
    yield _csv_lines([services.HISTORY_COLUMNS])
    async for lines in services.iter_ratings_history():
        yield _csv_lines([[_cell(line.get(c)) for c in services.HISTORY_COLUMNS] for line in lines])


@get("/api/ratings-history.csv", name="api:ratings-history:csv", media_type="text/csv",
     summary="Open data: every provider's results after each import, as CSV", tags=["Providers / Aktører"])
async def ratings_history_csv() -> Stream:
    """One row per provider, import and target group ('' = all target groups), oldest first: courses,
    success rate with its 95% Wilson interval, score with its 95% interval, stars and method version.
    Numbers are empty where there were too few courses (UTF-8, comma separated)."""
    return Stream(
        _history_rows(), media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="resultathistorik.csv"'},
    )


# -- the authority: upload outcome files, see providers flagged under the result requirement --------
class AuthorityOutcomesController(Controller):
    """/authority/outcomes (upload, progress) and /authority/results (the result requirement)."""

    path = "/authority"
    guards = [requires_authority]
    include_in_schema = False

    @get("/outcomes", name="authority:outcomes")
    async def upload_form(self) -> Template:
        """The upload form and the newest imports."""
        return await _upload_page()

    @post("/outcomes", name="authority:outcomes_upload", request_max_body_size=jobs.MAX_UPLOAD_BYTES)
    async def upload(self, request: Request[Any, Any, Any], current_user: NamedDependency[User]) -> Template | Redirect:
        """Small files are imported at once (report or summary); big ones in the background with a
        progress page (303 to it)."""
        form = await request.form()
        upload = form.get("file")
        lang = lang_of(request)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await _upload_page(error=translate("outcomes.file_missing", lang), status=400)
        job = await jobs.save_upload(upload)
        if job.size == 0:
            job.path.unlink(missing_ok=True)
            return await _upload_page(error=translate("outcomes.file_empty", lang), status=400)
        if job.size > jobs.BACKGROUND_BYTES:
            jobs.start(job, by=current_user)
            return Redirect(f"/authority/outcomes/jobs/{job.id}", status_code=303)
        state = await jobs.run(job, by=current_user)
        return _job_page(state)

    @get("/outcomes/jobs/{job_id:str}", name="authority:outcomes_job")
    async def job(self, job_id: FromPath[str]) -> Template:
        """An import's progress (the page refreshes itself while it runs), then its report or summary."""
        state = jobs.read_state(job_id)
        if state is None:
            raise NotFound("Ukendt indlæsning.", "Unknown import.")
        return _job_page(state)

    @get("/results", name="authority:results")
    async def flagged(self) -> Template:
        """Providers whose score is clearly below expected (upper 95% bound below 1)."""
        return Template("pages/authority_results.html", context={"flagged": await services.flagged_providers()})


async def _upload_page(error: str | None = None, status: int = 200) -> Template:
    return Template("pages/authority_outcomes.html", status_code=status, context={
        "error": error, "errors": [("file", error)] if error else [], "imports": await services.recent_imports(),
        "header": ",".join(HEADER), "optional": OPTIONAL_COLUMN, "max_mb": jobs.MAX_UPLOAD_BYTES // 1_000_000,
    })


REFRESH_SECONDS = 2


def _job_page(state: jobs.JobState) -> Template:
    status = 400 if state.status == "rejected" else 500 if state.status in ("failed", "results_failed") else 200
    headers = {"Refresh": str(REFRESH_SECONDS)} if not state.finished else {}
    return Template("pages/authority_outcome_job.html", status_code=status, headers=headers, context={
        "job": state, "refresh": REFRESH_SECONDS if not state.finished else None, "max_errors": MAX_LISTED_ERRORS,
    })
