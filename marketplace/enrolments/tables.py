"""Enrolments (valg): a citizen's choice of a provider for a target group and a service."""
from enum import Enum

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.accounts.tables import User
from marketplace.providers.tables import Provider


class Enrolment(Table):
    """chosen → accepted → started → ended, or declined / cancelled / switched.
    At most one active (chosen, accepted, started) enrolment per citizen and target group: checked by
    `marketplace.enrolments.services` and guaranteed by the partial unique index
    `enrolment_one_active_per_target_group` (created by a migration, on SQLite and PostgreSQL)."""

    class Status(str, Enum):
        chosen = "chosen"
        accepted = "accepted"
        started = "started"
        ended = "ended"
        declined = "declined"
        cancelled = "cancelled"
        switched = "switched"

    reference = Varchar(length=20, unique=True, help_text="Receipt number shown to the citizen")
    citizen = ForeignKey(references=User, index=True)
    provider = ForeignKey(references=Provider, index=True)
    target_group = Varchar(length=40)
    service = Varchar(length=40)
    status = Varchar(length=20, choices=Status, default=Status.chosen, index=True)
    reason = Text(help_text="Why it was declined, cancelled or switched")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    first_contact_by = Date(null=True, default=None,
                            help_text="The provider's promise at the time of choosing: first contact by this date "
                                      "(first_contact_days working days after the choice: weekends and Danish holidays skipped)")
    switched_from = Integer(null=True, default=None,
                            help_text="Id of the enrolment this one replaced when the citizen switched provider")
