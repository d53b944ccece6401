"""Read models of the authority's back office: the front page's counts, the queue of pending
revisions, a revision's field-by-field diff against the public revision, the provider list and
page, and browsing the audit log. Reads only: the decisions themselves are
`marketplace.providers.decisions`.

    counts = await home_counts()
    queue = await pending_revisions()                 # oldest first
    review = await revision_review(revision_id)       # .sections is the diff, .auto the pre-checks
    page = await audit_page(parse_audit_filter(query), page=1)
"""
from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Mapping

from piccolo.query.functions.aggregate import Count

from marketplace.accounts.tables import User
from marketplace.audit.tables import AuditEntry
from marketplace.errors import InvalidInput, NotFound
from marketplace.providers import standards
from marketplace.providers.freshness import CONFIRM_EVERY_DAYS, is_stale
from marketplace.providers.tables import Decision, ListingRevision, Provider
from marketplace.reference import LANGUAGES, SERVICES, TARGET_GROUPS, Label, municipalities

PER_PAGE = 50


# -- the front page ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HomeCounts:
    pending: int
    stale: int
    flagged: int
    by_status: dict[str, int]


async def stale_provider_count() -> int:
    """Active providers whose listing is past the confirmation period. Uses the provider
    self-service's `stale_providers()` when it is there (one rule), else the freshness rule."""
    try:
        from marketplace.providers.listing import stale_providers  # type: ignore[attr-defined]
    except ImportError:
        rows = await Provider.select(Provider.last_confirmed_at).where(Provider.status == Provider.Status.active)
        return sum(1 for r in rows if is_stale(r["last_confirmed_at"]))
    return len(await stale_providers())


async def flagged_count() -> int:
    """Providers under the result requirement (outcomes' read model)."""
    from marketplace.outcomes.services import flagged_providers

    return len(await flagged_providers())


async def home_counts() -> HomeCounts:
    """What the authority's front page counts."""
    pending = await ListingRevision.count().where(ListingRevision.status == ListingRevision.Status.submitted)
    rows = await Provider.select(Provider.status, Count(alias="n")).group_by(Provider.status)
    return HomeCounts(pending=pending, stale=await stale_provider_count(), flagged=await flagged_count(),
                      by_status={r["status"]: r["n"] for r in rows})


# -- the queue ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QueueItem:
    revision_id: int
    number: int
    version: int
    submitted_at: datetime | None
    provider_id: int
    provider_name: str
    cvr: str
    provider_status: str
    first: bool  # no approved revision yet: a first application


async def pending_revisions() -> list[QueueItem]:
    """Submitted revisions, oldest first."""
    rows = await (
        ListingRevision.select(
            ListingRevision.id, ListingRevision.number, ListingRevision.version, ListingRevision.submitted_at,
            ListingRevision.provider.id, ListingRevision.provider.name, ListingRevision.provider.cvr,
            ListingRevision.provider.status,
        )
        .where(ListingRevision.status == ListingRevision.Status.submitted)
        .order_by(ListingRevision.submitted_at).order_by(ListingRevision.id)
    )
    ids = [r["provider.id"] for r in rows]
    approved = set()
    if ids:
        approved = {r["provider"] for r in await ListingRevision.select(ListingRevision.provider).where(
            ListingRevision.provider.is_in(ids), ListingRevision.status == ListingRevision.Status.approved)}
    return [
        QueueItem(revision_id=r["id"], number=r["number"], version=r["version"], submitted_at=r["submitted_at"],
                  provider_id=r["provider.id"], provider_name=r["provider.name"], cvr=r["provider.cvr"],
                  provider_status=r["provider.status"], first=r["provider.id"] not in approved)
        for r in rows
    ]


# -- the diff ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Segment:
    """A run of words in a text diff: `op` is "equal", "insert" or "delete"."""

    op: str
    text: str


@dataclass(frozen=True, slots=True)
class Place:
    """A municipality, or a whole region / the whole country when all its municipalities are in."""

    name: str
    kind: str = "municipality"  # "municipality", "region" or "country"
    count: int = 1


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One target group, service or office: added, removed, changed or the same."""

    kind: str
    name: Label | str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    changed_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One plain value (capacity, contact e-mail, remote …) before and after."""

    key: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(slots=True)
