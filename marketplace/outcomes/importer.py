"""Import finished courses from the official registers: a UTF-8 CSV, all or nothing.

    report = await validate_outcome_file(path)             # pass 1 only: the error report
    summary = await import_outcomes(path, filename="x.csv") # pass 1, pass 2, recompute
    # raises OutcomeFileRejected(report) when any line is bad; nothing is applied then

The file has the header ``course_id,provider_cvr,target_group,municipality,age_band,
months_on_benefit,start_date,end_date,status_3m`` and optionally a tenth column ``job_start_date``.

* **Pass 1** streams the file line by line and checks every field of every line (the rules are in
  ``_check_row``; a CVR must belong to a provider in the register, whatever its status). It keeps
  only the set of course ids (duplicates within the file are an error; about 90 bytes a row, 44 MiB
  for 500,000 rows), the first ``MAX_LISTED_ERRORS`` errors and a count – never the rows.
* **Pass 2** runs only when pass 1 found nothing. It reads the file again and applies it in one
  write transaction, in chunks of ``CHUNK_ROWS``: rows whose ``course_id`` is new are inserted,
  rows that differ from the stored course replace it (a correction), identical rows are skipped.
  The file's SHA-256 is compared with pass 1's before the commit, so a file that changed between
  the passes is rolled back, never half applied. An ``OutcomeImport`` row records the import.
* **After the commit** every provider's results are recomputed when anything changed (or when an
  earlier import's recompute is missing, see ``results_behind``); they reach the search index
  through the outbox (``recompute_results``).

A file without ``job_start_date`` says nothing about job starts: new rows get none, stored rows
keep theirs. A ``course_id`` that looks like a CPR number is refused and never echoed back.
"""
from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.concurrency import sync_to_thread

from marketplace.audit import services as audit
from marketplace.db import is_sqlite, write_transaction
from marketplace.errors import DomainError
from marketplace.outcomes.stats import AGE_BANDS, STATUSES
from marketplace.outcomes.tables import NationalResult, Outcome, OutcomeImport
from marketplace.piccolo_conf import DB
from marketplace.providers.tables import Provider
from marketplace.reference import TARGET_GROUPS, municipalities

if TYPE_CHECKING:
    from marketplace.accounts.tables import User

Progress = Callable[[str, int, int], None]

HEADER = ("course_id", "provider_cvr", "target_group", "municipality", "age_band", "months_on_benefit",
          "start_date", "end_date", "status_3m")
OPTIONAL_COLUMN = "job_start_date"
MAX_LISTED_ERRORS = 1_000
"""Errors listed in a report; the total is always counted."""
CHUNK_ROWS = 500
"""Rows per chunk in pass 2: one SELECT of the stored rows (500 parameters, well below SQLite's
variable limit) and one write (executemany on SQLite, one array INSERT on PostgreSQL)."""
MAX_MONTHS_ON_BENEFIT = 600
"""50 years: anything above is a data error (and would not fit the database column)."""
MAX_COURSE_ID_CHARS = 64
PROGRESS_EVERY = 5_000

PHASE_VALIDATE = "kontrol/validate"
PHASE_APPLY = "indlæsning/apply"
PHASE_RESULTS = "resultater/results"

