"""The authority's decisions as use cases: each writes the domain rows, the Decision, the audit
entry and the outbox event in one transaction; search follows after the outbox is drained."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from factories import index_all, indexed_documents, make_provider
from litestar.concurrency import sync_to_thread

from marketplace.audit.tables import AuditEntry
from marketplace.errors import Conflict, InvalidInput
from marketplace.providers import decisions
from marketplace.providers.tables import Decision, ListingRevision, Provider
from search.queries import parse_search_params
from search import queries
from search.tables import OutboxEvent

from .support import ALL_MET, make_user, revision_row, submit_revision


async def search_names(engine, q: str = "") -> list[str]:
    params = parse_search_params({"q": [q]} if q else {})
    result = await queries.search(engine, params)
    return [hit["name"] for hit in result.hits]


async def provider_row(provider_id: int) -> dict:
    row = await Provider.select().where(Provider.id == provider_id).first()
    assert row is not None
    return row


async def test_approving_a_change_makes_it_public_and_supersedes_the_old_revision(engine) -> None:
    authority = await make_user("authority")
    provider = await make_provider(name="Mentorhuset", description="Vi tilbyder samtaler i Aarhus.")
    await index_all(engine)
    old = provider["revision"]
    revision = await submit_revision(provider["id"], description="Nu med solcelleværksted for ledige.")

    decision = await decisions.approve_revision(revision["id"], by=authority, checklist=ALL_MET,
                                                expected_version=revision["version"])

    assert (await revision_row(revision["id"]))["status"] == "approved"
    assert (await revision_row(old["id"]))["status"] == "superseded"
    assert decision["action"] == "approve" and decision["decided_by"] == authority.id
    assert decision["checklist"]["cvr"] == {"met": True, "automatic": True}
    assert decision["checklist"]["dpa"] == {"met": True, "automatic": None}
    entry = await AuditEntry.select().where(AuditEntry.action == "revision.approve").first().output(load_json=True)
    assert entry["object_id"] == str(revision["id"]) and entry["actor_id"] == authority.id
    assert entry["before"]["status"] == "submitted" and entry["after"]["status"] == "approved"
    assert entry["after"]["superseded_revisions"] == [old["id"]]
    assert await OutboxEvent.exists().where(OutboxEvent.reason == "revision.approve")

    assert await search_names(engine, "solcelleværksted") == []  # not before the outbox is drained
    await index_all(engine)
    assert await search_names(engine, "solcelleværksted") == ["Mentorhuset"]
    docs = await sync_to_thread(indexed_documents, engine)
    assert "solcelleværksted" in docs[provider["id"]]["summary"]


async def test_approving_a_first_application_activates_the_provider_and_confirms_the_listing(engine) -> None:
    authority = await make_user("authority")
    revision = await submit_revision(name="Nyt Spor")
    before = datetime.now(timezone.utc)

    await decisions.approve_revision(revision["id"], by=authority, checklist=ALL_MET,
                                     expected_version=revision["version"])

    provider = await provider_row(revision["provider"])
    assert provider["status"] == "active" and provider["version"] == 2
    assert provider["last_confirmed_at"] >= before - timedelta(seconds=1)
    await index_all(engine)
    assert await search_names(engine) == ["Nyt Spor"]


async def test_approval_is_refused_when_a_standard_is_unmet_and_nothing_changes(engine) -> None:
    authority = await make_user("authority")
    revision = await submit_revision()

    with pytest.raises(InvalidInput) as refused:
        await decisions.approve_revision(revision["id"], by=authority, checklist={**ALL_MET, "dpa": False},
                                         expected_version=revision["version"])

    assert refused.value.field == "checklist"
    assert "databehandleraftale er bekræftet" in refused.value.da
    assert (await revision_row(revision["id"]))["status"] == "submitted"
    assert await Decision.count() == 0
    assert not await AuditEntry.exists().where(AuditEntry.action.like("revision.%"))


async def test_rejection_requires_a_reason(engine) -> None:
    authority = await make_user("authority")
    revision = await submit_revision()

    with pytest.raises(InvalidInput) as refused:
        await decisions.reject_revision(revision["id"], by=authority, reason="   ", expected_version=revision["version"])

    assert refused.value.field == "reason"
    assert (await revision_row(revision["id"]))["status"] == "submitted"
    assert await Decision.count() == 0


async def test_a_rejection_keeps_the_public_listing_and_records_the_reason_for_the_provider(engine) -> None:
    authority = await make_user("authority")
    provider = await make_provider(name="Mentorhuset", description="Den gamle tekst om samtaler.")
    revision = await submit_revision(provider["id"], description="En tekst uden metode.")

    decision = await decisions.reject_revision(revision["id"], by=authority, reason="Prisen på mentorstøtte mangler.",
                                               expected_version=revision["version"])

    assert (await revision_row(revision["id"]))["status"] == "rejected"
    assert (await revision_row(provider["revision"]["id"]))["status"] == "approved"
    row = await Decision.select().where(Decision.id == decision["id"]).first()
    assert row["reason"] == "Prisen på mentorstøtte mangler." and row["revision"] == revision["id"]
    await index_all(engine)
    assert await search_names(engine, "gamle") == ["Mentorhuset"]


async def test_suspending_takes_the_provider_out_of_search_and_its_page_says_so(client, engine) -> None:
    authority = await make_user("authority")
    provider = await make_provider(name="Mentorhuset")
    await index_all(engine)
    assert await search_names(engine) == ["Mentorhuset"]

    await decisions.suspend_provider(provider["id"], by=authority, reason="Klager over manglende fremmøde.",
                                     expected_version=provider["version"])

    assert (await provider_row(provider["id"]))["status"] == "suspended"
    await index_all(engine)
    assert await search_names(engine) == []
    page = await client.get(f"/providers/{provider['slug']}")
    assert page.status_code == 200
    assert "Aktøren er suspenderet" in page.text
    assert "Suspenderet – Klager over manglende fremmøde." in page.text  # the decision history
    entry = await AuditEntry.select().where(AuditEntry.action == "provider.suspend").first().output(load_json=True)
    assert entry["before"]["status"] == "active" and entry["after"]["status"] == "suspended"


async def test_revoking_takes_a_suspended_provider_out_for_good_and_its_page_says_so(client, engine) -> None:
    authority = await make_user("authority")
    provider = await make_provider(name="Mentorhuset")
    suspended = await decisions.suspend_provider(provider["id"], by=authority, reason="Undersøges.",
                                                 expected_version=provider["version"])
    assert suspended["action"] == "suspend"

    await decisions.revoke_provider(provider["id"], by=authority, reason="Snyd med fremmøderegistrering.",
                                    expected_version=provider["version"] + 1)

    assert (await provider_row(provider["id"]))["status"] == "revoked"
    await index_all(engine)
    assert await search_names(engine) == []
    page = await client.get(f"/providers/{provider['slug']}")
    assert "Aktørens godkendelse er tilbagekaldt" in page.text
    assert "Godkendelse tilbagekaldt – Snyd med fremmøderegistrering." in page.text


async def test_reinstating_puts_the_provider_back_in_search(engine) -> None:
    authority = await make_user("authority")
    provider = await make_provider(name="Mentorhuset")
    await decisions.suspend_provider(provider["id"], by=authority, reason="Undersøges.",
                                     expected_version=provider["version"])
    await index_all(engine)
    assert await search_names(engine) == []

    await decisions.reinstate_provider(provider["id"], by=authority, reason="Forholdet er bragt i orden.",
                                       expected_version=provider["version"] + 1)

    assert (await provider_row(provider["id"]))["status"] == "active"
    await index_all(engine)
    assert await search_names(engine) == ["Mentorhuset"]
    actions = [d["action"] for d in await Decision.select(Decision.action).order_by(Decision.id)]
    assert actions == ["suspend", "reinstate"]


@pytest.mark.parametrize("use_case", ["suspend_provider", "revoke_provider", "reinstate_provider"])
async def test_status_decisions_require_a_reason(engine, use_case: str) -> None:
    authority = await make_user("authority")
    provider = await make_provider(status="suspended" if use_case == "reinstate_provider" else "active")
    with pytest.raises(InvalidInput) as refused:
        await getattr(decisions, use_case)(provider["id"], by=authority, reason="", expected_version=provider["version"])
    assert refused.value.field == "reason"
    assert await Decision.count() == 0


async def test_a_status_decision_that_does_not_fit_the_status_is_a_conflict(engine) -> None:
    authority = await make_user("authority")
    provider = await make_provider()
    with pytest.raises(Conflict) as refused:
        await decisions.reinstate_provider(provider["id"], by=authority, reason="?", expected_version=provider["version"])
    assert refused.value.da == "Aktøren kan ikke genoptages, fordi den er aktiv."


async def test_only_a_submitted_revision_can_be_decided(engine) -> None:
    authority = await make_user("authority")
    draft = (await make_provider(approved=False))["revision"]
    with pytest.raises(Conflict):
        await decisions.approve_revision(draft["id"], by=authority, checklist=ALL_MET, expected_version=draft["version"])
    assert await ListingRevision.count().where(ListingRevision.status == "approved") == 0
    assert await Decision.count() == 0


async def test_approving_a_change_of_a_suspended_provider_keeps_it_suspended(engine) -> None:
    authority = await make_user("authority")
    provider = await make_provider(name="Mentorhuset", status="suspended")
    revision = await submit_revision(provider["id"], description="Rettet beskrivelse.")

    await decisions.approve_revision(revision["id"], by=authority, checklist=ALL_MET,
                                     expected_version=revision["version"])

    assert (await provider_row(provider["id"]))["status"] == "suspended"
    await index_all(engine)
    assert await search_names(engine) == []
