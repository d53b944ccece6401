"""Provider self-service use cases: registration, the draft listing, submission for approval,
capacity and contact, and freshness (confirming the listing).

    provider, user = await register_provider(registration)
    overview = await provider_overview(user)              # everything /provider shows
    state = await editor_state(user)                      # what /provider/listing edits
    draft = await save_draft(user, content, base_id=…, version=…, submit=False)
    await submit_revision(user, revision_id=…, version=…)
    await withdraw_revision(user, revision_id=…, version=…)   # submitted → draft, before the decision
    await update_capacity(user, values, revision_id=…, version=…, confirm=False)
    await confirm_listing(user)
    rows = await stale_providers()                        # for the authority

Every function takes the logged-in provider member and works on *their* provider only
(`user.provider`): every query is scoped to it, and an id from a form that belongs to another
provider is refused with `Forbidden` (the object check). Each use case that writes is one
`write_transaction()` with its audit entry, and with its outbox event when the public listing can
change.

Revisions, from the provider's side (the model is in `tables.py`):

- **draft** — at most one per provider; the editor changes it in place. Saving when there is no
  draft creates one (number = highest + 1) from the form, which starts from the newest rejected
  revision when that is the newest of all ("edit again after a rejection"), else from the public
  (approved) revision. A rejected revision itself is never changed: it stays what was decided on.
- **submitted** — at most one; locked for the provider until the authority decides it, or until the
  provider withdraws it (back to draft, to edit and submit again). Submitting changes nothing in
  search: the approved revision stays public until a newer one is approved.
- **approved** — the public one. Only the exempt fields below change in place.

Optimistic concurrency: the editor and the capacity form carry the id and `version` of the revision
they were built from. A save whose revision changed in the meantime (another member saved, the
authority approved, …) raises `Conflict` and writes nothing; the page keeps what was typed, says so
and offers to save again on top of the current version.

THE RULE — capacity and contact go live without re-approval
-----------------------------------------------------------
Once a listing is public, `capacity` (open / waiting list / full), `waiting_weeks` and `contact`
(e-mail, phone, website) are changed on the **approved revision itself** from /provider/capacity:
they change weekly and carry no quality claim, and a citizen is better served by a true "full" today
than by an approved "open" from last month. The change is audited with before and after, and written
to the outbox in the same transaction, so search shows it as soon as the worker delivers (under a
second). The same values are copied onto the provider's open draft and submitted revision (without
bumping their `version`: neither the editor nor the authority's decision covers these fields), so a
later approval never turns capacity or contact back. The contact details are still checked by the
same rule as the authority's "contact details valid" standard. Everything else — description,
method, coverage, target groups, services and prices, languages, offices, first contact — needs a
new revision and the authority's approval. Before the first approval, capacity and contact are
simply part of the draft and are approved with it.

Freshness: a provider confirms its listing at least every `CONFIRM_EVERY_DAYS` days
(`freshness.py`, environment-configurable); its area reminds it `REMIND_DAYS_BEFORE` days before the
deadline. Confirming (`confirm_listing`), an approval by the authority (`decisions.approve_revision`)
and ticking "the rest is also correct" when saving capacity set `Provider.last_confirmed_at`. Saving
capacity alone does **not** confirm: a new capacity says nothing about whether the description,
prices and coverage are still true.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Mapping

from marketplace.accounts.services import create_user
from marketplace.audit import services as audit
from marketplace.db import lock_row, write_transaction
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.providers.forms import FormInvalid, Registration, listing_values_from_revision, validate_listing
from marketplace.providers.freshness import CONFIRM_EVERY_DAYS, REMIND_DAYS_BEFORE
from marketplace.providers.tables import Decision, ListingRevision, Provider
from search import outbox

if TYPE_CHECKING:
    from marketplace.accounts.tables import User

Status = ListingRevision.Status
EXEMPT_COLUMNS = ("capacity", "waiting_weeks", "contact")
CONTENT_COLUMNS = (
    "description", "method", "municipalities", "remote", "offices", "target_groups", "services", "languages",
    "capacity", "waiting_weeks", "first_contact_days", "contact",
)

STALE_DA = ("Opslaget er blevet ændret, siden du åbnede siden – af en kollega eller af myndigheden. Dine ændringer "
            "er ikke gemt. Det du skrev, står stadig i formularen: tjek det, og gem igen.")
STALE_EN = ("The listing has changed since you opened the page – by a colleague or by the authority. Your changes "
            "were not saved. What you typed is still in the form: check it and save again.")
LOCKED_DA = "Jeres ændringer er sendt til godkendelse og kan ikke redigeres, før myndigheden har behandlet dem."
LOCKED_EN = "Your changes have been sent for approval and cannot be edited until the authority has decided them."
NOT_WAITING_DA = ("Versionen venter ikke længere på godkendelse – myndigheden har måske netop behandlet den. "
                  "Se status på jeres forside.")
NOT_WAITING_EN = ("The revision is no longer waiting for approval – the authority may just have decided it. "
                  "See the status on your overview.")
NOT_PUBLIC_DA = "Jeres opslag er ikke godkendt endnu. Indtil da angiver I kapacitet og kontakt i selve opslaget."
NOT_PUBLIC_EN = "Your listing has not been approved yet. Until then you set capacity and contact in the listing itself."
NOTHING_TO_CONFIRM_DA = "Der er endnu ikke et offentligt opslag at bekræfte. Send jeres opslag til godkendelse først."
NOTHING_TO_CONFIRM_EN = "There is no public listing to confirm yet. Send your listing for approval first."
CVR_TAKEN_DA = "CVR-nummeret er allerede registreret. Er I allerede oprettet, så log ind – eller kontakt myndigheden."
CVR_TAKEN_EN = "The CVR number is already registered. If you are already registered, log in – or contact the authority."
EMAIL_TAKEN_DA = "Der findes allerede en bruger med denne e-mail. Log ind i stedet – eller brug en anden e-mail."
EMAIL_TAKEN_EN = "A user with this e-mail already exists. Log in instead – or use another e-mail."


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def own_provider_id(user: User) -> int:
    """The id of the provider `user` is a member of; Forbidden for anyone else."""
    if str(getattr(user.role, "value", user.role)) != "provider" or user.provider is None:
        raise Forbidden("Du har ikke adgang til denne aktør.", "You do not have access to this provider.")
    return int(user.provider)


async def _provider(provider_id: int) -> dict[str, Any]:
    row = await Provider.select().where(Provider.id == provider_id).first()
    if row is None:
        raise NotFound("Aktøren findes ikke længere.", "The provider no longer exists.")
    return row


async def _revisions(provider_id: int) -> list[dict[str, Any]]:
    """Every revision of one provider, newest first (JSON loaded)."""
    return await (
        ListingRevision.select().where(ListingRevision.provider == provider_id)
        .order_by(ListingRevision.number, ascending=False).output(load_json=True)
    )


def _with_status(revisions: list[dict[str, Any]], status: str) -> dict[str, Any] | None:
    return next((r for r in revisions if r["status"] == status), None)


async def _owned_revision(revision_id: int | None, provider_id: int) -> dict[str, Any] | None:
    """The revision a form names, checked to belong to `provider_id` (Forbidden otherwise); None
    when no id was given or it no longer exists."""
    if revision_id is None:
        return None
    row = await ListingRevision.select().where(ListingRevision.id == revision_id).first().output(load_json=True)
    if row is not None and int(row["provider"]) != provider_id:
        raise Forbidden("Du har ikke adgang til denne aktørs opslag.", "You do not have access to this provider's listing.")
    return row


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value differs, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# -- freshness ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Freshness:
    """Where a provider stands with confirming its listing.

    state: "ok", "due_soon" (within REMIND_DAYS_BEFORE days of the deadline), "overdue" (past it:
    shown as not recently confirmed) or "never" (no confirmation yet)."""

    last_confirmed_at: datetime | None
    due_at: datetime | None
    state: str
    days_left: int | None  # days until the deadline, rounded up ("in 5 days"); negative when overdue

    @property
    def reminder(self) -> bool:
        return self.state in ("due_soon", "overdue", "never")


def freshness_of(last_confirmed_at: datetime | None, now: datetime | None = None) -> Freshness:
    """The freshness state for a last confirmation (the same deadline as `freshness.is_stale`)."""
    now = now or _now()
    last = _aware(last_confirmed_at)
    if last is None:
        return Freshness(None, None, "never", None)
    due = last + timedelta(days=CONFIRM_EVERY_DAYS)
    left = due - now
    days = math.ceil(left.total_seconds() / 86400) if left.total_seconds() > 0 else -math.ceil(-left.total_seconds() / 86400)
    if now > due:
        state = "overdue"
    elif left <= timedelta(days=REMIND_DAYS_BEFORE):
        state = "due_soon"
    else:
        state = "ok"
    return Freshness(last, due, state, days)


@dataclass(frozen=True)
class StaleProvider:
    """An active provider whose listing is past its confirmation deadline."""

    id: int
    name: str
    slug: str
    last_confirmed_at: datetime | None
    days_overdue: int  # whole days past the deadline (counted from registration when never confirmed)


async def stale_providers(now: datetime | None = None) -> list[StaleProvider]:
    """Active providers not confirmed within CONFIRM_EVERY_DAYS days, most overdue first (for the
    authority's list). The same rule as `freshness.is_stale` and the search index's `stale` flag."""
    now = now or _now()
    cutoff = now - timedelta(days=CONFIRM_EVERY_DAYS)
    rows = await Provider.select(
        Provider.id, Provider.name, Provider.slug, Provider.last_confirmed_at, Provider.created_at
    ).where(
        Provider.status == Provider.Status.active,
        Provider.last_confirmed_at.is_null() | (Provider.last_confirmed_at < cutoff),
    )
    out = []
    for r in rows:
        since = _aware(r["last_confirmed_at"]) or _aware(r["created_at"]) or now
        overdue = (now - (since + timedelta(days=CONFIRM_EVERY_DAYS))).days
        out.append(StaleProvider(r["id"], r["name"], r["slug"], _aware(r["last_confirmed_at"]), max(0, overdue)))
    return sorted(out, key=lambda s: (-s.days_overdue, s.name))


STALE_REASON = "freshness.stale"  # the outbox reason of the sweep's events (providers/sweeps.py)


async def enqueue_newly_stale(since: datetime, now: datetime | None = None) -> int:
    """Write outbox events for active providers whose deadline passed in (since, now], so their
    search documents get `stale: true`. Nothing else changes a document when time alone passes:
    call this periodically (e.g. daily, with `since` = the previous run). Returns how many."""
    now = now or _now()
    period = timedelta(days=CONFIRM_EVERY_DAYS)
    async with write_transaction():
        rows = await Provider.select(Provider.id).where(
            Provider.status == Provider.Status.active,
            Provider.last_confirmed_at > since - period, Provider.last_confirmed_at <= now - period,
        )
        ids = [r["id"] for r in rows]
        await outbox.enqueue(ids, STALE_REASON)
    return len(ids)


async def _update_at_version(revision_id: int, status: Any, version: int, values: dict[str, Any]) -> None:
    """Write `values` to a revision only while it still has `status` and `version` (bumping the
    version); raise Conflict when someone else changed it first (optimistic concurrency)."""
    changed = await (
        ListingRevision.update({**{getattr(ListingRevision, k): v for k, v in values.items()},
                                ListingRevision.version: ListingRevision.version + 1})
        .where(ListingRevision.id == revision_id, ListingRevision.status == status,
               ListingRevision.version == version)
        .returning(ListingRevision.id)
    )
    if not changed:
        raise Conflict(STALE_DA, STALE_EN)


# -- registration ------------------------------------------------------------------------------------
def slugify(text: str) -> str:
    """A stable ASCII URL name: "Job & Co. Århus" → "job-co-aarhus"."""
    text = text.lower().translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:100].strip("-") or "aktoer"


async def _free_slug(name: str) -> str:
    base = slugify(name)
    taken = {r["slug"] for r in await Provider.select(Provider.slug).where(Provider.slug.like(f"{base}%"))}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _is_unique_violation(exc: BaseException) -> bool:
    return type(exc).__name__ in ("UniqueViolationError", "IntegrityError")


async def register_provider(reg: Registration) -> tuple[dict[str, Any], User]:
    """Register an organisation: the Provider (status registered, a unique slug from its name), its
    first member (role provider) and an empty draft revision, audited, in one transaction.
    InvalidInput on `cvr` when the CVR number is registered already, on `member-email` when the
    e-mail is in use, on `password` when it is too weak."""
    try:
        async with write_transaction():
            if await Provider.exists().where(Provider.cvr == reg.cvr):
                raise InvalidInput("cvr", CVR_TAKEN_DA, CVR_TAKEN_EN)
            provider = Provider(cvr=reg.cvr, name=reg.name, slug=await _free_slug(reg.name), type=reg.type,
                                status=Provider.Status.registered, last_confirmed_at=None)
            await provider.save()
            draft = ListingRevision(provider=provider.id, number=1, status=Status.draft, description="", method="",
                                    contact={**reg.contact, "website": ""})
            await draft.save()
            try:
                user = await create_user(email=reg.member_email, password=reg.password, role="provider",
                                         display_name=reg.member_name, provider_id=provider.id, actor=None,
                                         actor_label=f"registrering ({reg.member_email})")
            except Conflict as exc:
                raise InvalidInput("member-email", EMAIL_TAKEN_DA, EMAIL_TAKEN_EN) from exc
            except InvalidInput as exc:
                raise InvalidInput("password" if exc.field == "password" else "member-email", exc.da, exc.en) from exc
            await audit.record(user, "provider.registered", "provider", provider.id, after={
                "cvr": reg.cvr, "name": reg.name, "slug": provider.slug, "type": reg.type, "status": "registered",
                "draft_revision": draft.id, "member": user.id,
            })
    except Exception as exc:
        if _is_unique_violation(exc) and await Provider.exists().where(Provider.cvr == reg.cvr):
            raise InvalidInput("cvr", CVR_TAKEN_DA, CVR_TAKEN_EN) from exc  # lost a race with the same CVR
        raise
    return await _provider(provider.id), user


# -- reading the area --------------------------------------------------------------------------------
@dataclass
class Overview:
    """What the provider area's front page shows, for the member's own provider only."""

    provider: dict[str, Any]
    public: dict[str, Any] | None  # the approved revision
    draft: dict[str, Any] | None
    submitted: dict[str, Any] | None
    rejected: dict[str, Any] | None  # the newest revision, when it was rejected: "edit again" starts here
    decision: dict[str, Any] | None  # the authority's latest decision on this provider (any action)
    decision_revision: int | None  # the number of the revision it was about, if any
    freshness: Freshness

    @property
    def draft_complete(self) -> bool:
        """True when the draft could be submitted as it is."""
        if self.draft is None:
            return False
        _, errors = validate_listing(listing_values_from_revision(self.draft), exempt_fields=self.public is None)
        return not errors


async def provider_overview(user: User) -> Overview:
    """The member's provider, its revisions' states, the latest decision and its freshness."""
    pid = own_provider_id(user)
    provider = await _provider(pid)
    revisions = await _revisions(pid)
    newest = revisions[0] if revisions else None
    decision = await (
        Decision.select(Decision.action, Decision.reason, Decision.decided_at, Decision.revision)
        .where(Decision.provider == pid).order_by(Decision.decided_at, ascending=False).order_by(Decision.id, ascending=False)
        .first()
    )
    numbers = {r["id"]: r["number"] for r in revisions}
    public = _with_status(revisions, Status.approved)
    return Overview(
        provider=provider, public=public, draft=_with_status(revisions, Status.draft),
        submitted=_with_status(revisions, Status.submitted),
        rejected=newest if newest is not None and newest["status"] == Status.rejected else None,
        decision=decision, decision_revision=numbers.get(decision["revision"]) if decision else None,
        freshness=freshness_of(provider["last_confirmed_at"]) if public else Freshness(None, None, "none", None),
    )


@dataclass
class EditorState:
    """What /provider/listing edits.

    mode: "draft" (edit the draft in place), "from_rejected" / "from_public" / "new" (saving
    creates a draft from the form), or "locked" (a revision is waiting for the authority)."""

    provider: dict[str, Any]
    mode: str
    base: dict[str, Any] | None  # the revision the form shows and whose id + version it carries
    public: dict[str, Any] | None
    rejection: dict[str, Any] | None  # the reject decision behind a "from_rejected" form

    @property
    def exempt_fields(self) -> bool:
        """True when capacity and contact are edited here (the listing is not public yet)."""
        return self.public is None


async def editor_state(user: User) -> EditorState:
    """The revision the editor starts from, for the member's own provider."""
    pid = own_provider_id(user)
    provider = await _provider(pid)
    revisions = await _revisions(pid)
    public = _with_status(revisions, Status.approved)
    newest = revisions[0] if revisions else None
    rejection = None
    if (submitted := _with_status(revisions, Status.submitted)) is not None:
        mode, base = "locked", submitted
    elif (draft := _with_status(revisions, Status.draft)) is not None:
        mode, base = "draft", draft
    elif newest is not None and newest["status"] == Status.rejected:
        mode, base = "from_rejected", newest
        rejection = await (
            Decision.select(Decision.reason, Decision.decided_at)
            .where(Decision.revision == newest["id"], Decision.action == Decision.Action.reject).first()
        )
    elif public is not None:
        mode, base = "from_public", public
    else:
        mode, base = "new", None
    return EditorState(provider=provider, mode=mode, base=base, public=public, rejection=rejection)


async def public_revision(user: User) -> dict[str, Any] | None:
    """The member's provider's approved revision (for the capacity page), or None."""
    pid = own_provider_id(user)
    return await (
        ListingRevision.select().where(ListingRevision.provider == pid, ListingRevision.status == Status.approved)
        .first().output(load_json=True)
    )


# -- writing the draft -------------------------------------------------------------------------------
async def _submit(user: User, draft: dict[str, Any], expected_version: int, public: dict[str, Any] | None) -> dict[str, Any]:
    """draft → submitted inside the caller's transaction; FormInvalid when the draft is incomplete."""
    _, errors = validate_listing(listing_values_from_revision(draft), exempt_fields=public is None)
    if errors:
        raise FormInvalid(errors)
    now = _now()
    changed = await (
        ListingRevision.update({ListingRevision.status: Status.submitted, ListingRevision.submitted_at: now,
                                ListingRevision.version: ListingRevision.version + 1})
        .where(ListingRevision.id == draft["id"], ListingRevision.status == Status.draft,
               ListingRevision.version == expected_version)
        .returning(ListingRevision.id)
    )
    if not changed:
        raise Conflict(STALE_DA, STALE_EN)
    await audit.record(user, "revision.submit", "listing_revision", draft["id"],
                       before={"status": "draft", "version": expected_version},
                       after={"status": "submitted", "version": expected_version + 1, "submitted_at": now,
                              "number": draft["number"], "provider": draft["provider"]})
    # No outbox event: the public (approved) revision and the provider are unchanged.
    return {**draft, "status": Status.submitted.value, "submitted_at": now, "version": expected_version + 1}


async def save_draft(user: User, content: Mapping[str, Any], *, base_id: int | None, version: int | None,
                     submit: bool = False) -> dict[str, Any]:
    """Save the editor's content (from `forms.validate_listing`) as the member's draft, and submit it
    when `submit`. `base_id` and `version` are the revision the form was built from. Creates the
    draft when there is none (from a rejected or the public revision); once the listing is public,
    capacity and contact are taken from the public revision, not from the form.
    Raises Conflict (a revision is waiting for approval, or the base changed: nothing is written),
    Forbidden (the base belongs to another provider), FormInvalid (submitting an incomplete draft)."""
    pid = own_provider_id(user)
    async with write_transaction():
        await lock_row(Provider, pid)  # PostgreSQL: two saves at once must not both create a draft
        base = await _owned_revision(base_id, pid)
        revisions = await _revisions(pid)
        if _with_status(revisions, Status.submitted) is not None:
            raise Conflict(LOCKED_DA, LOCKED_EN)
        public = _with_status(revisions, Status.approved)
        draft = _with_status(revisions, Status.draft)
        values = {k: content[k] for k in CONTENT_COLUMNS if k in content}
        if public is not None:
            values.update({k: public[k] for k in EXEMPT_COLUMNS})
        if draft is not None:
            if base is None or base["id"] != draft["id"] or draft["version"] != version:
                raise Conflict(STALE_DA, STALE_EN)
            await _update_at_version(draft["id"], Status.draft, version, values)
            before, after = _changes(draft, values)
            await audit.record(user, "revision.draft_saved", "listing_revision", draft["id"],
                               before={**before, "version": version}, after={**after, "version": version + 1})
            saved = {**draft, **values, "version": version + 1}
        else:
            # A new draft starts from the newest revision (rejected or public): the form must have been
            # built from exactly that revision and version, or from nothing when there is none.
            newest = revisions[0] if revisions else None
            if (base is None) != (newest is None):
                raise Conflict(STALE_DA, STALE_EN)
            if base is not None and newest is not None and (base["id"] != newest["id"] or base["version"] != version):
                raise Conflict(STALE_DA, STALE_EN)
            number = (newest["number"] if newest else 0) + 1
            row = ListingRevision(provider=pid, number=number, status=Status.draft, **values)
            await row.save()
            await audit.record(user, "revision.draft_created", "listing_revision", row.id, after={
                **values, "number": number, "provider": pid, "based_on": base["id"] if base else None,
            })
            saved = await ListingRevision.select().where(ListingRevision.id == row.id).first().output(load_json=True)
            assert saved is not None
        if submit:
            saved = await _submit(user, saved, saved["version"], public)
    return saved


async def submit_revision(user: User, *, revision_id: int | None, version: int | None) -> dict[str, Any]:
    """Send the member's draft for approval (draft → submitted, `submitted_at`), audited. The public
    listing does not change. Raises FormInvalid (incomplete), Conflict (not the current draft any
    more), Forbidden (another provider's revision), NotFound."""
    pid = own_provider_id(user)
    async with write_transaction():
        draft = await _owned_revision(revision_id, pid)
        if draft is None:
            raise NotFound("Der er ingen kladde at sende til godkendelse.", "There is no draft to send for approval.")
        if draft["status"] == Status.submitted:
            raise Conflict(LOCKED_DA, LOCKED_EN)
        if draft["status"] != Status.draft or draft["version"] != version:
            raise Conflict(STALE_DA, STALE_EN)
        public = await (
            ListingRevision.select(ListingRevision.id)
            .where(ListingRevision.provider == pid, ListingRevision.status == Status.approved).first()
        )
        return await _submit(user, draft, draft["version"], public)


async def withdraw_revision(user: User, *, revision_id: int | None, version: int | None) -> dict[str, Any]:
    """Take the member's submitted revision back before the authority decides it (submitted → draft,
    `submitted_at` cleared, version bumped, so a decision made on the old version is refused), audited.
    The provider can then edit it and submit it again; the public listing does not change. Raises
    Conflict (decided or changed meanwhile), Forbidden (another provider's revision), NotFound."""
    pid = own_provider_id(user)
    async with write_transaction():
        revision = await _owned_revision(revision_id, pid)
        if revision is None:
            raise NotFound("Der er ingen version til godkendelse at trække tilbage.",
                           "There is no revision waiting for approval to withdraw.")
        if revision["status"] != Status.submitted or version is None:
            raise Conflict(NOT_WAITING_DA, NOT_WAITING_EN)
        await _update_at_version(revision["id"], Status.submitted, version,
                                 {"status": Status.draft, "submitted_at": None})
        await audit.record(user, "revision.withdraw", "listing_revision", revision["id"],
                           before={"status": "submitted", "version": version, "submitted_at": revision["submitted_at"]},
                           after={"status": "draft", "version": version + 1, "number": revision["number"],
                                  "provider": pid})
        # No outbox event: the public (approved) revision and the provider are unchanged.
    return {**revision, "status": Status.draft.value, "submitted_at": None, "version": version + 1}


# -- capacity, contact and confirmation --------------------------------------------------------------
async def update_capacity(user: User, values: Mapping[str, Any], *, revision_id: int | None, version: int | None,
                          confirm: bool = False) -> dict[str, Any]:
    """Change capacity, waiting weeks and contact on the public revision without re-approval (see
    THE RULE above), copy them onto the open draft / submitted revision, and with `confirm` also
    confirm the rest of the listing. Audited (before/after) with an outbox event in the same
    transaction. Raises Conflict (not public, or the revision changed), Forbidden."""
    pid = own_provider_id(user)
    async with write_transaction():
        named = await _owned_revision(revision_id, pid)
        public = await (
            ListingRevision.select().where(ListingRevision.provider == pid, ListingRevision.status == Status.approved)
            .first().output(load_json=True)
        )
        if public is None:
            raise Conflict(NOT_PUBLIC_DA, NOT_PUBLIC_EN)
        if named is None or named["id"] != public["id"] or public["version"] != version:
            raise Conflict(STALE_DA, STALE_EN)
        new = {k: values[k] for k in EXEMPT_COLUMNS}
        before, after = _changes(public, new)
        provider = await _provider(pid)
        now = _now()
        if not after and not confirm:
            return public
        if after:
            await _update_at_version(public["id"], Status.approved, version, new)
            await ListingRevision.update({getattr(ListingRevision, k): v for k, v in new.items()}).where(
                ListingRevision.provider == pid, ListingRevision.status.is_in([Status.draft, Status.submitted])
            )
            before["version"], after["version"] = version, version + 1
        if confirm:
            await Provider.update({Provider.last_confirmed_at: now}).where(Provider.id == pid)
            before["last_confirmed_at"], after["last_confirmed_at"] = provider["last_confirmed_at"], now
        action = "listing.capacity_contact" if "version" in after else "listing.confirm"
        await audit.record(user, action, "listing_revision", public["id"], before=before, after={**after, "provider": pid})
        await outbox.enqueue(pid, "listing.capacity_contact")
    return {**public, **new, "version": version + 1 if after else version}


async def confirm_listing(user: User) -> datetime:
    """"The information is correct": set `Provider.last_confirmed_at` to now, audited, with an outbox
    event (the search document's `stale` flag and date change). Conflict when nothing is public."""
    pid = own_provider_id(user)
    now = _now()
    async with write_transaction():
        provider = await _provider(pid)
        if not await ListingRevision.exists().where(ListingRevision.provider == pid,
                                                    ListingRevision.status == Status.approved):
            raise Conflict(NOTHING_TO_CONFIRM_DA, NOTHING_TO_CONFIRM_EN)
        await Provider.update({Provider.last_confirmed_at: now}).where(Provider.id == pid)
        await audit.record(user, "listing.confirm", "provider", pid, before={"last_confirmed_at": provider["last_confirmed_at"]},
                           after={"last_confirmed_at": now})
        await outbox.enqueue(pid, "listing.confirm")
    return now