class DiffSection:
    """One field of the listing compared: `status` is "new" (first application), "changed" or
    "unchanged"; the other fields depend on the section's kind."""

    key: str
    status: str
    segments: list[Segment] = field(default_factory=list)
    added: list[Any] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)
    kept: list[Any] = field(default_factory=list)
    items: list[ItemChange] = field(default_factory=list)
    values: list[ValueChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


def _tokens(text: str) -> list[str]:
    return re.findall(r"\s+|[^\s]+", text or "")


def text_segments(old: str, new: str) -> list[Segment]:
    """A word-level diff of two texts. Changes separated only by whitespace are shown as one
    deletion and one insertion, so a rewritten sentence reads as a whole."""
    a, b = _tokens(old), _tokens(new)
    raw: list[tuple[str, str, str]] = []  # (op, old text, new text)
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        raw.append((op, "".join(a[i1:i2]), "".join(b[j1:j2])))
    segments: list[Segment] = []
    deleted, inserted = "", ""

    def flush() -> None:
        nonlocal deleted, inserted
        if deleted.strip():
            segments.append(Segment("delete", deleted))
        if inserted.strip():
            segments.append(Segment("insert", inserted))
        elif inserted and not deleted.strip():
            segments.append(Segment("equal", inserted))
        deleted = inserted = ""

    for index, (op, before, after) in enumerate(raw):
        if op == "equal":
            between_changes = 0 < index < len(raw) - 1 and not before.strip()
            if between_changes and (deleted or inserted):
                deleted += before
                inserted += after
                continue
            flush()
            segments.append(Segment("equal", before))
        else:
            deleted += before
            inserted += after
    flush()
    return segments


def places(codes: Iterable[int]) -> list[Place]:
    """Municipality codes as names, with complete regions (and the whole country) collapsed."""
    known = municipalities()
    chosen = {int(c) for c in codes if int(c) in known}
    if not chosen:
        return []
    if chosen == set(known):
        return [Place("", "country", len(known))]
    result: list[Place] = []
    by_region: dict[int, list[int]] = {}
    for code, m in known.items():
        by_region.setdefault(m.region_code, []).append(code)
    for region_code, members in sorted(by_region.items()):
        inside = [c for c in members if c in chosen]
        if len(inside) == len(members):
            result.append(Place(known[members[0]].region_name, "region", len(members)))
        else:
            result.extend(Place(known[c].name) for c in sorted(inside, key=lambda c: known[c].name))
    return result


def _status(first: bool, changed: bool) -> str:
    return "new" if first else "changed" if changed else "unchanged"


def _text_section(key: str, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> DiffSection:
    before, after = (old or {}).get(key) or "", new.get(key) or ""
    if old is None:
        return DiffSection(key, "new", segments=[Segment("insert", after)])
    return DiffSection(key, _status(False, before != after), segments=text_segments(before, after))


def _set_section(key: str, before: set[Any], after: set[Any], first: bool, render: Any) -> DiffSection:
    return DiffSection(key, _status(first, before != after), added=render(after - before),
                       removed=render(before - after), kept=render(after & before))


def _coverage_section(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> DiffSection:
    before = {int(c) for c in (old or {}).get("municipalities") or []}
    after = {int(c) for c in new.get("municipalities") or []}
    section = _set_section("coverage", before, after, old is None, places)
    remote = ValueChange("remote", bool((old or {}).get("remote")) if old is not None else None, bool(new.get("remote")))
    section.values = [remote]
    if old is not None and remote.changed:
        section.status = "changed"
    return section


def _labels(catalogue: Mapping[str, Label]) -> Any:
    def render(slugs: Iterable[str]) -> list[Label | str]:
        return [catalogue.get(s, s) for s in sorted(slugs, key=lambda s: (catalogue[s].da if s in catalogue else s))]
    return render


def _items_section(key: str, old_items: list[dict[str, Any]] | None, new_items: list[dict[str, Any]],
                   ident: Any, name: Any, fields: tuple[str, ...]) -> DiffSection:
    before = {ident(i): i for i in old_items or []}
    after = {ident(i): i for i in new_items}
    items: list[ItemChange] = []
    for k, item in after.items():
        if old_items is None or k not in before:
            items.append(ItemChange("added", name(item), None, item))
            continue
        changed = tuple(f for f in fields if before[k].get(f) != item.get(f))
        items.append(ItemChange("changed" if changed else "same", name(item), before[k], item, changed))
    items.extend(ItemChange("removed", name(i), i, None) for k, i in before.items() if k not in after)
    order = {"changed": 0, "added": 1, "removed": 2, "same": 3}
    items.sort(key=lambda c: order[c.kind])
    changed = any(c.kind != "same" for c in items)
    return DiffSection(key, _status(old_items is None, changed), items=items)


def _values_section(key: str, keys: list[str], old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> DiffSection:
    values = [ValueChange(k, None if old is None else old.get(k), new.get(k)) for k in keys]
    return DiffSection(key, _status(old is None, any(v.changed for v in values)), values=values)


CONTACT_KEYS = ["email", "phone", "website"]


def revision_diff(public: Mapping[str, Any] | None, revision: Mapping[str, Any]) -> list[DiffSection]:
    """Every field of `revision` compared with the public (approved) revision; with no public
    revision (a first application) every section is "new"."""
    old = public
    first = old is None
    old_contact = None if first else dict(old.get("contact") or {})
    new_contact = dict(revision.get("contact") or {})
    contact_keys = CONTACT_KEYS + sorted((set(new_contact) | set(old_contact or {})) - set(CONTACT_KEYS))
    return [
        _text_section("description", old, revision),
        _text_section("method", old, revision),
        _coverage_section(old, revision),
        _items_section("target_groups", None if first else list(old.get("target_groups") or []),
                       list(revision.get("target_groups") or []), lambda i: i.get("slug"),
                       lambda i: TARGET_GROUPS.get(i.get("slug"), i.get("slug")), ("years",)),
        _items_section("services", None if first else list(old.get("services") or []),
                       list(revision.get("services") or []), lambda i: i.get("slug"),
                       lambda i: SERVICES.get(i.get("slug"), i.get("slug")), ("price_dkk", "duration_weeks")),
        _set_section("languages", set() if first else set(old.get("languages") or []),
                     set(revision.get("languages") or []), first, _labels(LANGUAGES)),
        _items_section("offices", None if first else list(old.get("offices") or []),
                       list(revision.get("offices") or []),
                       lambda i: (str(i.get("address") or "").strip().lower(), str(i.get("postcode") or "")),
                       lambda i: f"{i.get('address') or ''}, {i.get('postcode') or ''} {i.get('city') or ''}".strip(", "),
                       ("lat", "lon")),
        _values_section("capacity", ["capacity", "waiting_weeks", "first_contact_days"], old, revision),
        _values_section("contact", contact_keys, old_contact, new_contact),
    ]


# -- one revision under review -----------------------------------------------------------------------
@dataclass
class RevisionReview:
    revision: dict[str, Any]
    provider: dict[str, Any]
    public: dict[str, Any] | None  # the approved revision the diff compares with (None: first application)
    sections: list[DiffSection]
    auto: dict[str, standards.AutoCheck]
    decision: dict[str, Any] | None  # the decision on this revision, once decided
    history: list[dict[str, Any]]  # the provider's decisions, newest first

    @property
    def first(self) -> bool:
        return self.public is None

    @property
    def pending(self) -> bool:
        return self.revision["status"] == ListingRevision.Status.submitted

    @property
    def changed_count(self) -> int:
        return sum(1 for s in self.sections if s.status == "changed")


async def decisions_of(provider_id: int, revision_id: int | None = None) -> list[dict[str, Any]]:
    """A provider's decisions (or one revision's), newest first, with the decider's e-mail."""
    query = Decision.select().where(Decision.provider == provider_id)
    if revision_id is not None:
        query = Decision.select().where(Decision.revision == revision_id)
    rows = await query.order_by(Decision.decided_at, ascending=False).order_by(Decision.id, ascending=False).output(
        load_json=True)
    ids = {r["decided_by"] for r in rows if r["decided_by"] is not None}
    emails = {}
    if ids:
        emails = {u["id"]: u["email"] for u in await User.select(User.id, User.email).where(User.id.is_in(sorted(ids)))}
    for r in rows:
        r["decided_by_email"] = emails.get(r["decided_by"], "")
    return rows


async def revision_review(revision_id: int) -> RevisionReview:
    """A submitted or decided revision with its diff against the public revision (for a decided
    one: the revision public before it), the pre-checks and the history. Drafts are NotFound."""
    revision = await ListingRevision.select().where(ListingRevision.id == revision_id).first().output(load_json=True)
    if revision is None or revision["status"] == ListingRevision.Status.draft:  # a draft is the provider's own
        raise NotFound(f"Ingen ansøgning med nummer {revision_id}.", f"No application with number {revision_id}.")
    provider = await Provider.select().where(Provider.id == revision["provider"]).first()
    assert provider is not None
    if revision["status"] == ListingRevision.Status.submitted:
        public = await ListingRevision.select().where(
            ListingRevision.provider == provider["id"], ListingRevision.status == ListingRevision.Status.approved
        ).first().output(load_json=True)
    else:  # a decided revision is compared with the revision that was public before it
        public = await ListingRevision.select().where(
            ListingRevision.provider == provider["id"], ListingRevision.number < revision["number"],
            ListingRevision.status.is_in([ListingRevision.Status.approved, ListingRevision.Status.superseded]),
        ).order_by(ListingRevision.number, ascending=False).first().output(load_json=True)
    own = await decisions_of(provider["id"], revision_id)
    return RevisionReview(
        revision=revision, provider=provider, public=public, sections=revision_diff(public, revision),
        auto=standards.precheck(provider, revision), decision=own[0] if own else None,
        history=await decisions_of(provider["id"]),
    )


async def decision_summary(decision_id: int) -> dict[str, Any] | None:
    """A decision with its provider's name (for the confirmation after a POST)."""
    row = await Decision.select(
        Decision.id, Decision.action, Decision.revision, Decision.provider.id, Decision.provider.name,
        Decision.provider.status,
    ).where(Decision.id == decision_id).first()
    return row


# -- providers ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProviderListPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    status: str
    q: str
    stale: bool = False


PROVIDER_STATUSES = tuple(s.value for s in Provider.Status)


async def provider_list(*, status: str = "", q: str = "", stale: bool = False, page: int = 1) -> ProviderListPage:
    """Providers by name, optionally of one status, matching a name / CVR, or only active ones with
    a stale listing; 50 a page. Each row says whether it has a public listing and a pending revision."""
    status = status if status in PROVIDER_STATUSES else ""
    q = (q or "").strip()[:100]
    clauses = []
    if status:
        clauses.append(Provider.status == status)
    if stale:  # the freshness rule (`is_stale`) in SQL
        cutoff = datetime.now(timezone.utc) - timedelta(days=CONFIRM_EVERY_DAYS)
        clauses.append(Provider.status == Provider.Status.active)
        clauses.append(Provider.last_confirmed_at.is_null() | (Provider.last_confirmed_at < cutoff))
    if q:
        clauses.append(Provider.name.ilike(f"%{_like_escape(q)}%") | (Provider.cvr == q))
    count_query = Provider.count()
    select = Provider.select(Provider.id, Provider.name, Provider.cvr, Provider.slug, Provider.status,
                             Provider.version, Provider.last_confirmed_at)
    if clauses:
        count_query = count_query.where(*clauses)
        select = select.where(*clauses)
    total = await count_query
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    rows = await select.order_by(Provider.name).order_by(Provider.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ids = [r["id"] for r in rows]
    approved: set[int] = set()
    pending: dict[int, int] = {}
    if ids:
        for r in await ListingRevision.select(ListingRevision.id, ListingRevision.provider, ListingRevision.status).where(
            ListingRevision.provider.is_in(ids),
            ListingRevision.status.is_in([ListingRevision.Status.approved, ListingRevision.Status.submitted]),
        ):
            if r["status"] == ListingRevision.Status.approved:
                approved.add(r["provider"])
            else:
                pending.setdefault(r["provider"], r["id"])
    for r in rows:
        r["public_listing"] = r["id"] in approved
        r["pending_revision"] = pending.get(r["id"])
        r["stale"] = r["status"] == "active" and is_stale(r["last_confirmed_at"])
    return ProviderListPage(rows=rows, total=total, page=page, pages=pages, status=status, q=q, stale=stale)


@dataclass
class ProviderDetail:
    provider: dict[str, Any]
    approved: dict[str, Any] | None
    revisions: list[dict[str, Any]]  # every revision, newest first (no content)
    history: list[dict[str, Any]]

    @property
    def stale(self) -> bool:
        return self.provider["status"] == "active" and is_stale(self.provider["last_confirmed_at"])


async def provider_detail(provider_id: int) -> ProviderDetail:
    """A provider as the authority sees it: status, version, revisions and decisions."""
    provider = await Provider.select().where(Provider.id == provider_id).first()
    if provider is None:
        raise NotFound(f"Ingen aktør med nummer {provider_id}.", f"No provider with number {provider_id}.")
    revisions = await ListingRevision.select(
        ListingRevision.id, ListingRevision.number, ListingRevision.status, ListingRevision.submitted_at,
        ListingRevision.decided_at, ListingRevision.created_at,
    ).where(ListingRevision.provider == provider_id).order_by(ListingRevision.number, ascending=False)
    approved = next((r for r in revisions if r["status"] == ListingRevision.Status.approved), None)
    return ProviderDetail(provider=provider, approved=approved, revisions=revisions,
                          history=await decisions_of(provider_id))


# -- the audit log -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the audit page filters on; `typed` keeps the form's values as typed."""

    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None
    typed: dict[str, str] = field(default_factory=dict)

    def query_string(self, **override: Any) -> str:
        """The filter as a query string (for pagination links)."""
        from urllib.parse import urlencode

        values = {k: v for k, v in {**self.typed, **override}.items() if v not in ("", None)}
        return urlencode(values)


AUDIT_FIELDS = ("action", "actor", "object_type", "object_id", "from", "to")


def _parse_date(value: str, field_name: str, da: str, en: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field_name, f"{da} skal være en dato som 2026-03-03.",
                           f"{en} must be a date like 2026-03-03.") from None


def parse_audit_filter(query: Mapping[str, str]) -> tuple[AuditFilter, list[InvalidInput]]:
    """The filter from the page's query string, and the errors in it (bad dates are ignored)."""
    typed = {k: str(query.get(k) or "").strip()[:200] for k in AUDIT_FIELDS}
    errors: list[InvalidInput] = []
    dates: dict[str, date | None] = {}
    for key, da, en in (("from", "Fra-datoen", "The from date"), ("to", "Til-datoen", "The to date")):
        try:
            dates[key] = _parse_date(typed[key], f"audit-{key}", da, en)
        except InvalidInput as exc:
            errors.append(exc)
            dates[key] = None
    if dates.get("from") and dates.get("to") and dates["from"] > dates["to"]:  # type: ignore[operator]
        errors.append(InvalidInput("audit-to", "Til-datoen skal være samme dag som eller efter fra-datoen.",
                                   "The to date must be on or after the from date."))
        dates["to"] = None
    return AuditFilter(action=typed["action"], actor=typed["actor"], object_type=typed["object_type"],
                       object_id=typed["object_id"], date_from=dates.get("from"), date_to=dates.get("to"),
                       typed=typed), errors


def _like_escape(text: str) -> str:
    return text.replace("%", "").replace("_", " ").strip()


def _audit_clauses(f: AuditFilter) -> list[Any]:
    clauses: list[Any] = []
    if f.action:
        clauses.append(AuditEntry.action == f.action)
    if f.actor:
        label = AuditEntry.actor_label.ilike(f"%{_like_escape(f.actor)}%")
        clauses.append((AuditEntry.actor_id == int(f.actor)) | label if f.actor.isdigit() else label)
    if f.object_type:
        clauses.append(AuditEntry.object_type == f.object_type)
    if f.object_id:
        clauses.append(AuditEntry.object_id == f.object_id)
    if f.date_from:
        clauses.append(AuditEntry.at >= datetime.combine(f.date_from, time.min, tzinfo=timezone.utc))
    if f.date_to:
        clauses.append(AuditEntry.at < datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=timezone.utc))
    return clauses


@dataclass(frozen=True, slots=True)
class AuditChange:
    key: str
    before: str | None  # JSON text, None when the key is absent
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[AuditChange]:
    """An entry's before/after as one row per key (keys in before first)."""
    before, after = dict(before or {}), dict(after or {})
    keys = list(before) + [k for k in after if k not in before]
    return [AuditChange(k, _show(before[k]) if k in before else None, _show(after[k]) if k in after else None)
            for k in keys]


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    actions: list[str]
    object_types: list[str]


async def audit_page(f: AuditFilter, page: int = 1) -> AuditPage:
    """One page (50) of the audit log, newest first, filtered; with the choices for the filters."""
    clauses = _audit_clauses(f)
    count_query = AuditEntry.count()
    select = AuditEntry.select()
    if clauses:
        count_query = count_query.where(*clauses)
        select = select.where(*clauses)
    total = await count_query
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    rows = await (select.order_by(AuditEntry.at, ascending=False).order_by(AuditEntry.id, ascending=False)
                  .limit(PER_PAGE).offset((page - 1) * PER_PAGE).output(load_json=True))
    for r in rows:
        r["changes"] = audit_changes(r["before"], r["after"])
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action)]
    types = [r["object_type"] for r in await AuditEntry.select(AuditEntry.object_type).distinct()
             .order_by(AuditEntry.object_type)]
    return AuditPage(entries=rows, total=total, page=page, pages=pages, actions=actions, object_types=types)