_COURSE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]*")
_CPR_CANDIDATE = re.compile(r"(?=(\d{2})(\d{2})(\d{2})-?\d{4})")
_CVR = re.compile(r"\d{8}")
_MUNICIPALITY = re.compile(r"\d{3}")
_WHOLE = re.compile(r"\d{1,6}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_VALUE_CHARS = 40


# -- the report ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LineError:
    """One bad field on one line. `line` counts the file's lines from 1 (the header is line 1)."""

    line: int
    field: str
    da: str
    en: str
    value: str = ""

    def message(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da


@dataclass
class ValidationReport:
    """What pass 1 found: the number of data rows, the first errors and how many there were."""

    rows: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    has_job_start_column: bool = False
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def add(self, error: LineError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """An applied import."""

    import_id: int
    filename: str
    rows: int
    new: int
    changed: int
    unchanged: int
    has_job_start_column: bool
    providers_recomputed: int | None  # None when nothing changed (results were not recomputed)


class OutcomeFileRejected(DomainError):
    """The file has bad lines (or a bad header); nothing was applied. `report` lists them."""

    status_code = 400

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(
            f"Filen blev afvist: {report.error_count} fejl. Intet er indlæst.",
            f"The file was rejected: {report.error_count} errors. Nothing was imported.",
        )
        self.report = report


class ResultsNotRecomputed(DomainError):
    """The file was applied (committed) but recomputing the results failed. Importing the same
    file again changes no course and retries the recompute (see results_behind)."""

    status_code = 500

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__(
            f"Filen er indlæst (indlæsning nr. {summary.import_id}), men resultaterne kunne ikke genberegnes. "
            "Indlæs den samme fil igen for at prøve igen.",
            f"The file was imported (import no. {summary.import_id}), but the results could not be recomputed. "
            "Import the same file again to retry.",
        )
        self.summary = summary


class OutcomeFileChanged(DomainError):
    """The file changed between the check and the import; the import was rolled back."""

    status_code = 409


def format_report(report: ValidationReport, lang: str | None = None, limit: int | None = None) -> list[str]:
    """The report as text lines, Danish and English ('da / en') unless one language is asked for."""
    def text(error: LineError) -> str:
        if lang == "da":
            return error.da
        if lang == "en":
            return error.en
        return f"{error.da} / {error.en}"

    word = "Line" if lang == "en" else "Linje"
    lines = [f"{word} {e.line}, {e.field}: {text(e)}" + (f" [{e.value}]" if e.value else "")
             for e in report.errors[:limit]]
    shown = min(len(report.errors), limit if limit is not None else len(report.errors))
    if report.error_count > shown:
        rest = report.error_count - shown
        lines.append({"da": f"… og {rest} fejl mere", "en": f"… and {rest} more errors"}.get(
            lang or "", f"… og {rest} fejl mere / … and {rest} more errors"))
    return lines


# -- reading ------------------------------------------------------------------------------------
class _Lines:
    """The file's lines decoded as UTF-8, hashing the bytes and noting lines that are not UTF-8."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.hash = hashlib.sha256()
        self.number = 0
        self.bad_encoding: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self._handle:
            self.number += 1
            self.hash.update(raw)
            if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_encoding.append(self.number)
                yield raw.decode("utf-8", errors="replace")


def count_lines(path: Path) -> int:
    """Newlines in the file (fast, binary): the progress total."""
    total = 0
    last = b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            total += chunk.count(b"\n")
            last = chunk[-1:]
    return total + (0 if last == b"\n" else 1)


class _Records:
    """(first line number, fields) for each data record after a valid header, and afterwards the
    file's SHA-256. Problems go to `report`; in pass 2 (no report) any problem raises
    OutcomeFileChanged, because pass 1 found none."""

    def __init__(self, path: Path, report: ValidationReport | None) -> None:
        self.path = path
        self.report = report
        self.sha256 = ""

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        report = self.report
        with open(self.path, "rb") as handle:
            lines = _Lines(handle)
            reader = csv.reader(lines, strict=True)
            if _read_header(reader, lines, report) is None:
                return
            while True:
                start = reader.line_num + 1
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    _fail(report, LineError(start, "-", f"Linjen kan ikke læses som CSV ({exc}).",
                                            f"The line cannot be read as CSV ({exc})."))
                    continue
                if lines.bad_encoding:
                    lines.bad_encoding.clear()
                    _fail(report, LineError(start, "-", "Linjen er ikke gyldig UTF-8. Gem filen som UTF-8.",
                                            "The line is not valid UTF-8. Save the file as UTF-8."))
                    continue
                if not record or record == [""]:
                    continue  # a blank line
                yield start, record
            self.sha256 = lines.hash.hexdigest()


def _fail(report: ValidationReport | None, error: LineError) -> None:
    if report is None:
        raise OutcomeFileChanged(
            f"Filen er ændret under indlæsningen (linje {error.line}). Intet er indlæst.",
            f"The file changed during the import (line {error.line}). Nothing was imported.",
        )
    report.add(error)


def _read_header(reader: Any, lines: _Lines, report: ValidationReport | None) -> tuple[str, ...] | None:
    expected = ",".join(HEADER)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except csv.Error:
        header = ["?"]
    names = tuple(h.strip() for h in header)
    if lines.bad_encoding or names not in (HEADER, HEADER + (OPTIONAL_COLUMN,)):
        _fail(report, LineError(
            1, "header",
            f"Første linje skal være præcis: {expected} (eventuelt efterfulgt af ,{OPTIONAL_COLUMN}).",
            f"The first line must be exactly: {expected} (optionally followed by ,{OPTIONAL_COLUMN}).",
            ",".join(names)[:120],
        ))
        return None
    if report is not None:
        report.has_job_start_column = len(names) == len(HEADER) + 1
    return names


# -- the rules ----------------------------------------------------------------------------------
def looks_like_cpr(value: str) -> bool:
    """True when six digits forming a valid ddmmyy date, an optional '-' and four digits occur
    anywhere in `value`."""
    for match in _CPR_CANDIDATE.finditer(value):
        day, month, year = (int(g) for g in match.groups())
        if 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1] and not (
            month == 2 and day == 29 and year % 4
        ):
            return True
    return False


def _iso_date(text: str) -> datetime.date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


Row = tuple[str, int, str, int, str, int, datetime.date, datetime.date, str, "datetime.date | None"]
"""course_id, provider id, target group, municipality, age band, months, start, end, status, job start."""


def _check_row(line: int, record: list[str], width: int, cvrs: dict[str, int],
               codes: frozenset[int]) -> tuple[Row | None, list[LineError]]:
    """Every rule for one data record: the typed row, or the errors (one per bad field)."""
    if len(record) != width:
        return None, [LineError(line, "-", f"Linjen har {len(record)} felter; der skal være {width}.",
                                f"The line has {len(record)} fields; there must be {width}.")]
    values = [v.strip() for v in record]
    errors: list[LineError] = []

    def bad(name: str, da: str, en: str, value: str | None = None) -> None:
        shown = values[HEADER_INDEX[name]] if value is None else value
        if looks_like_cpr(shown):
            shown = ""  # a CPR number in the wrong column is not echoed either
        errors.append(LineError(line, name, da, en, shown[:_VALUE_CHARS]))

    course_id = values[0]
    if not course_id:
        bad("course_id", "Angiv et forløbs-id.", "Give a course id.")
    elif looks_like_cpr(course_id):
        bad("course_id", "Forløbs-id ligner et CPR-nummer. Brug et pseudonymt id – CPR-numre må aldrig indlæses.",
            "The course id looks like a CPR number. Use a pseudonymous id – CPR numbers must never be imported.",
            "")  # never echo what may be a CPR number
    elif len(course_id) > MAX_COURSE_ID_CHARS or not _COURSE_ID.fullmatch(course_id):
        bad("course_id", f"Forløbs-id må kun indeholde bogstaver a–z, tal og . _ : / + = - (højst {MAX_COURSE_ID_CHARS} tegn).",
            f"The course id may only contain letters a–z, digits and . _ : / + = - (at most {MAX_COURSE_ID_CHARS} characters).")

    provider_id = 0
    cvr = values[1]
    if not _CVR.fullmatch(cvr):
        bad("provider_cvr", "CVR-nummeret skal være 8 cifre – fx 12345678.", "The CVR number must be 8 digits – e.g. 12345678.")
    elif cvr not in cvrs:
        bad("provider_cvr", f"Der er ingen registreret aktør med CVR-nummer {cvr}.", f"There is no registered provider with CVR number {cvr}.")
    else:
        provider_id = cvrs[cvr]

    target_group = values[2]
    if target_group not in TARGET_GROUPS:
        bad("target_group", f"Ukendt målgruppe. Brug en af: {', '.join(TARGET_GROUPS)}.",
            f"Unknown target group. Use one of: {', '.join(TARGET_GROUPS)}.")

    municipality = 0
    if not _MUNICIPALITY.fullmatch(values[3]) or int(values[3]) not in codes:
        bad("municipality", "Ukendt kommunekode. Brug kommunens 3-cifrede kode – fx 101 eller 751.",
            "Unknown municipality code. Use the municipality's 3-digit code – e.g. 101 or 751.")
    else:
        municipality = int(values[3])

    age_band = values[4]
    if age_band not in AGE_BANDS:
        bad("age_band", f"Ukendt aldersgruppe. Brug en af: {', '.join(AGE_BANDS)}.",
            f"Unknown age band. Use one of: {', '.join(AGE_BANDS)}.")

    months = 0
    if not _WHOLE.fullmatch(values[5]) or int(values[5]) > MAX_MONTHS_ON_BENEFIT:
        bad("months_on_benefit", f"Måneder på ydelse skal være et helt tal fra 0 til {MAX_MONTHS_ON_BENEFIT}.",
            f"Months on benefit must be a whole number from 0 to {MAX_MONTHS_ON_BENEFIT}.")
    else:
        months = int(values[5])

    start = _iso_date(values[6])
    if start is None:
        bad("start_date", "Startdato skal være en gyldig dato som ÅÅÅÅ-MM-DD – fx 2025-03-01.",
            "The start date must be a valid date as YYYY-MM-DD – e.g. 2025-03-01.")
    end = _iso_date(values[7])
    if end is None:
        bad("end_date", "Slutdato skal være en gyldig dato som ÅÅÅÅ-MM-DD – fx 2025-06-30.",
            "The end date must be a valid date as YYYY-MM-DD – e.g. 2025-06-30.")
    elif start is not None and end < start:
        bad("end_date", "Slutdato ligger før startdato.", "The end date is before the start date.")

    status = values[8]
    if status not in STATUSES:
        bad("status_3m", f"Ukendt status. Brug en af: {', '.join(_STATUS_ORDER)}.",
            f"Unknown status. Use one of: {', '.join(_STATUS_ORDER)}.")

    job_start = None
    if width > len(HEADER) and values[9]:
        job_start = _iso_date(values[9])
        if job_start is None:
            bad("job_start_date", "Jobstart skal være tom eller en gyldig dato som ÅÅÅÅ-MM-DD.",
                "The job start must be empty or a valid date as YYYY-MM-DD.")
        elif start is not None and job_start < start:
            bad("job_start_date", "Jobstart ligger før forløbets startdato.", "The job start is before the course start.")

    if errors:
        return None, errors
    assert start is not None and end is not None
    return (course_id, provider_id, target_group, municipality, age_band, months, start, end, status, job_start), []


HEADER_INDEX = {name: i for i, name in enumerate(HEADER + (OPTIONAL_COLUMN,))}
_STATUS_ORDER = ("job", "education", "benefit", "other")
assert set(_STATUS_ORDER) == STATUSES


async def registered_cvrs() -> dict[str, int]:
    """Every provider's CVR number → id (any status: courses outlive a listing)."""
    return {r["cvr"]: r["id"] for r in await Provider.select(Provider.cvr, Provider.id)}


# -- pass 1 -------------------------------------------------------------------------------------
def validate_file(path: Path, cvrs: dict[str, int], progress: Progress | None = None,
                  total: int | None = None) -> ValidationReport:
    """Pass 1: check every line (blocking; run it in a thread from async code)."""
    report = ValidationReport()
    codes = frozenset(municipalities())
    seen: set[str] = set()
    total = total if total is not None else max(count_lines(path) - 1, 0)
    if progress:
        progress(PHASE_VALIDATE, 0, total)
    records = _Records(path, report)
    width = 0
    for line, record in records:
        width = width or len(HEADER) + (1 if report.has_job_start_column else 0)
        report.rows += 1
        _, errors = _check_row(line, record, width, cvrs, codes)
        for error in errors:
            report.add(error)
        course_id = record[0].strip()
        if course_id and len(record) == width and not any(e.field == "course_id" for e in errors):
            if course_id in seen:
                report.add(LineError(line, "course_id", "Forløbs-id findes allerede tidligere i filen.",
                                     "The course id already appears earlier in the file.", course_id[:_VALUE_CHARS]))
            else:
                seen.add(course_id)
        if progress and report.rows % PROGRESS_EVERY == 0:
            progress(PHASE_VALIDATE, min(report.rows, total), max(total, report.rows))
    report.sha256 = records.sha256
    if report.ok and report.rows == 0:
        report.add(LineError(2, "-", "Filen indeholder ingen forløb.", "The file contains no courses."))
    if progress:
        progress(PHASE_VALIDATE, report.rows, report.rows)
    return report


async def validate_outcome_file(path: Path | str, progress: Progress | None = None) -> ValidationReport:
    """Pass 1 against the registered providers: the report, nothing written."""
    cvrs = await registered_cvrs()
    return await sync_to_thread(validate_file, Path(path), cvrs, progress)


# -- pass 2 -------------------------------------------------------------------------------------
_COLUMNS = ("course_id", "provider", "target_group", "municipality", "age_band", "months_on_benefit",
            "start_date", "end_date", "status_3m", "job_start_date", "import_batch")
_COMPARED = _COLUMNS[1:10]


def _connection() -> Any:
    """The driver connection (aiosqlite or asyncpg) of the write transaction we are in.

    Pass 2 sends its two statements per chunk straight to the driver (a parameterised SELECT and
    an INSERT … ON CONFLICT, by executemany on SQLite and with one array per column on PostgreSQL):
    Piccolo builds every query through QueryString, which for a 500-row chunk costs several times
    the database work (measured: 3.7× slower for the whole apply). It is the same connection and
    the same transaction, so the import stays all or nothing."""
    transaction = DB.current_transaction.get()
    assert transaction is not None, "pass 2 runs inside write_transaction()"
    return transaction.connection


def _quoted(columns: tuple[str, ...] | list[str]) -> str:
    return ",".join(f'"{c}"' for c in columns)


async def _stored_rows(course_ids: list[str]) -> list[dict[str, Any]]:
    """The stored courses among these ids (course_id and the compared columns)."""
    table, columns = Outcome._meta.tablename, _quoted(("course_id",) + _COMPARED)
    connection = _connection()
    if is_sqlite():
        marks = ",".join("?" * len(course_ids))
        cursor = await connection.execute(f'SELECT {columns} FROM "{table}" WHERE "course_id" IN ({marks})', course_ids)
        try:
            return [dict(r) for r in await cursor.fetchall()]
        finally:
            await cursor.close()
    # asyncpg prepares statements, and after five runs PostgreSQL may keep a generic plan made
    # while the table was still small: a sequential scan, so every later chunk would read the whole
    # table (measured: 152 s instead of 13 s for 100,000 rows). Plan this lookup for the table as
    # it is now – only this one: custom plans for every row's foreign-key checks would cost more.
    await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    rows = await connection.fetch(f'SELECT {columns} FROM "{table}" WHERE "course_id" = ANY($1::varchar[])', course_ids)
    await connection.execute("SET LOCAL plan_cache_mode TO DEFAULT")
    return [dict(r) for r in rows]


_PG_TYPES = ("varchar", "int", "varchar", "int", "varchar", "int", "date", "date", "varchar", "date", "int")


def _upsert_sql(with_job_start: bool) -> str:
    """INSERT … ON CONFLICT (course_id) DO UPDATE: on SQLite for one row (run with executemany), on
    PostgreSQL for a whole chunk given as one array per column (unnest). Without a job_start_date
    column in the file the stored job start is kept."""
    updated = [c for c in _COLUMNS[1:] if with_job_start or c != "job_start_date"]
    if is_sqlite():
        source = f'VALUES ({",".join("?" * len(_COLUMNS))})'
    else:
        source = "SELECT * FROM unnest(" + ",".join(f"${i}::{t}[]" for i, t in enumerate(_PG_TYPES, start=1)) + ")"
    return (f'INSERT INTO "{Outcome._meta.tablename}" ({_quoted(_COLUMNS)}) {source} '
            f'ON CONFLICT ("course_id") DO UPDATE SET ' + ",".join(f'"{c}"=EXCLUDED."{c}"' for c in updated))


async def _write(rows: list[tuple], with_job_start: bool) -> None:
    """Insert or replace these rows (tuples in _COLUMNS order)."""
    if is_sqlite():
        await _connection().executemany(_upsert_sql(with_job_start), rows)
    else:
        await _connection().execute(_upsert_sql(with_job_start), *(list(column) for column in zip(*rows)))


async def _apply_chunk(chunk: list[Row], batch_id: int, with_job_start: bool) -> tuple[int, int, int]:
    """Write one chunk: (new, changed, unchanged)."""
    stored = {r["course_id"]: tuple(r[c] for c in _COMPARED) for r in await _stored_rows([row[0] for row in chunk])}
    writes: list[tuple] = []
    new = changed = 0
    for row in chunk:
        old = stored.get(row[0])
        values = row[1:]
        if old is not None and not with_job_start:
            values = values[:-1] + (_normal(old[-1]),)  # no job_start_date column: keep the stored one
        if old is None:
            new += 1
        elif tuple(_normal(v) for v in old) == tuple(values):
            continue
        else:
            changed += 1
        writes.append((row[0],) + values + (batch_id,))
    if writes:
        await _write(writes, with_job_start)
    return new, changed, len(chunk) - new - changed


def _normal(value: Any) -> Any:
    """Stored values as pass 1 types them (SQLite may hand back dates as text)."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return datetime.date.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


async def _apply(path: Path, report: ValidationReport, cvrs: dict[str, int], filename: str,
                 by: User | None, actor_label: str | None, progress: Progress | None) -> tuple[int, int, int, int]:
    """Pass 2 in one write transaction: (import id, new, changed, unchanged)."""
    codes = frozenset(municipalities())
    width = len(HEADER) + (1 if report.has_job_start_column else 0)
    counts = [0, 0, 0]  # new, changed, unchanged
    done = 0
    async with write_transaction():
        inserted = await OutcomeImport.insert(
            OutcomeImport(filename=filename[:255], rows=report.rows, imported_by=by.id if by is not None else None)
        ).returning(OutcomeImport.id)
        batch_id = inserted[0]["id"]

        async def flush(chunk: list[Row]) -> None:
            nonlocal done
            for i, n in enumerate(await _apply_chunk(chunk, batch_id, report.has_job_start_column)):
                counts[i] += n
            done += len(chunk)
            if progress and done % PROGRESS_EVERY == 0:
                progress(PHASE_APPLY, done, report.rows)

        if progress:
            progress(PHASE_APPLY, 0, report.rows)
        chunk: list[Row] = []
        records = _Records(path, None)
        for line, record in records:
            row, errors = _check_row(line, record, width, cvrs, codes)
            if row is None:  # pass 1 found no error, so the file changed since
                _fail(None, errors[0])
            chunk.append(row)  # type: ignore[arg-type]
            if len(chunk) == CHUNK_ROWS:
                await flush(chunk)
                chunk = []
        if chunk:
            await flush(chunk)
        if done != report.rows or records.sha256 != report.sha256:
            _fail(None, LineError(done + 1, "-", "", ""))
        new, changed, unchanged = counts
        await OutcomeImport.update({
            OutcomeImport.new_rows: new, OutcomeImport.changed_rows: changed, OutcomeImport.unchanged_rows: unchanged,
        }).where(OutcomeImport.id == batch_id)
        await audit.record(
            by, "outcomes.import", "outcome_import", batch_id, actor_label=actor_label,
            after={"filename": filename, "rows": report.rows, "new": new, "changed": changed, "unchanged": unchanged,
                   "sha256": report.sha256},
        )
    if progress:
        progress(PHASE_APPLY, done, report.rows)
    return batch_id, new, changed, unchanged


async def import_outcomes(path: Path | str, *, filename: str | None = None, by: User | None = None,
                          actor_label: str | None = None, progress: Progress | None = None) -> ImportSummary:
    """Check the whole file, then apply it in one transaction (with its audit entry: `by` the
    authority user, or None and `actor_label` "cli") and recompute the results.
    Raises OutcomeFileRejected (nothing applied) when any line is bad."""
    from marketplace.outcomes.services import recompute_results

    path = Path(path)
    cvrs = await registered_cvrs()
    total = max(count_lines(path) - 1, 0)
    report = await sync_to_thread(validate_file, path, cvrs, progress, total)
    if not report.ok:
        raise OutcomeFileRejected(report)
    batch_id, new, changed, unchanged = await _apply(path, report, cvrs, filename or path.name, by, actor_label,
                                                     progress)
    summary = ImportSummary(batch_id, filename or path.name, report.rows, new, changed, unchanged,
                            report.has_job_start_column, None)
    if not (new or changed or await results_behind()):
        return summary
    if progress:
        progress(PHASE_RESULTS, 0, 1)
    try:
        result = await recompute_results(import_batch=batch_id)
    except Exception as exc:
        raise ResultsNotRecomputed(summary) from exc
    if progress:
        progress(PHASE_RESULTS, 1, 1)
    return dataclasses.replace(summary, providers_recomputed=len(result.providers) if result is not None else 0)


async def results_behind() -> bool:
    """True when an import changed courses after the newest recompute (which then failed or was
    interrupted): importing any file, even an unchanged one, recomputes then."""
    changing = await OutcomeImport.select(OutcomeImport.imported_at).where(
        (OutcomeImport.new_rows > 0) | (OutcomeImport.changed_rows > 0)
    ).order_by(OutcomeImport.id, ascending=False).first()
    if changing is None:
        return False
    latest = await NationalResult.select(NationalResult.computed_at).order_by(NationalResult.id, ascending=False).first()
    return latest is None or latest["computed_at"] < changing["imported_at"]


__all__ = [
    "HEADER", "MAX_LISTED_ERRORS", "OPTIONAL_COLUMN", "ImportSummary", "LineError", "OutcomeFileChanged",
    "OutcomeFileRejected", "ResultsNotRecomputed", "ValidationReport", "format_report", "import_outcomes",
    "looks_like_cpr", "results_behind", "validate_file", "validate_outcome_file",
]
