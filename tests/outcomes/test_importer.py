"""The outcome import: every validation rule, all or nothing, corrections and idempotent re-imports."""
from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import index_all, make_provider
from outcomes.outcome_files import COLUMNS, course, mixed_courses, write_outcomes

from marketplace.audit.tables import AuditEntry
from marketplace.outcomes.importer import (
    MAX_LISTED_ERRORS,
    OutcomeFileRejected,
    format_report,
    import_outcomes,
    looks_like_cpr,
    validate_outcome_file,
)
from marketplace.outcomes.tables import NationalResult, Outcome, OutcomeImport, ProviderResult
from marketplace.providers.services import search_providers
from marketplace.settings import PROJECT_DIR
from search.queries import parse_search_params

UNREGISTERED_CVR = "87654321"


async def rejected(path: Path) -> OutcomeFileRejected:
    """Import a file that must be refused; return the refusal."""
    with pytest.raises(OutcomeFileRejected) as caught:
        await import_outcomes(path)
    return caught.value


async def assert_nothing_applied() -> None:
    assert await Outcome.count() == 0
    assert await OutcomeImport.count() == 0
    assert await ProviderResult.count() == 0


async def stored(course_id: str) -> dict:
    row = await Outcome.select().where(Outcome.course_id == course_id).first()
    assert row is not None, course_id
    return row


# -- valid files -----------------------------------------------------------------------------------
async def test_a_valid_file_is_applied_with_an_import_record_and_results(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "ok.csv", mixed_courses(provider["cvr"], 30))

    summary = await import_outcomes(path)

    assert (summary.rows, summary.new, summary.changed, summary.unchanged) == (30, 30, 0, 0)
    assert await Outcome.count() == 30
    batch = await OutcomeImport.select().first()
    assert (batch["filename"], batch["rows"], batch["new_rows"]) == ("ok.csv", 30, 30)
    assert {r["import_batch"] for r in await Outcome.select(Outcome.import_batch)} == {batch["id"]}
    result = await ProviderResult.select().where(ProviderResult.provider == provider["id"]).first().output(load_json=True)
    assert result["import_batch"] == batch["id"]
    assert result["results"]["courses"] == 30
    assert result["results"]["success_rate"] == pytest.approx(0.5)
    assert await NationalResult.count() == 1


async def test_the_optional_job_start_column_is_stored_when_present(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "ten.csv", [course(1, provider["cvr"], job_start_date="2025-02-17"),
                                                 course(2, provider["cvr"], job_start_date="", status_3m="benefit")])

    summary = await import_outcomes(path)

    assert summary.has_job_start_column
    assert (await stored("K-0000001"))["job_start_date"] == datetime.date(2025, 2, 17)
    assert (await stored("K-0000002"))["job_start_date"] is None


async def test_a_file_without_the_job_start_column_is_valid(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "nine.csv", mixed_courses(provider["cvr"], 3), job_start_column=False)

    summary = await import_outcomes(path)

    assert not summary.has_job_start_column
    assert summary.new == 3
    assert (await stored("K-0000001"))["job_start_date"] is None


async def test_a_utf8_byte_order_mark_and_windows_line_endings_are_accepted(tmp_path):
    provider = await make_provider()
    path = tmp_path / "excel.csv"
    lines = [",".join(COLUMNS)] + [",".join(course(i, provider["cvr"]).values()) for i in range(3)]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")

    summary = await import_outcomes(path)

    assert summary.new == 3


# -- each rule: one bad line, the file is refused, the report names the line and the field ----------
BAD_VALUES = [
    ("course_id", ""),
    ("course_id", "K 1"),
    ("course_id", "K" * 65),
    ("course_id", "010190-1234"),
    ("course_id", "0101901234"),
    ("course_id", "X-2902001234-Y"),
    ("provider_cvr", "1234567"),
    ("provider_cvr", "1234567a"),
    ("provider_cvr", UNREGISTERED_CVR),
    ("target_group", "ledige"),
    ("target_group", "Dagpenge"),
    ("municipality", "99"),
    ("municipality", "999"),
    ("municipality", "0751"),
    ("age_band", "18-24"),
    ("age_band", "60-"),
    ("months_on_benefit", "-1"),
    ("months_on_benefit", "1.5"),
    ("months_on_benefit", "tre"),
    ("months_on_benefit", "601"),
    ("start_date", "06-01-2025"),
    ("start_date", "2025-02-30"),
    ("start_date", "20250106"),
    ("end_date", ""),
    ("end_date", "2025-01-05"),
    ("status_3m", "Job"),
    ("status_3m", "unemployed"),
    ("job_start_date", "2025-13-01"),
    ("job_start_date", "2025-01-05"),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES, ids=[f"{f}={v[:12]!r}" for f, v in BAD_VALUES])
