"""20 concurrent writers (tasks in this process; OS processes in test_writer_processes.py): no
"database is locked", no lost update. Every accepted write is in the database; every refused one
was refused as a conflict, never silently dropped.

SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL (READ COMMITTED) relies on the use
cases' conditional updates, row locks and unique indexes. Both run these tests."""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable

from factories import make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.enrolments import services as enrolments
from marketplace.enrolments.tables import Enrolment
from marketplace.errors import Conflict
from marketplace.providers import listing
from marketplace.providers.tables import ListingRevision
from marketplace.reviews.tables import Review
from search.tables import OutboxEvent

from .operations import (
    choose, edit_capacity_until_accepted, make_user, public_revision, started_enrolment, write_review,
)

WRITERS = 20


def sort_out(results: list[Any]) -> tuple[list[Any], list[Conflict], list[BaseException]]:
    """(accepted, conflicts, faults); a fault's message is what a test failure shows."""
    accepted = [r for r in results if not isinstance(r, BaseException)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    faults = [r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)]
    return accepted, conflicts, faults


async def at_once(calls: list[Awaitable[Any]]) -> list[Any]:
    return await asyncio.gather(*calls, return_exceptions=True)


def no_faults(faults: list[BaseException]) -> None:
    locked = [f for f in faults if "database is locked" in str(f)]
    assert not locked, f"{len(locked)} 'database is locked' errors"
    assert not faults, f"{len(faults)} writes failed: {[repr(f) for f in faults[:3]]}"


async def one_winner(calls: list[Awaitable[Any]]) -> tuple[Any, list[Conflict]]:
    """Run the calls at once: exactly one is accepted, every other one is refused as a conflict."""
    accepted, conflicts, faults = sort_out(await at_once(calls))
    no_faults(faults)
    assert (len(accepted), len(conflicts)) == (1, len(calls) - 1)
    return accepted[0], conflicts


async def test_twenty_members_editing_capacity_at_once_lose_no_update() -> None:
    provider = await make_provider()
    members = [await make_user("provider", provider_id=provider["id"]) for _ in range(WRITERS)]
    before = await public_revision(provider["id"])

    results = await at_once([edit_capacity_until_accepted(m, n) for n, m in enumerate(members)])

    accepted, _, faults = sort_out(results)
    no_faults(faults)
    assert len(accepted) == WRITERS
    after = await public_revision(provider["id"])
    changed = await AuditEntry.count().where(AuditEntry.action == "listing.capacity_contact")
    # each accepted edit changed the phone number, so each moved the version on by exactly one
    assert changed == WRITERS
    assert after["version"] == before["version"] + WRITERS
    assert await OutboxEvent.count().where(OutboxEvent.reason == "listing.capacity_contact") == WRITERS


async def test_twenty_edits_from_the_same_page_version_accept_one_and_report_the_rest_as_conflicts() -> None:
    provider = await make_provider()
    members = [await make_user("provider", provider_id=provider["id"]) for _ in range(WRITERS)]
    public = await public_revision(provider["id"])

    winner, _ = await one_winner([
        listing.update_capacity(m, {"capacity": "waitlist", "waiting_weeks": n + 1, "contact": public["contact"]},
                                revision_id=public["id"], version=public["version"])
        for n, m in enumerate(members)
    ])

    after = await public_revision(provider["id"])
    assert after["waiting_weeks"] == winner["waiting_weeks"]
    assert after["version"] == public["version"] + 1


