"""The audit log: every privileged action, append-only."""
from piccolo.columns import JSON, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table):
    """Who did what to which object, when (UTC), with before/after. Never updated or deleted;
    never holds secrets or passwords."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = Integer(null=True, default=None, help_text="User id; empty for the system or the CLI")
    actor_label = Varchar(length=254, help_text="E-mail or 'system' / 'cli' at the time of the action")
    action = Varchar(length=60, index=True)
    object_type = Varchar(length=40)
    object_id = Varchar(length=64)
    before = JSON(default={})
    after = JSON(default={})
