"""The fixed standards a listing must meet to be approved, as data.

Every decision on a revision records the checklist: for each standard whether the authority
confirmed it (`met`) and what the automatic pre-check said (`automatic`: True, False, or None when
a person has to check it). The automatic result is advice shown next to the box; the authority
confirms every box, and only a fully confirmed checklist can approve (`decisions.approve_revision`).

    auto = precheck(provider_row, revision_row)          # {"cvr": AutoCheck(True, …), …}
    checklist = parse_checklist(form.getall("standard"))  # {"cvr": True, "dpa": False, …}
    missing = unmet(checklist)                            # ["dpa"]
    record = checklist_record(checklist, auto)            # what Decision.checklist stores
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from marketplace.providers.cvr import is_valid_cvr
from marketplace.reference import LANGUAGES, SERVICES, TARGET_GROUPS, municipalities, postcode

MIN_METHOD_CHARS = 80  # a method "described" is more than a slogan
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AutoCheck:
    """The automatic pre-check of one standard: `result` None means "a person must check"."""

    result: bool | None
    note_da: str = ""
    note_en: str = ""

    def note(self, lang: str = "da") -> str:
        return self.note_en if lang == "en" else self.note_da


Check = Callable[[Mapping[str, Any], Mapping[str, Any]], AutoCheck]


@dataclass(frozen=True, slots=True)
class Standard:
    """One fixed standard: a stable slug, Danish and English label and hint, and an optional
    automatic pre-check on (provider row, revision row)."""

    slug: str
    da: str
    en: str
    hint_da: str
    hint_en: str
    check: Check | None = None

    def text(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da

    def hint(self, lang: str = "da") -> str:
        return self.hint_en if lang == "en" else self.hint_da


def _ok() -> AutoCheck:
    return AutoCheck(True)


def _check_cvr(provider: Mapping[str, Any], _: Mapping[str, Any]) -> AutoCheck:
    if is_valid_cvr(str(provider.get("cvr") or "")):
        return _ok()
    return AutoCheck(False, "CVR-nummeret består ikke modulus 11-kontrollen.", "The CVR number fails the modulus-11 check.")


def _check_coverage(_: Mapping[str, Any], revision: Mapping[str, Any]) -> AutoCheck:
    known = municipalities()
    codes = [c for c in revision.get("municipalities") or [] if int(c) in known]
    groups = [g for g in revision.get("target_groups") or [] if g.get("slug") in TARGET_GROUPS]
    if not codes and not revision.get("remote"):
        return AutoCheck(False, "Ingen kommuner og ingen online hjælp angivet.", "No municipalities and no remote help declared.")
    if not groups:
        return AutoCheck(False, "Ingen målgrupper angivet.", "No target groups declared.")
    return _ok()


def _check_services(_: Mapping[str, Any], revision: Mapping[str, Any]) -> AutoCheck:
    services = revision.get("services") or []
    if not services:
        return AutoCheck(False, "Ingen indsatser angivet.", "No services declared.")
    # 0 kr. is a price (the jobcentre's own services cost the citizen's municipality nothing extra)
    unpriced = [s for s in services if s.get("slug") not in SERVICES or not isinstance(s.get("price_dkk"), int)
                or isinstance(s.get("price_dkk"), bool) or s["price_dkk"] < 0]
    if unpriced:
        n = len(unpriced)
        return AutoCheck(False, f"{n} indsats(er) uden gyldig pris.", f"{n} service(s) without a valid price.")
    return _ok()


def _check_method(_: Mapping[str, Any], revision: Mapping[str, Any]) -> AutoCheck:
    length = len((revision.get("method") or "").strip())
    if length >= MIN_METHOD_CHARS:
        return _ok()
    return AutoCheck(False, f"Metodebeskrivelsen er kun {length} tegn (mindst {MIN_METHOD_CHARS}).",
                     f"The method description is only {length} characters (at least {MIN_METHOD_CHARS}).")


def _check_contact(_: Mapping[str, Any], revision: Mapping[str, Any]) -> AutoCheck:
    contact = revision.get("contact") or {}
    email = str(contact.get("email") or "").strip()
    digits = re.sub(r"\D", "", str(contact.get("phone") or ""))
    if not _EMAIL.match(email):
        return AutoCheck(False, "E-mail-adressen mangler eller er ugyldig.", "The e-mail address is missing or invalid.")
    if len(digits) < 8:
        return AutoCheck(False, "Telefonnummeret mangler eller er for kort.", "The phone number is missing or too short.")
    return _ok()


def _check_offices(_: Mapping[str, Any], revision: Mapping[str, Any]) -> AutoCheck:
    offices = revision.get("offices") or []
    if not offices and not revision.get("remote"):
        return AutoCheck(False, "Ingen adresser og ingen online hjælp.", "No offices and no remote help.")
    bad = [o for o in offices if postcode(str(o.get("postcode") or "")) is None or not str(o.get("address") or "").strip()]
    if bad:
        return AutoCheck(False, f"{len(bad)} adresse(r) uden gyldig adresse eller postnummer.",
                         f"{len(bad)} office(s) without a valid address or postcode.")
    languages = [c for c in revision.get("languages") or [] if c in LANGUAGES]
    if not languages:
        return AutoCheck(False, "Ingen sprog angivet.", "No languages declared.")
    return _ok()


STANDARDS: tuple[Standard, ...] = (
    Standard("cvr", "Gyldigt CVR-nummer", "Valid CVR number",
             "CVR-nummeret findes og tilhører organisationen.", "The CVR number exists and belongs to the organisation.",
             _check_cvr),
    Standard("coverage", "Geografisk dækning og målgrupper er angivet", "Coverage and target groups declared",
             "Kommuner (eller online hjælp) og målgrupper med erfaring er angivet og realistiske.",
             "Municipalities (or remote help) and target groups with experience are declared and realistic.",
             _check_coverage),
    Standard("services_priced", "Alle indsatser har en pris", "Every service is priced",
             "Hver indsats har en pris i kroner og en typisk varighed.", "Every service has a price in DKK and a typical duration.",
             _check_services),
    Standard("method", "Metoden er beskrevet", "Method described",
             "Det fremgår, hvordan aktøren arbejder med borgeren.", "It is clear how the provider works with the citizen.",
             _check_method),
    Standard("offices", "Adresser og sprog er angivet", "Offices and languages declared",
             "Adresserne har gyldige postnumre (eller aktøren hjælper kun online), og sprogene er angivet.",
             "The offices have valid postcodes (or the provider helps remotely only) and the languages are declared.",
             _check_offices),
    Standard("contact", "Kontaktoplysningerne er gyldige", "Contact details valid",
             "E-mail og telefonnummer er gyldige, så borgere og kommuner kan komme i kontakt.",
             "E-mail and phone are valid, so citizens and municipalities can get in touch.",
             _check_contact),
    Standard("dpa", "Databehandleraftale er bekræftet", "Data-processing agreement confirmed",
             "Aktøren har indgået databehandleraftale (persondataforordningen art. 28).",
             "The provider has signed a data-processing agreement (GDPR art. 28)."),
    Standard("complaints", "Klageadgang er beskrevet", "Complaints procedure stated",
             "Aktøren har en klageprocedure, som borgerne kan finde.", "The provider has a complaints procedure citizens can find."),
)
BY_SLUG: dict[str, Standard] = {s.slug: s for s in STANDARDS}
MANUAL = AutoCheck(None, "Kontrolleres manuelt.", "Checked by hand.")


def precheck(provider: Mapping[str, Any], revision: Mapping[str, Any]) -> dict[str, AutoCheck]:
    """The automatic pre-check of every standard (MANUAL where a person must check)."""
    return {s.slug: s.check(provider, revision) if s.check else MANUAL for s in STANDARDS}


def parse_checklist(confirmed: Iterable[str]) -> dict[str, bool]:
    """Every standard → whether its box was ticked (unknown slugs are ignored)."""
    ticked = set(confirmed)
    return {s.slug: s.slug in ticked for s in STANDARDS}


def unmet(checklist: Mapping[str, bool]) -> list[str]:
    """The standards not confirmed, in checklist order."""
    return [s.slug for s in STANDARDS if not checklist.get(s.slug)]


def checklist_record(checklist: Mapping[str, bool], auto: Mapping[str, AutoCheck]) -> dict[str, dict[str, Any]]:
    """What a Decision stores: per standard, the authority's confirmation and the automatic result."""
    return {s.slug: {"met": bool(checklist.get(s.slug)), "automatic": auto[s.slug].result if s.slug in auto else None}
            for s in STANDARDS}
