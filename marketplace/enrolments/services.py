"""Enrolment use cases: a citizen chooses a provider, switches, and the provider handles the choice.

    offer = await offer_for(slug)                      # the confirm page: what can be chosen, or why not
    enrolment = await choose_provider(citizen, slug, target_group=…, service=…, municipality=…)
    new = await switch_provider(citizen, reference, to_slug=…, service=…, municipality=…, reason=…)
    await accept(member, reference) / decline(member, reference, reason) / start(…) / end(…)

The rules (each refusal is a `ChoiceRefused` with a code and a Danish and an English reason):

    not_public       the provider is suspended, revoked or not approved
    full             the provider's capacity is "full" (a waiting list may still be chosen)
    target_group     the provider does not list the citizen's target group
    not_covering     the provider does not cover the citizen's municipality and offers no remote help
    active_exists    the citizen already has an active (chosen, accepted, started) enrolment for the
                     target group: offer a switch instead (`active_reference`)
    same_provider    a switch to the provider the citizen already has

The provider's promise of first contact (`first_contact_days` working days in its listing) is turned
into a date when the citizen chooses and stored with the enrolment; the provider area lists chosen
enrolments past that date. Every change is one `write_transaction()` with its audit entry.
"""
from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from marketplace.accounts.guards import require_own_provider
from marketplace.accounts.tables import User
from marketplace.audit import services as audit
from marketplace.db import write_transaction
from marketplace.enrolments.tables import Enrolment
from marketplace.errors import Conflict, DomainError, InvalidInput, InvalidInputs, NotFound, collect
from marketplace.providers.tables import Provider
from marketplace.reference import SERVICES, TARGET_GROUPS, municipalities
from search import sync
from search.documents import ProviderSnapshot, is_public, provider_document

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
ACTIVE = (Enrolment.Status.chosen.value, Enrolment.Status.accepted.value, Enrolment.Status.started.value)
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
MAX_REASON_CHARS = 1000


def _reason_too_long(reason: str) -> InvalidInput | None:
    """The error for a reason (switch, cancel, decline) over MAX_REASON_CHARS, or None."""
    if len(reason) <= MAX_REASON_CHARS:
        return None
    return InvalidInput("reason", f"Begrundelsen må højst være {MAX_REASON_CHARS} tegn.",
                        f"The reason may be at most {MAX_REASON_CHARS} characters.")


class ChoiceRefused(Conflict):
    """The citizen cannot choose (or switch to) this provider; `code` says why (module docstring)."""

    def __init__(self, code: str, da: str, en: str, *, active_reference: str | None = None) -> None:
        super().__init__(da, en)
        self.code = code
        self.active_reference = active_reference


# -- dates -------------------------------------------------------------------------------------------
def today() -> date:
    """Today in Denmark."""
    return datetime.now(DANISH_TIME).date()


