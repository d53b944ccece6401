"""The authority's decisions: approve or reject a submitted revision; suspend, revoke or reinstate
a provider. Each use case is one `write_transaction()` that writes the domain rows, the immutable
`Decision`, the audit entry (before/after) and the outbox event together.

    await approve_revision(revision_id, by=user, checklist={"cvr": True, …}, expected_version=3)
    await reject_revision(revision_id, by=user, reason="Prisen mangler …", expected_version=3)
    await suspend_provider(provider_id, by=user, reason="…", expected_version=7)
    await revoke_provider(…) / await reinstate_provider(…)

Optimistic concurrency (two authority users deciding at once: one wins, the other gets `Conflict`,
never a double decision). The decisive write is a conditional UPDATE

    UPDATE listing_revision SET status = 'approved', version = version + 1, …
    WHERE id = ? AND status = 'submitted' AND version = ?   RETURNING id

(and `WHERE id = ? AND version = ? AND status IN (…)` on the provider). No row back means somebody
else got there first, or the row changed since the decider looked at it: the transaction raises
`Conflict` and rolls back. On SQLite the IMMEDIATE transaction already serialises writers, so the
loser's UPDATE sees the winner's committed row; on PostgreSQL the loser's UPDATE waits for the
winner's row lock and then re-checks the WHERE against the committed row (READ COMMITTED), so it
matches nothing. Either way exactly one Decision is written.

Status rules. Only a `submitted` revision can be decided. Approving supersedes the previously
approved revision, makes a `registered` provider `active` (a suspended or revoked provider keeps its
status: the new listing shows only after reinstatement), and confirms the listing
(`Provider.last_confirmed_at = now`). Suspend: active → suspended. Revoke: active or suspended →
revoked. Reinstate: suspended or revoked → active (registered if it has no approved listing).
Reasons are required for reject, suspend, revoke and reinstate; they are shown on the provider's
public page with the decision history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping

from marketplace.audit import services as audit
from marketplace.db import write_transaction
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.providers import standards
from marketplace.providers.tables import Decision, ListingRevision, Provider
from search import outbox

if TYPE_CHECKING:
    from marketplace.accounts.tables import User

MAX_REASON_CHARS = 2000

ALREADY_DECIDED_DA = "Ansøgningen er allerede behandlet af en anden sagsbehandler."
ALREADY_DECIDED_EN = "The application has already been decided by another caseworker."
REVISION_CHANGED_DA = "Ansøgningen er ændret, siden du åbnede den. Genindlæs siden, og se ændringerne igen."
REVISION_CHANGED_EN = "The application has changed since you opened it. Reload the page and review the changes again."
PROVIDER_CHANGED_DA = "Aktøren er ændret af en anden sagsbehandler, siden du åbnede siden. Genindlæs siden."
PROVIDER_CHANGED_EN = "The provider was changed by another caseworker since you opened the page. Reload the page."


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A provider status decision: which statuses it applies to and where it leads."""

    action: str
    allowed_from: tuple[str, ...]
    da: str  # "suspenderes" – fits "Aktøren kan ikke {da}, fordi …"
    en: str


SUSPEND = StatusChange("suspend", ("active",), "suspenderes", "be suspended")
REVOKE = StatusChange("revoke", ("active", "suspended"), "tilbagekaldes", "be revoked")
REINSTATE = StatusChange("reinstate", ("suspended", "revoked"), "genoptages", "be reinstated")
STATUS_CHANGES = {c.action: c for c in (SUSPEND, REVOKE, REINSTATE)}

