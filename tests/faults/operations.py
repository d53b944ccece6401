"""The writes the fault tests drive, each through the portal's real use case (the same functions
the HTTP handlers call), and the few rows they need. Used by the in-process tests, by the writer
subprocesses (`tests/faults/writer.py`) and by `bench/faults.py`; imports nothing from conftest.

Each write returns normally when the use case accepted it and raises `Conflict` (or a subclass)
when it refused it; any other exception is a fault.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from datetime import datetime, timezone
from typing import Any

from marketplace.accounts.tables import User
from marketplace.enrolments import services as enrolments
from marketplace.enrolments.tables import Enrolment
from marketplace.errors import Conflict
from marketplace.providers import decisions, listing, standards
from marketplace.providers.tables import ListingRevision, Provider
from marketplace.reviews import services as reviews

ALL_MET = {s.slug: True for s in standards.STANDARDS}
CAPACITIES = ("open", "waitlist")  # never "full": citizens keep being able to choose
_numbers = itertools.count(1)


def _tag() -> str:
    return f"{next(_numbers)}-{uuid.uuid4().hex[:8]}"


# -- rows ------------------------------------------------------------------------------------------
async def make_user(role: str, *, provider_id: int | None = None) -> User:
    """A user row without a password (the use cases take the User; nobody logs in)."""
    tag = _tag()
    user = User(email=f"fault-{role}-{tag}@test.invalid", password_hash="", role=role,
                display_name=f"Fejltest {tag}", provider=provider_id,
                target_group="dagpenge" if role == "citizen" else "", age_band="30-39" if role == "citizen" else "")
    await user.save()
    return user


async def load_user(user_id: int) -> User:
    user = await User.objects().where(User.id == user_id).first()
    assert user is not None, f"no user {user_id}"
    return user


async def started_enrolment(citizen: User, provider_id: int) -> str:
    """A started enrolment of `citizen` at the provider (what a review needs); returns its reference."""
    now = datetime.now(timezone.utc)
    reference = f"F{_tag()}"[:20]
    await Enrolment(reference=reference, citizen=citizen.id, provider=provider_id, target_group="dagpenge",
                    service="jobsamtaler", status=Enrolment.Status.started, started_at=now).save()
    return reference


async def public_revision(provider_id: int) -> dict[str, Any]:
    row = await ListingRevision.select().where(
        ListingRevision.provider == provider_id, ListingRevision.status == ListingRevision.Status.approved
    ).first().output(load_json=True)
    assert row is not None, f"provider {provider_id} has no approved revision"
    return row


async def provider_row(provider_id: int) -> dict[str, Any]:
    row = await Provider.select().where(Provider.id == provider_id).first()
    assert row is not None
    return row


# -- writes ----------------------------------------------------------------------------------------
async def edit_capacity(member: User, n: int) -> dict[str, Any]:
    """Read the public revision and change its capacity (as the capacity page does: the version the
    page was built from is sent back). Conflict when someone changed it in between."""
    public = await public_revision(int(member.provider))
    capacity = CAPACITIES[n % len(CAPACITIES)]
    values = {"capacity": capacity, "waiting_weeks": 0 if capacity == "open" else 1 + n % 20,
              "contact": {**public["contact"], "phone": f"+45 71 {n:06d}"}}  # unique per n: never a no-op
    return await listing.update_capacity(member, values, revision_id=public["id"], version=public["version"])


async def edit_capacity_until_accepted(member: User, n: int, attempts: int = 200) -> tuple[dict[str, Any], int]:
    """What a user does after a conflict: reload and try again. Returns (saved, conflicts seen)."""
    for conflicts in range(attempts):
        try:
            return await edit_capacity(member, n), conflicts
        except Conflict:
            continue
    raise AssertionError(f"capacity edit {n} still conflicting after {attempts} attempts")


async def approve_new_description(member: User, authority: User, n: int) -> dict[str, Any]:
    """The provider saves and submits a changed description; the authority approves it."""
    public = await public_revision(int(member.provider))
    content = {k: public[k] for k in listing.CONTENT_COLUMNS}
    content["description"] = f"Ny beskrivelse nummer {n}: vi hjælper dig videre med samtaler og en fast plan."
    submitted = await listing.save_draft(member, content, base_id=public["id"], version=public["version"], submit=True)
    return await decisions.approve_revision(submitted["id"], by=authority, checklist=ALL_MET,
                                            expected_version=submitted["version"])


async def toggle_suspension(authority: User, provider_id: int, n: int) -> dict[str, Any]:
    """Suspend an active provider, reinstate a suspended one (its document leaves and comes back)."""
    row = await provider_row(provider_id)
    if row["status"] == "active":
        return await decisions.suspend_provider(provider_id, by=authority, reason=f"Fejltest {n}.",
                                                expected_version=row["version"])
    return await decisions.reinstate_provider(provider_id, by=authority, reason=f"Fejltest {n}.",
                                              expected_version=row["version"])


async def write_review(citizen: User, reference: str, n: int) -> int:
    return await reviews.write_review(citizen, reference, rating=1 + n % 5, text="")


async def choose(citizen: User, slug: str) -> str:
    return await enrolments.choose_provider(citizen, slug, target_group="dagpenge", service="jobsamtaler",
                                            municipality="751")


# -- comparing the index with the database ------------------------------------------------------------
def content_hash(document: dict[str, Any]) -> str:
    """SHA-256 of a document as JSON with sorted keys (what JSON carries, so a document built from the
    database and the same document read back from Meilisearch hash alike)."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def hashes(documents: dict[int, dict[str, Any]]) -> dict[int, str]:
    return {int(pid): content_hash(json.loads(json.dumps(doc, default=str))) for pid, doc in documents.items()}


async def expected_documents() -> dict[int, dict[str, Any]]:
    """Every public provider's index document built from the database (search.documents.index_document)."""
    from search import sync
    from search.documents import index_document, is_public

    ids = [row["id"] for row in await Provider.select(Provider.id)]
    snaps = await sync.load_snapshots(ids)
    return {pid: index_document(s) for pid, s in snaps.items() if is_public(s)}


def indexed_documents(engine: Any) -> dict[int, dict[str, Any]]:
    """Every document in the engine's index, by id (blocking; pages through the index)."""
    found: dict[int, dict[str, Any]] = {}
    offset = 0
    while True:
        page = engine.index.get_documents({"limit": 1000, "offset": offset})
        found.update({int(doc.id): dict(doc) for doc in page.results})
        offset += len(page.results)
        if not page.results or offset >= page.total:
            return found


def differences(indexed: dict[int, str], expected: dict[int, str]) -> dict[str, list[int]]:
    """Ids missing from the index, extra in it, and present with other content."""
    return {
        "missing": sorted(set(expected) - set(indexed)),
        "extra": sorted(set(indexed) - set(expected)),
        "changed": sorted(pid for pid in set(expected) & set(indexed) if expected[pid] != indexed[pid]),
    }