@lru_cache(maxsize=32)
def days_off(year: int) -> frozenset[date]:
    """The days of `year` that are no working day in Denmark besides weekends: the public holidays (helligdage, from
    the `holidays` package: store bededag until 2023) and grundlovsdag, juleaftensdag and
    nytårsaftensdag, the days Danish law counts with them when a deadline is reckoned."""
    official = holidays.country_holidays("DK", years=year)
    return frozenset(official) | {date(year, 6, 5), date(year, 12, 24), date(year, 12, 31)}


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start`: weekends and Danish days off (`days_off`) skipped."""
    day, left = start, max(0, int(days))
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in days_off(day.year):
            left -= 1
    return day


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- reading -----------------------------------------------------------------------------------------
@dataclass
class Offer:
    """What the confirm page shows for one provider: its listing and whether it can be chosen."""

    provider: dict[str, Any]
    revision: dict[str, Any] | None
    document: dict[str, Any] | None  # the public document; None when not public
    refusal: ChoiceRefused | None  # a refusal that holds whatever the citizen types (not public, full)
    first_contact_by: date | None  # if chosen today

    @property
    def target_groups(self) -> list[str]:
        return [t["slug"] for t in (self.revision or {}).get("target_groups") or [] if t["slug"] in TARGET_GROUPS]

    @property
    def services(self) -> list[dict[str, Any]]:
        return [s for s in (self.revision or {}).get("services") or [] if s["slug"] in SERVICES]


def provider_refusal(snap: ProviderSnapshot) -> ChoiceRefused | None:
    """Why nobody can choose this provider right now (not public, full), or None."""
    status, name = snap.provider["status"], snap.provider["name"]
    if status == Provider.Status.suspended.value:
        return ChoiceRefused("not_public", f"{name} er suspenderet af myndigheden og kan ikke vælges lige nu.",
                             f"{name} is suspended by the authority and cannot be chosen at present.")
    if status == Provider.Status.revoked.value:
        return ChoiceRefused("not_public", f"{name}s godkendelse er tilbagekaldt, så aktøren kan ikke vælges.",
                             f"{name}'s approval has been revoked, so it cannot be chosen.")
    if not is_public(snap):
        return ChoiceRefused("not_public", f"{name} er ikke godkendt og kan ikke vælges.",
                             f"{name} is not approved and cannot be chosen.")
    if snap.revision and snap.revision["capacity"] == "full":
        return ChoiceRefused("full", f"{name} har ingen ledige pladser lige nu (fuldt booket). Vælg en anden aktør, "
                                     "eller prøv igen senere.",
                             f"{name} has no places at present (full). Choose another provider, or try again later.")
    return None


async def _snapshot_by_slug(slug: str) -> ProviderSnapshot:
    row = await Provider.select(Provider.id, Provider.status).where(Provider.slug == slug).first()
    if row is None or row["status"] == Provider.Status.registered.value:
        raise NotFound(f"Ingen godkendt aktør med adressen {slug[:60]}.", f"No approved provider at {slug[:60]}.")
    return (await sync.load_snapshots([row["id"]]))[row["id"]]


async def offer_for(slug: str) -> Offer:
    """The provider at `slug` as the confirm page shows it; NotFound for unknown or never approved."""
    snap = await _snapshot_by_slug(slug)
    public = is_public(snap)
    return Offer(
        provider=snap.provider, revision=snap.revision, document=provider_document(snap) if public else None,
        refusal=provider_refusal(snap),
        first_contact_by=add_working_days(today(), snap.revision["first_contact_days"]) if snap.revision else None,
    )


def _enrolment_columns() -> list[Any]:
    return [*Enrolment.all_columns(), Enrolment.provider.name.as_alias("provider_name"),
            Enrolment.provider.slug.as_alias("provider_slug")]


async def active_enrolment(citizen_id: int, target_group: str) -> dict[str, Any] | None:
    """The citizen's active enrolment for this target group, or None."""
    return await Enrolment.select(*_enrolment_columns()).where(
        Enrolment.citizen == citizen_id, Enrolment.target_group == target_group, Enrolment.status.is_in(list(ACTIVE))
    ).first()


async def citizen_enrolments(citizen_id: int) -> list[dict[str, Any]]:
    """All the citizen's enrolments, newest first (switched and ended ones are history, kept)."""
    return await Enrolment.select(*_enrolment_columns()).where(Enrolment.citizen == citizen_id).order_by(
        Enrolment.id, ascending=False)


async def _own_enrolment(citizen_id: int, reference: str, *columns: Any) -> dict[str, Any]:
    """One of the citizen's own enrolments (all columns unless given); someone else's reference is
    NotFound, as is an unknown one."""
    row = await Enrolment.select(*columns).where(
        Enrolment.reference == reference[:20], Enrolment.citizen == citizen_id).first()
    if row is None:
        raise NotFound(f"Du har ikke noget valg med kvitteringsnummer {reference[:20]}.",
                       f"You have no choice with receipt number {reference[:20]}.")
    return row


async def receipt(citizen_id: int, reference: str) -> dict[str, Any]:
    """One of the citizen's own enrolments with the provider's current waiting time and the enrolment
    it replaced (if any). Someone else's reference is NotFound, as is an unknown one."""
    row = await _own_enrolment(citizen_id, reference, *_enrolment_columns())
    snap = (await sync.load_snapshots([row["provider"]])).get(row["provider"])
    rev = snap.revision if snap else None
    row["capacity"] = rev["capacity"] if rev else None
    row["waiting_weeks"] = rev["waiting_weeks"] if rev and rev["capacity"] == "waitlist" else 0
    row["switched_from_row"] = None
    row["switched_to_row"] = None
    if row["switched_from"]:
        row["switched_from_row"] = await Enrolment.select(*_enrolment_columns()).where(
            Enrolment.id == row["switched_from"], Enrolment.citizen == citizen_id).first()
    if row["status"] == Enrolment.Status.switched.value:
        row["switched_to_row"] = await Enrolment.select(*_enrolment_columns()).where(
            Enrolment.switched_from == row["id"], Enrolment.citizen == citizen_id).first()
    return row


# -- choosing ----------------------------------------------------------------------------------------
def parse_choice(target_group: str, service: str, municipality: str) -> tuple[str, str, int]:
    """Check the confirm form's fields; InvalidInputs names every missing or unknown one."""
    tg_error = service_error = muni_error = None
    if target_group not in TARGET_GROUPS:
        tg_error = InvalidInput("target_group", "Vælg din målgruppe – den ydelse du får.",
                                "Choose your target group – the benefit you receive.")
    if service not in SERVICES:
        service_error = InvalidInput("service", "Vælg den indsats, du ønsker.", "Choose the service you want.")
    code = int(municipality) if municipality.isdigit() else None
    if code is None or code not in municipalities():
        muni_error = InvalidInput("municipality", "Vælg den kommune, du bor i.", "Choose the municipality you live in.")
    collect(tg_error, service_error, muni_error)
    return target_group, service, int(municipality)


def _check_fit(snap: ProviderSnapshot, target_group: str, service: str, municipality: int) -> None:
    """The refusals that depend on the citizen: target group, service and coverage."""
    refusal = provider_refusal(snap)
    if refusal is not None:
        raise refusal
    rev, name = snap.revision or {}, snap.provider["name"]
    tg_name = TARGET_GROUPS[target_group]
    if target_group not in [t["slug"] for t in rev.get("target_groups") or []]:
        raise ChoiceRefused("target_group", f"{name} hjælper ikke borgere i målgruppen {tg_name.da} og kan derfor "
                                            "ikke vælges til den.",
                            f"{name} does not help citizens in the target group {tg_name.en}, so it cannot be "
                            "chosen for it.")
    if service not in [s["slug"] for s in rev.get("services") or []]:
        raise InvalidInput("service", f"{name} tilbyder ikke {SERVICES[service].da}. Vælg en af aktørens indsatser.",
                           f"{name} does not offer {SERVICES[service].en}. Choose one of the provider's services.")
    covered = [int(c) for c in rev.get("municipalities") or []]
    if municipality not in covered and not rev.get("remote"):
        muni = municipalities()[municipality].name
        raise ChoiceRefused("not_covering", f"{name} dækker ikke {muni} Kommune og tilbyder ikke hjælp online. "
                                            "Vælg en aktør, der dækker din kommune.",
                            f"{name} does not cover {muni} Municipality and offers no remote help. Choose a "
                            "provider that covers your municipality.")


def _active_refusal(active: dict[str, Any]) -> ChoiceRefused:
    tg = TARGET_GROUPS[active["target_group"]]
    return ChoiceRefused(
        "active_exists",
        f"Du har allerede valgt {active['provider_name']} for {tg.da} (kvittering {active['reference']}). Du kan kun "
        "have ét aktivt valg per målgruppe – du kan skifte aktør i stedet.",
        f"You have already chosen {active['provider_name']} for {tg.en} (receipt {active['reference']}). You can only "
        "have one active choice per target group – you can switch provider instead.",
        active_reference=active["reference"],
    )


async def _new_reference() -> str:
    year = today().year
    while True:
        reference = f"V-{year}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        if not await Enrolment.exists().where(Enrolment.reference == reference):
            return reference


def _is_unique_violation(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in ("IntegrityError", "UniqueViolationError") or "UNIQUE constraint failed" in str(exc)


async def _insert_enrolment(citizen: User, snap: ProviderSnapshot, target_group: str, service: str,
                            switched_from: int | None = None) -> Enrolment:
    enrolment = Enrolment(
        reference=await _new_reference(), citizen=citizen.id, provider=snap.provider["id"], target_group=target_group,
        service=service, status=Enrolment.Status.chosen, created_at=_now(), updated_at=_now(),
        first_contact_by=add_working_days(today(), (snap.revision or {}).get("first_contact_days") or 0),
        switched_from=switched_from,
    )
    await enrolment.save()
    return enrolment


async def choose_provider(citizen: User, slug: str, *, target_group: str, service: str, municipality: str) -> str:
    """Choose the provider at `slug`: a new `chosen` enrolment, audited; returns its reference.
    Raises InvalidInput(s) for the form, ChoiceRefused for the rules (module docstring)."""
    tg, svc, muni = parse_choice(target_group, service, municipality)
    try:
        async with write_transaction():
            snap = await _snapshot_by_slug(slug)
            _check_fit(snap, tg, svc, muni)
            active = await active_enrolment(citizen.id, tg)
            if active is not None:
                raise _active_refusal(active)
            enrolment = await _insert_enrolment(citizen, snap, tg, svc)
            await audit.record(citizen, "enrolment.choose", "enrolment", enrolment.id, after={
                "reference": enrolment.reference, "provider": snap.provider["id"], "target_group": tg,
                "service": svc, "status": "chosen", "first_contact_by": enrolment.first_contact_by,
            })
    except DomainError:
        raise
    except Exception as exc:  # two choices at once: the partial unique index refuses the second
        if _is_unique_violation(exc):
            active = await active_enrolment(citizen.id, tg)
            if active is not None:
                raise _active_refusal(active) from exc
        raise
    return enrolment.reference


def _no_longer_active() -> Conflict:
    return Conflict("Valget er ikke længere aktivt og kan ikke skiftes. Vælg en ny aktør i stedet.",
                    "The choice is no longer active and cannot be switched. Choose a new provider instead.")


async def switch_provider(citizen: User, reference: str, *, to_slug: str, service: str, municipality: str,
                          reason: str) -> str:
    """Switch an active enrolment to another provider, in one transaction: the old one becomes
    `switched` (ended, with the reason), the new one `chosen` for the same target group, pointing back
    at the old one. Audited. Returns the new reference."""
    reason = reason.strip()
    old = await _own_enrolment(citizen.id, reference)
    errors: list[InvalidInput] = []
    try:
        _, svc, muni = parse_choice(old["target_group"], service, municipality)
    except InvalidInputs as exc:
        errors.extend(exc.errors)
    if not reason:
        errors.append(InvalidInput("reason", "Skriv kort, hvorfor du vil skifte aktør.",
                                   "Say briefly why you want to switch provider."))
    collect(*errors, _reason_too_long(reason))
    tg = old["target_group"]
    now = _now()
    async with write_transaction():
        current = await Enrolment.select(Enrolment.status).where(Enrolment.id == old["id"]).first()
        if current is None or current["status"] not in ACTIVE:
            raise _no_longer_active()
        snap = await _snapshot_by_slug(to_slug)
        if snap.provider["id"] == old["provider"]:
            raise ChoiceRefused("same_provider",
                                "Du har allerede valgt denne aktør. Vælg en anden aktør at skifte til.",
                                "You have already chosen this provider. Choose another provider to switch to.")
        _check_fit(snap, tg, svc, muni)
        switched = await Enrolment.update({
            Enrolment.status: Enrolment.Status.switched, Enrolment.reason: reason, Enrolment.ended_at: now,
            Enrolment.updated_at: now,
        }).where(Enrolment.id == old["id"], Enrolment.status == current["status"]).returning(Enrolment.id)
        if not switched:  # PostgreSQL: a switch or a provider's decision got there after we read it
            raise _no_longer_active()
        new = await _insert_enrolment(citizen, snap, tg, svc, switched_from=old["id"])
        await audit.record(citizen, "enrolment.switch", "enrolment", old["id"], before={
            "reference": old["reference"], "provider": old["provider"], "status": current["status"],
        }, after={
            "status": "switched", "reason": reason, "new_reference": new.reference, "new_enrolment": new.id,
            "new_provider": snap.provider["id"], "service": svc,
        })
    return new.reference


# The citizen's own action, in the shape of TRANSITIONS: before the course starts, a choice can be taken back.
CANCEL = (("chosen", "accepted"), "cancelled", "ended_at", "annulleres", "be cancelled")
CANCELLABLE = CANCEL[0]


async def cancel_choice(citizen: User, reference: str, reason: str = "") -> dict[str, Any]:
    """The citizen takes back a choice before the course has started (chosen or accepted): it becomes
    `cancelled`, with the reason if one was given (optional; the provider sees it). Audited. Once
    started, a course ends with the provider or by a switch."""
    reason = reason.strip()
    collect(_reason_too_long(reason))
    return await _transition(citizen, reference, "cancel", reason, spec=CANCEL,
                             load=lambda user, ref: _own_enrolment(user.id, ref))


# -- the provider's side -----------------------------------------------------------------------------
@dataclass
class ProviderEnrolments:
    """The provider area's list, by what the provider has to do."""

    incoming: list[dict[str, Any]]  # chosen: accept or decline
    overdue: list[dict[str, Any]]  # chosen and past the first-contact promise (also in `incoming`)
    accepted: list[dict[str, Any]]
    started: list[dict[str, Any]]
    history: list[dict[str, Any]]  # ended, declined, cancelled, switched


async def provider_enrolments(user: User, provider_id: int) -> ProviderEnrolments:
    """Every enrolment at the user's own provider (object check), with the citizen's name and e-mail
    so that the provider can make contact."""
    require_own_provider(user, provider_id)
    rows = await Enrolment.select(
        *Enrolment.all_columns(), Enrolment.citizen.display_name.as_alias("citizen_name"),
        Enrolment.citizen.email.as_alias("citizen_email"),
    ).where(Enrolment.provider == provider_id).order_by(Enrolment.id)
    day = today()
    for row in rows:
        promise = row["first_contact_by"]
        row["overdue"] = row["status"] == "chosen" and promise is not None and _as_date(promise) < day
    by = lambda *statuses: [r for r in rows if r["status"] in statuses]  # noqa: E731
    return ProviderEnrolments(
        incoming=by("chosen"), overdue=[r for r in rows if r["overdue"]], accepted=by("accepted"),
        started=by("started"), history=list(reversed(by("ended", "declined", "cancelled", "switched"))),
    )


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def provider_enrolment(user: User, reference: str) -> dict[str, Any]:
    """One enrolment for the provider area; NotFound when unknown, Forbidden when another provider's."""
    row = await Enrolment.select(
        *Enrolment.all_columns(), Enrolment.citizen.display_name.as_alias("citizen_name"),
        Enrolment.citizen.email.as_alias("citizen_email"),
    ).where(Enrolment.reference == reference[:20]).first()
    if row is None:
        raise NotFound(f"Intet valg med nummer {reference[:20]}.", f"No choice with number {reference[:20]}.")
    require_own_provider(user, row["provider"])
    return row


# action → (statuses it starts from, status it leads to, timestamp column to set, Danish, English verb)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str | None, str, str]] = {
    "accept": (("chosen",), "accepted", None, "accepteres", "be accepted"),
    "decline": (("chosen",), "declined", "ended_at", "afvises", "be declined"),
    "start": (("accepted",), "started", "started_at", "markeres som startet", "be marked as started"),
    "end": (("started",), "ended", "ended_at", "markeres som afsluttet", "be marked as ended"),
}
STATUS_DA = {"chosen": "valgt", "accepted": "accepteret", "started": "startet", "ended": "afsluttet",
             "declined": "afvist", "cancelled": "annulleret", "switched": "skiftet"}


def _not_in_status(row: dict[str, Any], verb_da: str, verb_en: str) -> Conflict:
    return Conflict(f"Valget {row['reference']} er {STATUS_DA.get(row['status'], row['status'])} og kan ikke "
                    f"{verb_da}.", f"Choice {row['reference']} is {row['status']} and cannot {verb_en}.")


async def _transition(user: User, reference: str, action: str, reason: str = "", *,
                      spec: tuple[tuple[str, ...], str, str | None, str, str] | None = None,
                      load: Callable[[User, str], Awaitable[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """Move an enrolment along `spec` (by default `TRANSITIONS[action]`): only from its source
    statuses, only if nobody moved it first, audited as `enrolment.<action>`. `load` reads the row
    with its object check (default: the provider's own enrolment)."""
    sources, target, stamp, verb_da, verb_en = spec or TRANSITIONS[action]
    load = load or provider_enrolment
    now = _now()
    async with write_transaction():
        row = await load(user, reference)  # object check inside the transaction
        if row["status"] not in sources:
            raise _not_in_status(row, verb_da, verb_en)
        values: dict[Any, Any] = {Enrolment.status: target, Enrolment.updated_at: now}
        if stamp:
            values[getattr(Enrolment, stamp)] = now
        if reason:
            values[Enrolment.reason] = reason
        changed = await Enrolment.update(values).where(
            Enrolment.id == row["id"], Enrolment.status == row["status"]).returning(Enrolment.id)
        if not changed:  # PostgreSQL: somebody else changed it after we read it
            raise _not_in_status(await load(user, reference), verb_da, verb_en)
        after = {"status": target, "reference": row["reference"], **({"reason": reason} if reason else {})}
        await audit.record(user, f"enrolment.{action}", "enrolment", row["id"], before={"status": row["status"]},
                           after=after)
    return row


async def accept(user: User, reference: str) -> dict[str, Any]:
    """The provider accepts a chosen enrolment."""
    return await _transition(user, reference, "accept")


async def decline(user: User, reference: str, reason: str) -> dict[str, Any]:
    """The provider declines a chosen enrolment; the reason is required and shown to the citizen."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason", "Skriv hvorfor I afviser borgeren – borgeren ser begrundelsen.",
                           "Say why you decline the citizen – the citizen sees the reason.")
    collect(_reason_too_long(reason))
    return await _transition(user, reference, "decline", reason)


async def start(user: User, reference: str) -> dict[str, Any]:
    """The provider marks an accepted enrolment as started."""
    return await _transition(user, reference, "start")


async def end(user: User, reference: str) -> dict[str, Any]:
    """The provider marks a started enrolment as ended."""
    return await _transition(user, reference, "end")