STATUS_DA = {"registered": "registreret", "active": "aktiv", "suspended": "suspenderet", "revoked": "tilbagekaldt"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_reason(reason: str | None, *, required: bool, field: str = "reason") -> str:
    """The trimmed reason; InvalidInput when required and empty, or too long."""
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput(field, "Skriv en begrundelse. Den bliver vist for aktøren og på aktørens side.",
                           "Write a reason. It is shown to the provider and on the provider's page.")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(field, f"Begrundelsen må højst være {MAX_REASON_CHARS} tegn.",
                           f"The reason may be at most {MAX_REASON_CHARS} characters.")
    return text


def _decapitalise(text: str) -> str:
    """"Gyldigt CVR-nummer" → "gyldigt CVR-nummer" (acronyms stay upper-case)."""
    return text[:1].lower() + text[1:]


def check_checklist(checklist: Mapping[str, bool]) -> None:
    """InvalidInput on `checklist` unless every standard is confirmed."""
    missing = standards.unmet(checklist)
    if missing:
        names_da = ", ".join(_decapitalise(standards.BY_SLUG[s].da) for s in missing)
        names_en = ", ".join(_decapitalise(standards.BY_SLUG[s].en) for s in missing)
        raise InvalidInput("checklist", f"Alle standarder skal være opfyldt for at godkende. Ikke bekræftet: {names_da}.",
                           f"Every standard must be met to approve. Not confirmed: {names_en}.")


async def _claim_revision(revision_id: int, expected_version: int, new_status: str, now: datetime) -> None:
    """The conditional UPDATE that decides a submitted revision; Conflict / NotFound when it
    changes nothing."""
    changed = await (
        ListingRevision.update({
            ListingRevision.status: new_status,
            ListingRevision.version: ListingRevision.version + 1,
            ListingRevision.decided_at: now,
        })
        .where(ListingRevision.id == revision_id, ListingRevision.status == ListingRevision.Status.submitted,
               ListingRevision.version == expected_version)
        .returning(ListingRevision.id)
    )
    if changed:
        return
    row = await ListingRevision.select(ListingRevision.status).where(ListingRevision.id == revision_id).first()
    if row is None:
        raise NotFound(f"Ingen ansøgning med nummer {revision_id}.", f"No application with number {revision_id}.")
    if row["status"] != ListingRevision.Status.submitted:
        raise Conflict(ALREADY_DECIDED_DA, ALREADY_DECIDED_EN)
    raise Conflict(REVISION_CHANGED_DA, REVISION_CHANGED_EN)


async def _update_provider(provider: dict[str, Any], values: dict[Any, Any]) -> None:
    """Conditional UPDATE of a provider read in this transaction (same version); Conflict otherwise."""
    changed = await (
        Provider.update({**values, Provider.version: Provider.version + 1})
        .where(Provider.id == provider["id"], Provider.version == provider["version"])
        .returning(Provider.id)
    )
    if not changed:
        raise Conflict(PROVIDER_CHANGED_DA, PROVIDER_CHANGED_EN)


async def _save_decision(**values: Any) -> dict[str, Any]:
    decision = Decision(**values)
    await decision.save()
    row = await Decision.select().where(Decision.id == decision.id).first().output(load_json=True)
    assert row is not None
    return row


async def approve_revision(revision_id: int, *, by: User, checklist: Mapping[str, bool], expected_version: int,
                           note: str = "") -> dict[str, Any]:
    """Approve a submitted revision on a fully confirmed checklist; it becomes what the public
    sees. Returns the Decision row. Raises InvalidInput (checklist, reason), NotFound, Conflict."""
    check_checklist(checklist)
    note = check_reason(note, required=False)
    now = _now()
    async with write_transaction():
        await _claim_revision(revision_id, expected_version, ListingRevision.Status.approved, now)
        revision = await ListingRevision.select().where(ListingRevision.id == revision_id).first().output(load_json=True)
        assert revision is not None
        provider = await Provider.select().where(Provider.id == revision["provider"]).first()
        assert provider is not None
        superseded = await (
            ListingRevision.update({ListingRevision.status: ListingRevision.Status.superseded,
                                    ListingRevision.version: ListingRevision.version + 1})
            .where(ListingRevision.provider == provider["id"], ListingRevision.status == ListingRevision.Status.approved,
                   ListingRevision.id != revision_id)
            .returning(ListingRevision.id)
        )
        new_status = Provider.Status.active.value if provider["status"] == Provider.Status.registered else provider["status"]
        await _update_provider(provider, {Provider.status: new_status, Provider.last_confirmed_at: now})
        record = standards.checklist_record(checklist, standards.precheck(provider, revision))
        decision = await _save_decision(provider=provider["id"], revision=revision_id, action=Decision.Action.approve,
                                        checklist=record, reason=note, decided_by=by.id, decided_at=now)
        await audit.record(by, "revision.approve", "listing_revision", revision_id, before={
            "status": "submitted", "version": expected_version, "provider_status": provider["status"],
            "provider_version": provider["version"], "last_confirmed_at": provider["last_confirmed_at"],
        }, after={
            "status": "approved", "version": expected_version + 1, "provider_status": new_status,
            "provider_version": provider["version"] + 1, "last_confirmed_at": now,
            "superseded_revisions": [r["id"] for r in superseded], "decision": decision["id"],
            "provider": provider["id"], "checklist": record, "note": note,
        })
        await outbox.enqueue(provider["id"], "revision.approve")
    return decision


async def reject_revision(revision_id: int, *, by: User, reason: str, expected_version: int,
                          checklist: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """Reject a submitted revision with a required reason (shown to the provider). The public
    listing does not change. Returns the Decision row."""
    reason = check_reason(reason, required=True)
    now = _now()
    async with write_transaction():
        await _claim_revision(revision_id, expected_version, ListingRevision.Status.rejected, now)
        revision = await ListingRevision.select().where(ListingRevision.id == revision_id).first().output(load_json=True)
        assert revision is not None
        provider = await Provider.select().where(Provider.id == revision["provider"]).first()
        assert provider is not None
        record = standards.checklist_record(checklist or {}, standards.precheck(provider, revision))
        decision = await _save_decision(provider=provider["id"], revision=revision_id, action=Decision.Action.reject,
                                        checklist=record, reason=reason, decided_by=by.id, decided_at=now)
        await audit.record(by, "revision.reject", "listing_revision", revision_id,
                           before={"status": "submitted", "version": expected_version},
                           after={"status": "rejected", "version": expected_version + 1, "decision": decision["id"],
                                  "provider": provider["id"], "reason": reason, "checklist": record})
        # The public document is unchanged; the event keeps "every decision passes the outbox" true
        # and costs one idempotent upsert.
        await outbox.enqueue(provider["id"], "revision.reject")
    return decision


async def _change_status(change: StatusChange, provider_id: int, *, by: User, reason: str,
                         expected_version: int) -> dict[str, Any]:
    reason = check_reason(reason, required=True)
    now = _now()
    async with write_transaction():
        provider = await Provider.select().where(Provider.id == provider_id).first()
        if provider is None:
            raise NotFound(f"Ingen aktør med nummer {provider_id}.", f"No provider with number {provider_id}.")
        if provider["version"] != expected_version:
            raise Conflict(PROVIDER_CHANGED_DA, PROVIDER_CHANGED_EN)
        if provider["status"] not in change.allowed_from:
            status = provider["status"]
            raise Conflict(f"Aktøren kan ikke {change.da}, fordi den er {STATUS_DA.get(status, status)}.",
                           f"The provider cannot {change.en} because it is {status}.")
        if change is REINSTATE:
            has_listing = await ListingRevision.exists().where(
                ListingRevision.provider == provider_id, ListingRevision.status == ListingRevision.Status.approved)
            new_status = Provider.Status.active.value if has_listing else Provider.Status.registered.value
        else:
            new_status = "suspended" if change is SUSPEND else "revoked"
        # The conditional UPDATE repeats the version and status checks: on PostgreSQL a concurrent
        # decision may commit between the read above and this write.
        changed = await (
            Provider.update({Provider.status: new_status, Provider.version: Provider.version + 1})
            .where(Provider.id == provider_id, Provider.version == expected_version,
                   Provider.status.is_in(list(change.allowed_from)))
            .returning(Provider.id)
        )
        if not changed:
            raise Conflict(PROVIDER_CHANGED_DA, PROVIDER_CHANGED_EN)
        decision = await _save_decision(provider=provider_id, revision=None, action=change.action, checklist={},
                                        reason=reason, decided_by=by.id, decided_at=now)
        await audit.record(by, f"provider.{change.action}", "provider", provider_id,
                           before={"status": provider["status"], "version": expected_version},
                           after={"status": new_status, "version": expected_version + 1, "decision": decision["id"],
                                  "reason": reason})
        await outbox.enqueue(provider_id, f"provider.{change.action}")
    return decision


async def suspend_provider(provider_id: int, *, by: User, reason: str, expected_version: int) -> dict[str, Any]:
    """Suspend an active provider: it leaves search at once and its page says so."""
    return await _change_status(SUSPEND, provider_id, by=by, reason=reason, expected_version=expected_version)


async def revoke_provider(provider_id: int, *, by: User, reason: str, expected_version: int) -> dict[str, Any]:
    """Revoke an active or suspended provider's approval: it leaves search and its page says so."""
    return await _change_status(REVOKE, provider_id, by=by, reason=reason, expected_version=expected_version)


async def reinstate_provider(provider_id: int, *, by: User, reason: str, expected_version: int) -> dict[str, Any]:
    """Reinstate a suspended or revoked provider: back in search with its approved listing."""
    return await _change_status(REINSTATE, provider_id, by=by, reason=reason, expected_version=expected_version)
