"""Factories: valid, deterministic rows for tests, and the search engines and app clients they run
against. Say only what the test is about.

    await make_provider()                                   # active, approved listing in Aarhus
    await make_provider(name="Mentorhuset", municipalities=[101], postcode="2100")
    await make_provider(status="suspended")                 # in the database, never public
    await make_provider(approved=False)                     # a draft only
    await make_provider(results={"courses": 40, "success_rate": 0.5, "score": 1.1, "stars": 4})
    await make_provider(reviews=[4, 5])                     # two citizens with ended enrolments
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import unicodedata
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any, AsyncIterator

import httpx
from litestar import Litestar

from marketplace.accounts.tables import User
from marketplace.db import write_transaction
from marketplace.enrolments.tables import Enrolment
from marketplace.outcomes.tables import ProviderResult
from marketplace.providers.tables import ListingRevision, Provider
from marketplace.reference import postcode as find_postcode
from marketplace.reviews.tables import Review
from search import outbox, sync
from search.client import SearchEngine
from search.documents import index_document, is_public
from search.server import free_port

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)

_numbers = itertools.count(1)
_cvr_bases = itertools.count(2_345_601)

PROVIDER_FIELDS = {"cvr", "name", "slug", "type", "status", "last_confirmed_at", "created_at"}
REVISION_FIELDS = {
    "description", "method", "municipalities", "remote", "offices", "target_groups", "services", "languages",
    "capacity", "waiting_weeks", "first_contact_days", "contact",
}


def cvr_is_valid(cvr: str) -> bool:
    """8 digits, no leading 0, weighted digit sum divisible by 11."""
    return (len(cvr) == 8 and cvr.isdigit() and cvr[0] != "0"
            and sum(int(d) * w for d, w in zip(cvr, CVR_WEIGHTS)) % 11 == 0)


def next_cvr() -> str:
    """The next valid CVR number (seven digits from a counter plus the modulus-11 check digit)."""
    while True:
        base = str(next(_cvr_bases))
        check = -sum(int(d) * w for d, w in zip(base, CVR_WEIGHTS)) % 11
        if check < 10:
            cvr = base + str(check)
            assert cvr_is_valid(cvr)
            return cvr


def slugify(text: str) -> str:
    text = text.lower().translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def office(postcode: str, address: str = "Testvej 1") -> dict[str, Any]:
    """An office at a postcode's centre."""
    pc = find_postcode(postcode)
    assert pc is not None, f"unknown postcode {postcode}"
    return {"address": address, "postcode": pc.code, "city": pc.name, "lat": pc.lat, "lon": pc.lon}


def default_revision() -> dict[str, Any]:
    return {
        "description": "Vi hjælper dig videre med personlige samtaler, en fast kontaktperson og en plan, "
                       "der passer til din hverdag.",
        "method": "Vi starter med en samtale om dine ønsker og erfaringer. Derefter lægger vi en plan "
                  "sammen og følger op hver uge.",
        "municipalities": [751],
        "remote": False,
        "offices": [office("8000")],
        "target_groups": [{"slug": "dagpenge", "years": 5}],
        "services": [{"slug": "jobsamtaler", "price_dkk": 5000, "duration_weeks": 8}],
        "languages": ["da"],
        "capacity": "open",
        "waiting_weeks": 0,
        "first_contact_days": 5,
        "contact": {"email": "kontakt@aktoer.example", "phone": "+45 70 00 00 00", "website": "https://aktoer.example"},
    }


