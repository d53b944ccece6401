"""The citizen's own account: sign-up and the profile that fills in the search and the choice.

    user = await sign_up(name=…, email=…, password=…, password_again=…)   # then log in as usual
    await update_profile(user, municipality="751", postcode="", target_group="dagpenge", age_band="30-39")
    raw = await profile_search_defaults(request)   # {"municipality": ["751"], "target_group": [...]} or {}

No CPR number is asked for or stored. A postcode is turned into its municipality, and only the
municipality is kept (the portal needs no more precise address).
"""
from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from marketplace.accounts.guards import get_current_user, role_of
from marketplace.accounts.passwords import check_strength
from marketplace.accounts.services import check_email, create_user
from marketplace.accounts.tables import User
from marketplace.audit import services as audit
from marketplace.db import write_transaction
from marketplace.errors import Conflict, InvalidInput, InvalidInputs, collect
from marketplace.reference import AGE_BANDS, TARGET_GROUPS, municipalities, postcode as find_postcode

MAX_NAME_CHARS = 200


async def sign_up(*, name: str, email: str, password: str, password_again: str) -> User:
    """Create a citizen account (audited as `user.created` by the accounts use case). InvalidInputs
    names every wrong field; an e-mail already in use is an error on `email`."""
    name = name.strip()
    errors: list[InvalidInput] = []
    if not name:
        errors.append(InvalidInput("name", "Indtast dit navn.", "Enter your name."))
    elif len(name) > MAX_NAME_CHARS:
        errors.append(InvalidInput("name", f"Navnet må højst være {MAX_NAME_CHARS} tegn.",
                                   f"The name may be at most {MAX_NAME_CHARS} characters."))
    try:
        email = check_email(email)
    except InvalidInput as exc:
        errors.append(exc)
    try:
        check_strength(password, email=email)
    except InvalidInput as exc:
        errors.append(exc)
    if password and password_again != password:
        errors.append(InvalidInput(
            "password_again", "De to adgangskoder er ikke ens. Skriv den samme adgangskode to gange.",
            "The two passwords differ. Type the same password twice."))
    collect(*errors)
    try:
        return await create_user(email=email, password=password, role=User.Role.citizen.value, display_name=name,
                                 actor=None, actor_label="signup")
    except Conflict as exc:
        raise InvalidInputs([InvalidInput(
            "email", "Der findes allerede en bruger med denne e-mail. Log ind i stedet.",
            "There is already a user with this e-mail. Log in instead.")]) from exc


def place_from(municipality: str, postcode: str) -> int | None:
    """The municipality code from a postcode (preferred when given) or a municipality code; None when
    both are empty. InvalidInput names the field when it is unknown."""
    postcode, municipality = postcode.strip(), municipality.strip()
    if postcode:
        found = find_postcode(postcode) if postcode.isdigit() and len(postcode) == 4 else None
        if found is None:
            raise InvalidInput("postcode", f"Ukendt postnummer: {postcode[:20]}. Indtast et dansk postnummer med 4 "
                                           "cifre – fx 8000.",
                               f"Unknown postcode: {postcode[:20]}. Enter a Danish 4-digit postcode, e.g. 8000.")
        return found.municipality_code
    if municipality:
        if not municipality.isdigit() or int(municipality) not in municipalities():
            raise InvalidInput("municipality", "Vælg en kommune fra listen.", "Choose a municipality from the list.")
        return int(municipality)
    return None


async def update_profile(user: User, *, municipality: str, postcode: str, target_group: str, age_band: str) -> None:
    """Save where the citizen lives (municipality), the target group and the age band; each may be
    left empty. Audited (`profile.update`)."""
    errors: list[InvalidInput] = []
    code = None
    try:
        code = place_from(municipality, postcode)
    except InvalidInput as exc:
        errors.append(exc)
    if target_group and target_group not in TARGET_GROUPS:
        errors.append(InvalidInput("target_group", "Vælg en målgruppe fra listen.",
                                   "Choose a target group from the list."))
    if age_band and age_band not in AGE_BANDS:
        errors.append(InvalidInput("age_band", "Vælg en aldersgruppe fra listen.", "Choose an age band from the list."))
    collect(*errors)
    before = {"municipality_code": user.municipality_code, "target_group": user.target_group, "age_band": user.age_band}
    after = {"municipality_code": code, "target_group": target_group, "age_band": age_band}
    async with write_transaction():
        await User.update({User.municipality_code: code, User.target_group: target_group,
                           User.age_band: age_band}).where(User.id == user.id)
        await audit.record(user, "profile.update", "user", user.id, before=before, after=after)
    user.municipality_code, user.target_group, user.age_band = code, target_group, age_band


def profile_defaults(user: User | None) -> dict[str, Any]:
    """The citizen's municipality, target group and age band ('' / None when unknown or not a citizen)."""
    if user is None or role_of(user) != User.Role.citizen.value:
        return {"municipality": None, "target_group": "", "age_band": ""}
    return {"municipality": user.municipality_code, "target_group": user.target_group or "",
            "age_band": user.age_band or ""}


async def profile_search_defaults(connection: ASGIConnection) -> dict[str, list[str]]:
    """For the search page at a bare `/`: the logged-in citizen's profile as query parameters
    (municipality, target_group), or {} for everyone else. A submitted search form always carries
    its fields, so this never overrides what the visitor asked for."""
    defaults = profile_defaults(await get_current_user(connection))
    raw: dict[str, list[str]] = {}
    if defaults["municipality"]:
        raw["municipality"] = [str(defaults["municipality"])]
    if defaults["target_group"] in TARGET_GROUPS:
        raw["target_group"] = [defaults["target_group"]]
    return raw
