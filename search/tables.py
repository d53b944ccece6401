"""The outbox: an append-only event log of providers whose public document may have changed, and a
delivery cursor per search target (each Meilisearch server converges on its own)."""
from piccolo.columns import BigInt, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxEvent(Table):
    """Written in the same transaction as the change. The worker re-reads the provider from the
    database when it delivers, so events are idempotent and their order within a batch is moot."""

    provider_id = Integer(index=True)
    reason = Varchar(length=60)
    created_at = Timestamptz(default=TimestamptzNow())


class OutboxCursor(Table):
    """How far a search target (one Meilisearch URL + index) has been delivered."""

    target = Varchar(length=255, unique=True)
    last_event_id = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