async def test_one_bad_field_rejects_the_file_naming_line_and_field(tmp_path, field, value):
    provider = await make_provider()
    rows = mixed_courses(provider["cvr"], 5)
    rows[2] = course(99, provider["cvr"], **{field: value})
    path = write_outcomes(tmp_path / "bad.csv", rows)

    refusal = await rejected(path)

    assert refusal.report.error_count == 1
    error = refusal.report.errors[0]
    assert (error.line, error.field) == (4, field)  # header is line 1, the third course line 4
    assert error.da and error.en and error.da != error.en
    await assert_nothing_applied()


async def test_a_course_id_repeated_within_the_file_is_refused_on_its_second_line(tmp_path):
    provider = await make_provider()
    rows = mixed_courses(provider["cvr"], 4) + [course(1, provider["cvr"], status_3m="other")]
    path = write_outcomes(tmp_path / "dup.csv", rows)

    refusal = await rejected(path)

    assert [(e.line, e.field) for e in refusal.report.errors] == [(6, "course_id")]
    await assert_nothing_applied()


async def test_a_line_with_too_few_fields_is_refused(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "short.csv", mixed_courses(provider["cvr"], 2))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("K-9,12345678,dagpenge\n")

    refusal = await rejected(path)

    assert [(e.line, e.field) for e in refusal.report.errors] == [(4, "-")]
    assert "10" in refusal.report.errors[0].en


async def test_a_line_that_is_not_utf8_is_refused(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "latin1.csv", mixed_courses(provider["cvr"], 2))
    with open(path, "ab") as handle:
        handle.write(",".join(course(7, provider["cvr"], course_id="Kø-7").values()).encode("latin-1") + b"\n")

    refusal = await rejected(path)

    assert [(e.line, e.field) for e in refusal.report.errors] == [(4, "-")]
    assert "UTF-8" in refusal.report.errors[0].en


async def test_every_bad_field_of_every_bad_line_is_reported(tmp_path):
    provider = await make_provider()
    rows = mixed_courses(provider["cvr"], 3)
    rows.insert(1, course(50, provider["cvr"], age_band="x", status_3m="y"))
    rows.append(course(51, UNREGISTERED_CVR))
    path = write_outcomes(tmp_path / "many.csv", rows)

    refusal = await rejected(path)

    assert [(e.line, e.field) for e in refusal.report.errors] == [
        (3, "age_band"), (3, "status_3m"), (6, "provider_cvr"),
    ]
    assert refusal.report.error_count == 3


async def test_a_cpr_like_course_id_is_never_echoed_in_the_report(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "cpr.csv", [course(1, provider["cvr"], course_id="311299-4321")])

    refusal = await rejected(path)

    assert refusal.report.errors[0].value == ""
    assert not any("4321" in line for line in format_report(refusal.report))


async def test_a_cpr_number_in_another_column_is_not_echoed_either(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "shifted.csv", [course(1, provider["cvr"], municipality="2412851234")])

    refusal = await rejected(path)

    assert [(e.field, e.value) for e in refusal.report.errors] == [("municipality", "")]


async def test_the_report_lists_at_most_the_cap_but_counts_every_error(tmp_path):
    provider = await make_provider()
    rows = [course(i, provider["cvr"], municipality="000") for i in range(MAX_LISTED_ERRORS + 25)]
    path = write_outcomes(tmp_path / "capped.csv", rows)

    refusal = await rejected(path)

    assert len(refusal.report.errors) == MAX_LISTED_ERRORS
    assert refusal.report.error_count == MAX_LISTED_ERRORS + 25
    assert format_report(refusal.report)[-1].startswith("… og 25 fejl mere")