async def make_provider(
    *,
    approved: bool = True,
    postcode: str | None = None,
    results: dict[str, Any] | None = None,
    results_by_target_group: dict[str, dict[str, Any]] | None = None,
    reviews: list[int] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A provider with an approved listing (or only a draft when `approved=False`), written in one
    write transaction with its outbox event. Provider and revision fields are overridable by name;
    `postcode` puts the one office at that postcode. Returns the provider row plus `revision`."""
    unknown = set(overrides) - PROVIDER_FIELDS - REVISION_FIELDS
    assert not unknown, f"make_provider got unknown fields: {sorted(unknown)}"
    n = next(_numbers)
    now = datetime.now(timezone.utc)
    name = overrides.get("name", f"Testaktør {n:04d}")
    provider_values = {
        "cvr": next_cvr(),
        "name": name,
        "slug": f"{slugify(name)}-{n}",
        "type": "privat",
        "status": "active" if approved else "registered",
        "last_confirmed_at": now,
        **{k: v for k, v in overrides.items() if k in PROVIDER_FIELDS},
    }
    revision_values = {**default_revision(), **{k: v for k, v in overrides.items() if k in REVISION_FIELDS}}
    if postcode is not None and "offices" not in overrides:
        revision_values["offices"] = [office(postcode)]

    async with write_transaction():
        provider = Provider(**provider_values)
        await provider.save()
        revision = ListingRevision(
            provider=provider.id, number=1,
            status=ListingRevision.Status.approved if approved else ListingRevision.Status.draft,
            submitted_at=now if approved else None, decided_at=now if approved else None,
            **revision_values,
        )
        await revision.save()
        if results is not None or results_by_target_group is not None:
            await ProviderResult(
                provider=provider.id, method_version="test-1", results=results or {},
                results_by_target_group=results_by_target_group or {},
            ).save()
        for i, rating in enumerate(reviews or []):
            citizen = User(email=f"borger-{n}-{i}@test.invalid", password_hash="", role=User.Role.citizen,
                           display_name=f"Borger {n}-{i}", target_group="dagpenge", age_band="30-39")
            await citizen.save()
            enrolment = Enrolment(reference=f"T{n:05d}-{i:03d}", citizen=citizen.id, provider=provider.id,
                                  target_group="dagpenge", service="jobsamtaler", status=Enrolment.Status.ended,
                                  started_at=now, ended_at=now)
            await enrolment.save()
            await Review(enrolment=enrolment.id, provider=provider.id, rating=rating).save()
        await outbox.enqueue(provider.id, "test")

    row = await Provider.select().where(Provider.id == provider.id).first()
    assert row is not None
    row["revision"] = await ListingRevision.select().where(ListingRevision.id == revision.id).first().output(
        load_json=True
    )
    return row


async def set_status(provider_id: int, status: str) -> None:
    """Change a provider's status the way a use case does: with its outbox event, in one transaction."""
    async with write_transaction():
        await Provider.update({Provider.status: status}).where(Provider.id == provider_id)
        await outbox.enqueue(provider_id, "test-status")


async def index_all(engine: SearchEngine) -> int:
    """Deliver every pending outbox event to `engine` (waits for Meilisearch to apply them)."""
    return await sync.drain_all(engine)


# -- reading back ------------------------------------------------------------------------------------
def indexed_documents(engine: SearchEngine) -> dict[int, dict[str, Any]]:
    """Every document in the engine's index, by id (blocking)."""
    return {doc.id: dict(doc) for doc in engine.index.get_documents({"limit": 1000}).results}


async def database_documents() -> dict[int, dict[str, Any]]:
    """What the index should hold: every public provider's document built from the database, as
    JSON would carry it."""
    ids = [row["id"] for row in await Provider.select(Provider.id)]
    snaps = await sync.load_snapshots(ids)
    return {pid: json.loads(json.dumps(index_document(s))) for pid, s in snaps.items() if is_public(s)}


# -- search engines and app clients ------------------------------------------------------------------
@dataclass(frozen=True)
class Meili:
    """Where a Meilisearch server answers."""

    url: str
    key: str


def new_engine(meili: Meili) -> SearchEngine:
    """A SearchEngine on a fresh, configured index uid with its own outbox cursor (blocking).
    The caller deletes the index."""
    uid = f"t_{uuid.uuid4().hex[:8]}"
    engine = SearchEngine(meili.url, meili.key or None, uid, target_name=f"test-{uid}")
    engine.ensure_index()
    return engine


def down_engine() -> SearchEngine:
    """A SearchEngine on a loopback port where nothing listens: Meilisearch is down."""
    return SearchEngine(f"http://127.0.0.1:{free_port()}", "key", "providers", target_name="down")


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan, entered and left in one task of its own: Litestar's lifespan holds an
    anyio task group, which must be exited by the task that entered it, while pytest-asyncio runs a
    fixture's setup and teardown in different tasks."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait([task, waiter], timeout=30, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # start-up failed: raise its error
    assert started.is_set(), "the app did not start within 30 s"
    try:
        yield
    finally:
        stop.set()
        await task


@asynccontextmanager
async def app_client(engine: SearchEngine) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to the real app (`create_app`, lifespan running, no outbox worker) on this event loop.

    Not `litestar.testing.AsyncTestClient`: that client runs the app (lifespan and requests) on a
    blocking portal, another thread with its own event loop, and an asyncpg pool belongs to the
    loop that made it. Here the app, its pool and the test share one loop."""
    from marketplace.app import create_app

    app = create_app(search_engine=engine, run_outbox_worker=False)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
            yield http


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values.setdefault(self._select, []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_values(page: str) -> dict[str, list[str]]:
    """What a page's form would submit: text inputs, checked boxes, selected options, by name."""
    reader = _FormReader()
    reader.feed(page)
    return reader.values
