"""Outcomes: finished courses imported from official registers, and the results computed from them."""
from piccolo.columns import JSON, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.providers.tables import Provider


class OutcomeImport(Table):
    """One applied import of an outcome file."""

    filename = Varchar(length=255)
    rows = Integer()
    imported_by = Integer(null=True, default=None, help_text="User id; empty for the CLI")
    imported_at = Timestamptz(default=TimestamptzNow())
    new_rows = Integer(default=0, help_text="Courses not stored before")
    changed_rows = Integer(default=0, help_text="Stored courses replaced by a corrected row")
    unchanged_rows = Integer(default=0, help_text="Rows identical to the stored course (skipped)")


class Outcome(Table):
    """One finished course. `course_id` is pseudonymous; no CPR number is ever stored."""

    course_id = Varchar(length=64, unique=True)
    provider = ForeignKey(references=Provider, index=True)
    target_group = Varchar(length=40)
    municipality = Integer()
    age_band = Varchar(length=10)
    months_on_benefit = Integer()
    start_date = Date()
    end_date = Date()
    status_3m = Varchar(length=20, help_text="job, education, benefit or other, three months after the end")
    job_start_date = Date(null=True, default=None)
    import_batch = ForeignKey(references=OutcomeImport, null=True, default=None)


class ProviderResult(Table):
    """The computed numbers for one provider after an import (history kept: one row per import)."""

    provider = ForeignKey(references=Provider, index=True)
    import_batch = ForeignKey(references=OutcomeImport, null=True, default=None)
    method_version = Varchar(length=20)
    computed_at = Timestamptz(default=TimestamptzNow(), index=True)
    results = JSON(default={}, help_text="overall ResultStats as a dict")
    results_by_target_group = JSON(default={}, help_text="slug → ResultStats dict")
    people_like_me = JSON(default={}, help_text='"tg|age_band" → ResultStats dict')


class NationalResult(Table):
    """The national figures after a recompute: what every provider's numbers are set against."""

    import_batch = ForeignKey(references=OutcomeImport, null=True, default=None)
    method_version = Varchar(length=20)
    computed_at = Timestamptz(default=TimestamptzNow(), index=True)
    results = JSON(default={}, help_text="overall ResultStats of all courses as a dict")
    results_by_target_group = JSON(default={}, help_text="slug → ResultStats dict of all courses")
    model = JSON(default={}, help_text="summary of the expected-success model: courses, cells, penalty, …")
