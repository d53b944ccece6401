"""Use cases for public provider data: search, the provider page, the API document, open data.

Search reads the index; a provider's page and its API document read the database (the truth).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable

from piccolo.query.functions.aggregate import Avg, Count

from marketplace.errors import NotFound
from marketplace.piccolo_conf import DB
from marketplace.outcomes import services as outcomes
from marketplace.reference import AGE_BANDS, TARGET_GROUPS
from marketplace.providers.freshness import is_stale
from marketplace.providers.tables import Decision, ListingRevision, Provider
from marketplace.reviews.tables import Review
from search import queries, sync
from search.client import SearchEngine
from search.documents import ProviderSnapshot, is_public, provider_document
from search.queries import SearchParams, SearchResult

async def search_providers(
    engine: SearchEngine, params: SearchParams, retrieve: list[str] | None = None, light: bool = False
) -> SearchResult:
    """Run a citizen search; `retrieve` limits the hits' fields (default: all, as the API shows
    them; the search page asks only for what a result card shows), `light` leaves them in
    `sources` but for the id and the place (search.queries.search)."""
    return await queries.search(engine, params, retrieve, light)


@dataclass
class ProviderPage:
    """Everything the public provider page shows."""

    provider: dict[str, Any]
    revision: dict[str, Any] | None
    document: dict[str, Any] | None  # the public document (same shape as the API); None when not public
    people_like_me: dict[str, Any] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    stale: bool = False
    results: dict[str, Any] | None = None  # newest ProviderResult row (results, results_by_target_group, …)
    national: dict[str, Any] | None = None  # newest NationalResult row: the levels the chart compares with
    chosen: PeopleLikeMe | None = None  # "people like me" for the target group / age band asked for

    @property
    def chart_rows(self) -> list[outcomes.ChartRow]:
        """The results chart's lines: overall, then target groups with courses or in the listing."""
        listed = [t["slug"] for t in (self.revision or {}).get("target_groups") or []]
        return outcomes.chart_rows(self.results, self.national, listed)


@dataclass(frozen=True)
class PeopleLikeMe:
    """The numbers shown for a citizen's own situation, and which level they come from."""

    target_group: str | None
    age_band: str | None
    stats: dict[str, Any] | None
    level: str  # "target_group_age_band", "target_group" or "overall" (see choose_people_like_me)


async def provider_page(
    slug: str, target_group: str | None = None, age_band: str | None = None,
    national: Callable[[], Awaitable[dict[str, Any] | None]] | None = None,
) -> ProviderPage:
    """The public page of a provider that has been approved at least once; NotFound otherwise.
    With a target group (and age band) it also picks the "people like me" numbers; unknown values
    are ignored. Read in one transaction (one connection, one consistent view: on SQLite every
    query outside a transaction opens a connection of its own). `national` loads the newest
    national results (default: from the database; the page cache keeps them between imports)."""
    async with DB.transaction():
        provider = await Provider.select().where(Provider.slug == slug).first()
        if provider is None or provider["status"] == Provider.Status.registered:
            raise NotFound(f"Ingen godkendt aktør med adressen {slug[:60]}.", f"No approved provider at {slug[:60]}.")
        pid = provider["id"]
        revision = await (
            ListingRevision.select()
            .where(ListingRevision.provider == pid, ListingRevision.status == ListingRevision.Status.approved)
            .first().output(load_json=True)
        )
        latest = await outcomes.latest_results(pid)
        rating = await (
            Review.select(Avg(Review.rating, alias="avg"), Count(alias="n"))
            .where(Review.provider == pid,
                   Review.text_status.is_in([Review.TextStatus.none.value, Review.TextStatus.published.value]))
            .first()
        )
        reviews = await (
            Review.select(Review.rating, Review.text, Review.reply, Review.created_at, Review.reply_at)
            .where(Review.provider == pid, Review.text_status == Review.TextStatus.published)
            .order_by(Review.created_at, ascending=False).limit(20)
        )
        decisions = await (
            Decision.select(Decision.action, Decision.reason, Decision.decided_at)
            .where(Decision.provider == pid).order_by(Decision.decided_at, ascending=False)
        )
        national_row = await (national or outcomes.latest_national)() if latest else None
    # The same snapshot search.sync.load_snapshots builds for the index (so the page and the index agree).
    snap = ProviderSnapshot(
        provider=provider, revision=revision, results=(latest or {}).get("results") or {},
        results_by_target_group=(latest or {}).get("results_by_target_group") or {},
        review_avg=float(rating["avg"]) if rating and rating["avg"] is not None else None,
        review_count=int(rating["n"]) if rating else 0,
        stale=is_stale(provider["last_confirmed_at"]), method_version=(latest or {}).get("method_version"),
    )
    target_group = target_group if target_group in TARGET_GROUPS else None
    age_band = age_band if target_group and age_band in AGE_BANDS else None
    chosen = None
    if target_group:
        stats, level = outcomes.choose_people_like_me(latest, target_group, age_band)
        chosen = PeopleLikeMe(target_group, age_band, stats, level)
    return ProviderPage(
        provider=provider,
        revision=revision,
        document=provider_document(snap) if is_public(snap) else None,
        people_like_me=(latest or {}).get("people_like_me") or {},
        reviews=reviews,
        decisions=decisions,
        stale=snap.stale,
        results=latest,
        national=national_row,
        chosen=chosen,
    )


async def public_document(provider_id: int) -> dict[str, Any]:
    """The public document of a provider, read from the database; NotFound when not public."""
    snaps = await sync.load_snapshots([provider_id])
    snap = snaps.get(provider_id)
    if snap is None or not is_public(snap):
        raise NotFound(f"Ingen offentlig aktør med id {provider_id}.", f"No public provider with id {provider_id}.")
    return provider_document(snap)


async def iter_public_documents(batch: int = 500) -> AsyncIterator[dict[str, Any]]:
    """Every public provider's document, in id order, read in batches (for open data)."""
    ids = await sync.public_provider_ids()
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        snaps = await sync.load_snapshots(chunk)
        for pid in chunk:
            snap = snaps.get(pid)
            if snap is not None and is_public(snap):
                yield provider_document(snap)


async def approved_revision_count() -> int:
    """How many approved listings exist (for health and start-up checks)."""
    return await ListingRevision.count().where(ListingRevision.status == ListingRevision.Status.approved)