@pytest.mark.parametrize("header", [
    COLUMNS[:8],                                   # a column missing
    COLUMNS[:9] + ["job_start"],                   # a misspelt optional column
    COLUMNS + ["note"],                            # an unknown eleventh column
    [COLUMNS[1], COLUMNS[0]] + COLUMNS[2:],        # reordered
    [c.upper() for c in COLUMNS],                  # another spelling
], ids=["missing", "misspelt-optional", "extra", "reordered", "upper-case"])
async def test_a_wrong_header_rejects_the_file_at_line_1(tmp_path, header):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "header.csv", mixed_courses(provider["cvr"], 2), header=header)

    refusal = await rejected(path)

    assert [(e.line, e.field) for e in refusal.report.errors] == [(1, "header")]
    assert ",".join(COLUMNS[:9]) in refusal.report.errors[0].da
    await assert_nothing_applied()


async def test_an_empty_file_and_a_header_only_file_are_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = write_outcomes(tmp_path / "header-only.csv", [])

    assert [(e.line, e.field) for e in (await rejected(empty)).report.errors] == [(1, "header")]
    assert [(e.line, e.field) for e in (await rejected(header_only)).report.errors] == [(2, "-")]


@pytest.mark.parametrize(("value", "cpr"), [
    ("0101901234", True), ("010190-1234", True), ("ab2902001234", True), ("ID-311299-0001", True),
    ("2902011234", False),   # 29 February 2001 does not exist
    ("3102901234", False),   # nor does 31 February
    ("0113901234", False),   # month 13
    ("D2025-000123", False), ("K-0000001", False), ("010190123", False), ("0101901-234", False),
])
def test_cpr_lookalikes_are_six_date_digits_an_optional_dash_and_four_digits(value, cpr):
    assert looks_like_cpr(value) is cpr


# -- all or nothing at scale -----------------------------------------------------------------------
async def test_one_bad_line_at_row_400000_rejects_the_whole_file(tmp_path):
    provider = await make_provider()
    cvr = provider["cvr"]
    path = tmp_path / "big.csv"
    bad_row = 400_000  # the 400,000th course: line 400,001 of the file (the header is line 1)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(",".join(COLUMNS) + "\n")
        block: list[str] = []
        for i in range(1, 400_011):
            status = "jobb" if i == bad_row else ("job" if i % 2 else "benefit")
            block.append(f"B{i:07d},{cvr},dagpenge,751,30-39,4,2025-01-06,2025-04-04,{status},\n")
            if len(block) == 50_000:
                handle.write("".join(block))
                block.clear()
        handle.write("".join(block))

    refusal = await rejected(path)

    assert refusal.report.rows == 400_010
    assert [(e.line, e.field, e.value) for e in refusal.report.errors] == [(400_001, "status_3m", "jobb")]
    await assert_nothing_applied()


# -- re-imports ------------------------------------------------------------------------------------
async def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "same.csv", mixed_courses(provider["cvr"], 40))
    await import_outcomes(path)
    before = await Outcome.select().order_by(Outcome.id)
    results_before = await ProviderResult.count()

    again = await import_outcomes(path)

    assert (again.new, again.changed, again.unchanged) == (0, 0, 40)
    assert again.providers_recomputed is None
    assert await Outcome.select().order_by(Outcome.id) == before
    assert await ProviderResult.count() == results_before


async def test_a_corrected_row_replaces_the_stored_course_and_is_not_duplicated(tmp_path):
    provider = await make_provider()
    rows = mixed_courses(provider["cvr"], 30)
    await import_outcomes(write_outcomes(tmp_path / "first.csv", rows))
    assert (await stored("K-0000000"))["status_3m"] == "benefit"

    correction = [course(0, provider["cvr"], status_3m="job", job_start_date="2025-04-01", target_group="sygedagpenge",
                         age_band="50-59")]
    summary = await import_outcomes(write_outcomes(tmp_path / "fix.csv", correction))

    assert (summary.new, summary.changed, summary.unchanged) == (0, 1, 0)
    assert await Outcome.count() == 30
    row = await stored("K-0000000")
    assert (row["status_3m"], row["job_start_date"]) == ("job", datetime.date(2025, 4, 1))
    assert row["import_batch"] == summary.import_id
    newest = await ProviderResult.select().order_by(ProviderResult.id, ascending=False).first().output(load_json=True)
    assert newest["import_batch"] == summary.import_id
    assert newest["results"]["success_rate"] == pytest.approx(16 / 30, abs=1e-4)


async def test_an_unchanged_import_recomputes_when_the_last_recompute_is_missing(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "same.csv", mixed_courses(provider["cvr"], 30))
    await import_outcomes(path)
    await NationalResult.delete(force=True)  # as if the recompute after that import had failed

    again = await import_outcomes(path)

    assert (again.new, again.changed, again.unchanged) == (0, 0, 30)
    assert again.providers_recomputed == 1
    assert await NationalResult.count() == 1