async def test_twenty_versioned_draft_saves_from_one_base_make_one_draft() -> None:
    provider = await make_provider()
    members = [await make_user("provider", provider_id=provider["id"]) for _ in range(WRITERS)]
    public = await public_revision(provider["id"])
    content = {k: public[k] for k in listing.CONTENT_COLUMNS}

    winner, _ = await one_winner([
        listing.save_draft(m, {**content, "description": f"Kladde fra skribent {n} med en længere tekst om hjælpen."},
                           base_id=public["id"], version=public["version"])
        for n, m in enumerate(members)
    ])

    drafts = await ListingRevision.select().where(ListingRevision.provider == provider["id"],
                                                  ListingRevision.status == "draft")
    assert len(drafts) == 1
    assert drafts[0]["description"] == winner["description"]

    # and then twenty saves of that draft, each from the version it was read at
    draft = winner
    winner, _ = await one_winner([
        listing.save_draft(m, {**content, "description": f"Rettelse {n} af kladden, skrevet af en kollega i samme øjeblik."},
                           base_id=draft["id"], version=draft["version"])
        for n, m in enumerate(members)
    ])

    row = await ListingRevision.select().where(ListingRevision.id == draft["id"]).first()
    assert row["description"] == winner["description"] and row["version"] == draft["version"] + 1


async def test_twenty_citizens_reviewing_at_once_are_all_counted() -> None:
    provider = await make_provider()
    citizens = [await make_user("citizen") for _ in range(WRITERS)]
    references = [await started_enrolment(c, provider["id"]) for c in citizens]

    results = await at_once([write_review(c, ref, n) for n, (c, ref) in enumerate(zip(citizens, references))])

    accepted, _, faults = sort_out(results)
    no_faults(faults)
    assert len(accepted) == WRITERS
    assert await Review.count().where(Review.provider == provider["id"]) == WRITERS
    assert await OutboxEvent.count().where(OutboxEvent.reason == "review") == WRITERS


async def test_twenty_citizens_choosing_the_same_provider_at_once_all_get_their_enrolment() -> None:
    provider = await make_provider()
    citizens = [await make_user("citizen") for _ in range(WRITERS)]

    results = await at_once([choose(c, provider["slug"]) for c in citizens])

    accepted, _, faults = sort_out(results)
    no_faults(faults)
    assert len(set(accepted)) == WRITERS
    assert await Enrolment.count().where(Enrolment.provider == provider["id"], Enrolment.status == "chosen") == WRITERS


async def test_one_citizen_choosing_twenty_times_at_once_gets_one_enrolment() -> None:
    provider = await make_provider()
    citizen = await make_user("citizen")

    _, conflicts = await one_winner([choose(citizen, provider["slug"]) for _ in range(WRITERS)])

    assert all(isinstance(c, enrolments.ChoiceRefused) and c.code == "active_exists" for c in conflicts)
    assert await Enrolment.count().where(Enrolment.citizen == citizen.id) == 1


async def test_twenty_members_handling_one_choice_at_once_make_exactly_one_transition() -> None:
    provider = await make_provider()
    members = [await make_user("provider", provider_id=provider["id"]) for _ in range(WRITERS)]
    reference = await choose(await make_user("citizen"), provider["slug"])

    # half accept, half decline: exactly one of them may win
    await one_winner([
        enrolments.accept(m, reference) if n % 2 else enrolments.decline(m, reference, f"Ingen plads ({n}).")
        for n, m in enumerate(members)
    ])

    row = await Enrolment.select(Enrolment.id, Enrolment.status).where(Enrolment.reference == reference).first()
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_type == "enrolment",
                                                               AuditEntry.object_id == str(row["id"]),
                                                               AuditEntry.action != "enrolment.choose")
    assert len(actions) == 1
    assert row["status"] == {"enrolment.accept": "accepted", "enrolment.decline": "declined"}[actions[0]["action"]]


async def test_twenty_switches_of_one_choice_at_once_leave_one_active_choice() -> None:
    first, *others = [await make_provider() for _ in range(4)]
    citizen = await make_user("citizen")
    reference = await choose(citizen, first["slug"])

    winner, _ = await one_winner([
        enrolments.switch_provider(citizen, reference, to_slug=others[n % 3]["slug"], service="jobsamtaler",
                                   municipality="751", reason=f"Skifter ({n}).")
        for n in range(WRITERS)
    ])

    active = await Enrolment.select().where(Enrolment.citizen == citizen.id,
                                            Enrolment.status.is_in(list(enrolments.ACTIVE)))
    assert [a["reference"] for a in active] == [winner]
