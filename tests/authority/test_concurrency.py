"""Two authority users deciding at once: one wins, the other gets a clear Conflict, and there is
never a double decision (optimistic concurrency on the revision's and the provider's `version`)."""
from __future__ import annotations

import asyncio

import pytest
from factories import make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.errors import Conflict
from marketplace.providers import decisions
from marketplace.providers.tables import Decision, ListingRevision, Provider
from search.tables import OutboxEvent

from .support import ALL_MET, make_user, revision_row, submit_revision


async def test_two_approvals_of_the_same_revision_at_once_make_exactly_one_decision(engine) -> None:
    anna, bo = await make_user("authority"), await make_user("authority")
    provider = await make_provider()
    revision = await submit_revision(provider["id"], description="Ny tekst.")

    results = await asyncio.gather(
        decisions.approve_revision(revision["id"], by=anna, checklist=ALL_MET, expected_version=revision["version"]),
        decisions.approve_revision(revision["id"], by=bo, checklist=ALL_MET, expected_version=revision["version"]),
        return_exceptions=True,
    )

    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], Conflict)
    assert lost[0].da == "Ansøgningen er allerede behandlet af en anden sagsbehandler."
    assert await Decision.count() == 1
    assert await AuditEntry.count().where(AuditEntry.action == "revision.approve") == 1
    assert await OutboxEvent.count().where(OutboxEvent.reason == "revision.approve") == 1
    row = await revision_row(revision["id"])
    assert row["status"] == "approved" and row["version"] == revision["version"] + 1
    assert await ListingRevision.count().where(ListingRevision.provider == provider["id"],
                                               ListingRevision.status == "approved") == 1
    assert (await Provider.select(Provider.version).where(Provider.id == provider["id"]).first())["version"] == 2


async def test_an_approval_and_a_rejection_at_once_make_exactly_one_decision(engine) -> None:
    anna, bo = await make_user("authority"), await make_user("authority")
    revision = await submit_revision()

    results = await asyncio.gather(
        decisions.approve_revision(revision["id"], by=anna, checklist=ALL_MET, expected_version=revision["version"]),
        decisions.reject_revision(revision["id"], by=bo, reason="Mangler pris.", expected_version=revision["version"]),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    decided = await Decision.select(Decision.action).first()
    assert await Decision.count() == 1
    assert (await revision_row(revision["id"]))["status"] == {"approve": "approved", "reject": "rejected"}[decided["action"]]


async def test_many_approvals_at_once_still_make_exactly_one_decision(engine) -> None:
    users = [await make_user("authority") for _ in range(5)]
    revision = await submit_revision()

    results = await asyncio.gather(*[
        decisions.approve_revision(revision["id"], by=u, checklist=ALL_MET, expected_version=revision["version"])
        for u in users
    ], return_exceptions=True)

    assert sum(isinstance(r, dict) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, dict))
    assert await Decision.count() == 1


async def test_a_decision_on_a_stale_revision_version_is_a_conflict(engine) -> None:
    authority = await make_user("authority")
    revision = await submit_revision()
    # The provider withdrew and resubmitted after the authority opened the page: the version moved on.
    await ListingRevision.update({ListingRevision.version: ListingRevision.version + 1}).where(
        ListingRevision.id == revision["id"])

    with pytest.raises(Conflict) as refused:
        await decisions.approve_revision(revision["id"], by=authority, checklist=ALL_MET,
                                         expected_version=revision["version"])

    assert refused.value.da == decisions.REVISION_CHANGED_DA
    assert (await revision_row(revision["id"]))["status"] == "submitted"
    assert await Decision.count() == 0
    assert not await OutboxEvent.exists().where(OutboxEvent.reason.like("revision.%"))


async def test_two_suspensions_of_the_same_provider_at_once_make_exactly_one_decision(engine) -> None:
    anna, bo = await make_user("authority"), await make_user("authority")
    provider = await make_provider()

    results = await asyncio.gather(
        decisions.suspend_provider(provider["id"], by=anna, reason="A", expected_version=provider["version"]),
        decisions.revoke_provider(provider["id"], by=bo, reason="B", expected_version=provider["version"]),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert await Decision.count() == 1
    row = await Provider.select(Provider.status, Provider.version).where(Provider.id == provider["id"]).first()
    assert row["version"] == provider["version"] + 1
    assert await AuditEntry.count().where(AuditEntry.object_type == "provider") == 1


async def test_a_status_decision_on_a_stale_provider_version_is_a_conflict(engine) -> None:
    authority = await make_user("authority")
    provider = await make_provider()
    await decisions.suspend_provider(provider["id"], by=authority, reason="Undersøges.",
                                     expected_version=provider["version"])

    with pytest.raises(Conflict) as refused:  # a second caseworker still looking at the active provider
        await decisions.revoke_provider(provider["id"], by=authority, reason="Snyd.", expected_version=provider["version"])

    assert refused.value.da == decisions.PROVIDER_CHANGED_DA
    row = await Provider.select(Provider.status).where(Provider.id == provider["id"]).first()
    assert row["status"] == "suspended"
    assert await Decision.count() == 1


async def test_an_approval_racing_a_suspension_never_undoes_the_suspension(engine) -> None:
    anna, bo = await make_user("authority"), await make_user("authority")
    provider = await make_provider()
    revision = await submit_revision(provider["id"], description="Ny tekst.")

    await asyncio.gather(
        decisions.approve_revision(revision["id"], by=anna, checklist=ALL_MET, expected_version=revision["version"]),
        decisions.suspend_provider(provider["id"], by=bo, reason="Undersøges.", expected_version=provider["version"]),
        return_exceptions=True,
    )

    row = await Provider.select(Provider.status).where(Provider.id == provider["id"]).first()
    actions = {d["action"] for d in await Decision.select(Decision.action)}
    assert actions  # at least one of them went through
    assert row["status"] == ("suspended" if "suspend" in actions else "active")