async def test_a_file_without_job_starts_keeps_the_stored_job_starts(tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "with.csv", [course(1, provider["cvr"], job_start_date="2025-02-10")]))

    summary = await import_outcomes(write_outcomes(
        tmp_path / "without.csv", [course(1, provider["cvr"], months_on_benefit="9")], job_start_column=False))

    assert summary.changed == 1
    row = await stored("K-0000001")
    assert (row["months_on_benefit"], row["job_start_date"]) == (9, datetime.date(2025, 2, 10))


async def test_a_file_that_changes_between_the_two_passes_is_rolled_back(tmp_path):
    from marketplace.outcomes import importer

    provider = await make_provider()
    rows = mixed_courses(provider["cvr"], 600)
    path = write_outcomes(tmp_path / "moving.csv", rows)
    cvrs = await importer.registered_cvrs()
    report = importer.validate_file(path, cvrs)
    rows[550] = course(550, provider["cvr"], status_3m="other")  # same size of file, other content
    write_outcomes(path, rows)

    with pytest.raises(importer.OutcomeFileChanged):
        await importer._apply(path, report, cvrs, "moving.csv", None, "test", None)

    await assert_nothing_applied()


async def test_checking_a_file_writes_nothing(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "check.csv", mixed_courses(provider["cvr"], 5))

    report = await validate_outcome_file(path)

    assert report.ok and report.rows == 5
    await assert_nothing_applied()


async def test_courses_of_a_suspended_provider_are_accepted(tmp_path):
    provider = await make_provider(status="suspended")

    summary = await import_outcomes(write_outcomes(tmp_path / "s.csv", mixed_courses(provider["cvr"], 2)))

    assert summary.new == 2


# -- the outbox carries the new numbers to search --------------------------------------------------
async def test_imported_results_reach_the_search_index_through_the_outbox(tmp_path, engine):
    strong = await make_provider(name="Stærk Aktør")
    weak = await make_provider(name="Svag Aktør")
    await index_all(engine)
    rows = mixed_courses(strong["cvr"], 40, jobs_every=5) + mixed_courses(weak["cvr"], 40, start=1000, jobs_every=1)
    await import_outcomes(write_outcomes(tmp_path / "both.csv", rows))

    assert await index_all(engine) >= 2
    result = await search_providers(engine, parse_search_params({"sort": "success_rate"}))

    hits = {h["name"]: h for h in result.hits}
    assert [h["name"] for h in result.hits] == ["Stærk Aktør", "Svag Aktør"]
    assert hits["Stærk Aktør"]["results"]["courses"] == 40
    assert hits["Stærk Aktør"]["results"]["success_rate"] == pytest.approx(0.8)
    assert hits["Svag Aktør"]["results"]["success_rate"] == 0
    assert set(hits["Stærk Aktør"]["results_by_target_group"]) == {"dagpenge", "sygedagpenge"}


# -- the command line ------------------------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "marketplace.cli", *args], cwd=PROJECT_DIR, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)


async def test_the_command_refuses_a_bad_file_with_exit_code_1_and_the_report(tmp_path):
    provider = await make_provider()
    rows = mixed_courses(provider["cvr"], 3) + [course(9, provider["cvr"], age_band="99+")]
    path = write_outcomes(tmp_path / "bad.csv", rows)

    done = cli("import-outcomes", str(path))

    assert done.returncode == 1, done.stderr
    assert "Linje 5, age_band: Ukendt aldersgruppe" in done.stdout
    assert "kontrol/validate" in done.stderr
    await assert_nothing_applied()


async def test_the_command_applies_a_good_file_and_prints_a_summary(tmp_path):
    provider = await make_provider()
    path = write_outcomes(tmp_path / "good.csv", mixed_courses(provider["cvr"], 25))

    done = cli("import-outcomes", str(path))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "25 nye/new, 0 rettede/changed, 0 uændrede/unchanged" in done.stdout
    assert "Resultater genberegnet for 1 aktører" in done.stdout
    assert await Outcome.count() == 25
    entry = await AuditEntry.select().where(AuditEntry.action == "outcomes.import").first().output(load_json=True)
    assert (entry["actor_label"], entry["object_type"], entry["after"]["new"]) == ("cli", "outcome_import", 25)
