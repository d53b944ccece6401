"""Writing the audit log: one call per privileged action, inside the caller's transaction.

    async with write_transaction():
        ...change the domain rows...
        await audit.record(user, "revision.approve", "listing_revision", revision.id,
                           before={"status": "submitted"}, after={"status": "approved"})

Entries are append-only (nothing here updates or deletes them) and never hold secrets: any key whose
name contains "password", "hash", "token" or "secret" is dropped, at any depth, before writing.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping

from marketplace.audit.tables import AuditEntry

if TYPE_CHECKING:
    from marketplace.accounts.tables import User

SECRET_MARKERS = ("password", "hash", "token", "secret")


def is_secret_key(key: object) -> bool:
    """True for a key that names something never written to the log."""
    name = str(key).lower()
    return any(marker in name for marker in SECRET_MARKERS)


def scrub(value: Any) -> Any:
    """`value` made JSON-safe with every secret-looking key removed, at any depth."""
    if isinstance(value, Mapping):
        return {str(k): scrub(v) for k, v in value.items() if not is_secret_key(k)}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub(v) for v in value]
    if isinstance(value, enum.Enum):
        return scrub(value.value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


async def record(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append one audit entry (who, what, which object, before/after; `at` is set by the database
    default in UTC). Call it inside the use case's `write_transaction()` so it commits or rolls back
    with the change it describes. `actor` is None for the system or the CLI: say which in
    `actor_label` ("cli", "system"); otherwise the label is the actor's e-mail."""
    label = actor_label or (actor.email if actor is not None else "system")
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=label[:254],
        action=action[:60],
        object_type=object_type[:40],
        object_id="" if object_id is None else str(object_id)[:64],
        before=scrub(before or {}),
        after=scrub(after or {}),
    )
    await entry.save()
    return entry
