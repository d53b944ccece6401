"""The provider self-service forms: what was typed → valid content, or field errors (pure: no I/O).

    raw = {name: request_form.getall(name) for name in request_form.keys()}
    values = listing_values_from_form(raw)              # as typed: what the page shows again
    content, errors = validate_listing(values, exempt_fields=True)
    if errors: re-render with values and errors.summary(lang) / errors.by_field(lang)

Three forms: registration (`/registrer`), the listing editor (`/provider/listing`) and capacity and
contact (`/provider/capacity`). Each keeps its typed values in a dataclass (strings, sets of checked
values), so a refused form is shown again exactly as it was sent — never the password. Errors are
keyed by the id of the element they belong to (`#price-mentor`), which is also the error summary's
link target, and every message names the field and says what to do.

Coverage without JavaScript: "Hele regionen" (`region_all`) and "Hele landet" (`country_all`) are
plain checkboxes whose meaning is applied here — a ticked region covers all its municipalities and
a ticked country all 98, whatever single municipalities are (un)ticked. Read back from a revision,
a region whose municipalities are all covered shows its "Hele regionen" box ticked.

Offices: up to `MAX_OFFICES` rows of address + postcode; the city and coordinates come from the
reference postcodes (`marketplace.reference.postcode`), so an unknown postcode is a field error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from marketplace.accounts.passwords import MAX_LENGTH as PASSWORD_MAX, check_strength
from marketplace.accounts.services import check_email
from marketplace.errors import InvalidInput
from marketplace.providers.cvr import check_cvr, normalise_cvr
from marketplace.reference import LANGUAGES, PROVIDER_TYPES, SERVICES, TARGET_GROUPS, municipalities, postcode
from marketplace.reference.catalog import CAPACITIES

Raw = Mapping[str, list[str]]
"""A submitted form: field name → every value sent (checkboxes repeat)."""

DESCRIPTION_MIN, DESCRIPTION_MAX = 40, 3000
METHOD_MIN, METHOD_MAX = 80, 5000  # 80 = the authority's "method described" standard (standards.MIN_METHOD_CHARS)
NAME_MAX = 200
MAX_OFFICES = 5
ADDRESS_MAX = 200
YEARS_MAX = 60
PRICE_MAX = 1_000_000  # 0 is a price: a jobcentre's services are free for the citizen ("gratis for dig")
WEEKS_MAX = 104
WAITING_WEEKS_MAX = 52
FIRST_CONTACT_MIN, FIRST_CONTACT_MAX = 1, 30
WEBSITE_MAX = 300
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 8, 15

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)  # the same rule as the "contact" standard
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]+$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", re.IGNORECASE)


# -- errors ------------------------------------------------------------------------------------------
class FormErrors:
    """Field errors in the order they were found (the order of the form), at most one per field."""

    def __init__(self) -> None:
        self._items: dict[str, InvalidInput] = {}

    def add(self, field_id: str, da: str, en: str) -> None:
        """Record an error for a field (the first one per field wins)."""
        self._items.setdefault(field_id, InvalidInput(field_id, da, en))

    def add_error(self, error: InvalidInput, field_id: str | None = None) -> None:
        """Record a service's InvalidInput, optionally under another field id."""
        self.add(field_id or error.field, error.da, error.en)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __contains__(self, field_id: object) -> bool:
        return field_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def fields(self) -> list[str]:
        """The ids of the fields with an error."""
        return list(self._items)

    def every(self) -> tuple[InvalidInput, ...]:
        """The errors themselves, in order."""
        return tuple(self._items.values())

    def summary(self, lang: str = "da") -> list[tuple[str, str]]:
        """(field id, message) for the error summary."""
        return [(f, e.message(lang)) for f, e in self._items.items()]

    def by_field(self, lang: str = "da") -> dict[str, str]:
        """field id → message, for the inline errors."""
        return dict(self.summary(lang))


class FormInvalid(InvalidInput):
    """A whole form was refused: carries every field error (raised by use cases that validate
    stored content, e.g. submitting an incomplete draft)."""

    def __init__(self, errors: FormErrors) -> None:
        first = errors.summary("da")[0] if errors else ("form", "Formularen er ikke udfyldt korrekt.")
        first_en = errors.summary("en")[0] if errors else ("form", "The form is not filled in correctly.")
        super().__init__(first[0], first[1], first_en[1])
        self.errors = errors

    @property
    def every(self) -> tuple[InvalidInput, ...]:
        return self.errors.every() or (self,)


# -- small parsers -----------------------------------------------------------------------------------
def first(raw: Raw, name: str) -> str:
    """The first value of a field, trimmed ('' when absent)."""
    values = raw.get(name) or []
    return str(values[0]).strip() if values else ""


def every(raw: Raw, name: str) -> list[str]:
    """Every non-empty value of a repeated field (checkboxes), trimmed, in order, without repeats."""
    return list(dict.fromkeys(str(v).strip() for v in raw.get(name) or [] if str(v).strip()))


def _int(text: str) -> int | None:
    text = text.strip()
    if not text or not text.isascii() or not text.lstrip("-").isdigit():
        return None
    return int(text)


def _whole_in(text: str, low: int, high: int) -> int | None:
    number = _int(text)
    return number if number is not None and low <= number <= high else None


def _kroner(text: str) -> int | None:
    """A price in whole kroner (0 allowed): "12500", "12.500", "12 500", "12500 kr." → 12500; "12,50" → None."""
    text = text.strip().lower()
    for suffix in ("kr.", "kr", "dkk"):
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip()
    text = text.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+", text):
        text = text.replace(".", "")
    return _whole_in(text, 0, PRICE_MAX)


def _text_limits(errors: FormErrors, field_id: str, text: str, low: int, high: int,
                 empty: tuple[str, str], short: tuple[str, str], what: tuple[str, str]) -> None:
    if not text:
        errors.add(field_id, *empty)
    elif len(text) < low:
        errors.add(field_id, short[0] + f" (nu {len(text)} tegn).", short[1] + f" (now {len(text)} characters).")
    elif len(text) > high:
        errors.add(field_id, f"{what[0]} må højst være {high:,} tegn (nu {len(text):,}).".replace(",", "."),
                   f"{what[1]} may be at most {high:,} characters (now {len(text):,}).")


def check_contact(errors: FormErrors, email: str, phone: str, website: str) -> dict[str, str]:
    """Validate the three contact fields into `errors`; the contact JSON as it is stored."""
    if not _EMAIL.match(email) or len(email) > 254:
        errors.add("contact-email", "Skriv en gyldig e-mail-adresse, som borgere kan kontakte jer på – fx kontakt@firma.dk.",
                   "Enter a valid e-mail address citizens can contact you at – e.g. contact@company.dk.")
    digits = re.sub(r"\D", "", phone)
    if not phone or not _PHONE_CHARS.match(phone) or not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS:
        errors.add("contact-phone", "Skriv et telefonnummer med 8 cifre (evt. med +45 foran) – fx 70 10 20 30.",
                   "Enter a phone number of 8 digits (optionally with +45 in front) – e.g. 70 10 20 30.")
    site = website
    if site:
        if not re.match(r"^https?://", site, re.IGNORECASE):
            site = "https://" + site
        host = re.sub(r"^https?://", "", site, flags=re.IGNORECASE).split("/", 1)[0].split(":", 1)[0]
        if len(site) > WEBSITE_MAX or " " in site or not _HOST.match(host):
            errors.add("contact-website", "Skriv en gyldig webadresse – fx https://www.firma.dk – eller lad feltet stå tomt.",
                       "Enter a valid web address – e.g. https://www.company.dk – or leave the field empty.")
    return {"email": email.lower(), "phone": phone, "website": site}


# -- registration ------------------------------------------------------------------------------------
@dataclass
class RegistrationValues:
    """The registration form as typed (the passwords are never shown again)."""

    cvr: str = ""
    name: str = ""
    type: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    member_name: str = ""
    member_email: str = ""
    password: str = field(default="", repr=False)
    password_repeat: str = field(default="", repr=False)


@dataclass(frozen=True)
class Registration:
    """A valid registration."""

    cvr: str
    name: str
    type: str
    contact: dict[str, str]
    member_name: str
    member_email: str
    password: str = field(repr=False)


def registration_values_from_form(raw: Raw) -> RegistrationValues:
    """The registration form as typed."""
    return RegistrationValues(
        cvr=first(raw, "cvr")[:40], name=first(raw, "name")[:NAME_MAX + 50], type=first(raw, "type")[:40],
        contact_email=first(raw, "contact_email")[:300], contact_phone=first(raw, "contact_phone")[:60],
        member_name=first(raw, "member_name")[:NAME_MAX + 50], member_email=first(raw, "member_email")[:300],
        password=(raw.get("password") or [""])[0][: PASSWORD_MAX + 1],
        password_repeat=(raw.get("password_repeat") or [""])[0][: PASSWORD_MAX + 1],
    )


def validate_registration(v: RegistrationValues) -> tuple[Registration | None, FormErrors]:
    """Check every field; (Registration, no errors) or (None, errors). Uniqueness of the CVR number
    and the e-mail is checked by the use case."""
    errors = FormErrors()
    cvr = normalise_cvr(v.cvr)
    try:
        cvr = check_cvr(v.cvr, field="cvr")
    except InvalidInput as exc:
        errors.add_error(exc)
    if not v.name:
        errors.add("name", "Skriv organisationens navn – som det står i CVR-registeret.",
                   "Enter the organisation's name – as registered in the CVR register.")
    elif len(v.name) > NAME_MAX:
        errors.add("name", f"Navnet må højst være {NAME_MAX} tegn.", f"The name may be at most {NAME_MAX} characters.")
    if v.type not in PROVIDER_TYPES:
        errors.add("type", "Vælg hvilken type aktør I er – fx privat jobformidler eller a-kasse.",
                   "Choose what type of provider you are – e.g. private job adviser or unemployment fund.")
    contact = check_contact(errors, v.contact_email, v.contact_phone, "")
    contact.pop("website", None)
    if not v.member_name:
        errors.add("member-name", "Skriv dit navn.", "Enter your name.")
    elif len(v.member_name) > NAME_MAX:
        errors.add("member-name", f"Dit navn må højst være {NAME_MAX} tegn.", f"Your name may be at most {NAME_MAX} characters.")
    member_email = ""
    try:
        member_email = check_email(v.member_email)
    except InvalidInput as exc:
        errors.add_error(exc, "member-email")
    if not v.password:
        errors.add("password", "Vælg en adgangskode på mindst 12 tegn – fx tre eller fire ord i en sætning.",
                   "Choose a password of at least 12 characters – e.g. three or four words in a sentence.")
    else:
        try:
            check_strength(v.password, email=member_email)
        except InvalidInput as exc:
            errors.add_error(exc, "password")
    if "password" not in errors and v.password != v.password_repeat:
        errors.add("password-repeat", "Skriv den samme adgangskode i begge felter.",
                   "Type the same password in both fields.")
    if errors:
        return None, errors
    return Registration(cvr=cvr, name=v.name, type=v.type, contact=contact, member_name=v.member_name,
                        member_email=member_email, password=v.password), errors


# -- the listing editor ------------------------------------------------------------------------------
@dataclass
class OfficeValues:
    address: str = ""
    postcode: str = ""
    city: str = ""  # shown, never typed: it comes from the postcode


@dataclass
class ListingValues:
    """The listing editor as typed (or as read from a revision)."""

    description: str = ""
    method: str = ""
    municipalities: set[str] = field(default_factory=set)
    regions_all: set[str] = field(default_factory=set)
    country_all: bool = False
    remote: bool = False
    target_groups: set[str] = field(default_factory=set)
    years: dict[str, str] = field(default_factory=dict)
    services: set[str] = field(default_factory=set)
    prices: dict[str, str] = field(default_factory=dict)
    weeks: dict[str, str] = field(default_factory=dict)
    languages: set[str] = field(default_factory=set)
    offices: list[OfficeValues] = field(default_factory=list)
    capacity: str = ""
    waiting_weeks: str = ""
    first_contact_days: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    contact_website: str = ""

    def office_rows(self) -> list[OfficeValues]:
        """Exactly MAX_OFFICES rows (the typed ones first, then empty ones)."""
        rows = list(self.offices[:MAX_OFFICES])
        return rows + [OfficeValues() for _ in range(MAX_OFFICES - len(rows))]

    def filled_offices(self) -> int:
        """How many office rows hold anything."""
        return sum(1 for o in self.offices if o.address or o.postcode)


def coverage_groups() -> list[tuple[int, str, list[tuple[int, str]]]]:
    """(region code, region name, [(municipality code, name)]) sorted by region, then municipality name."""
    groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    for m in sorted(municipalities().values(), key=lambda m: m.name):
        groups.setdefault(m.region_code, (m.region_name, []))[1].append((m.code, m.name))
    return sorted(((code, name, items) for code, (name, items) in groups.items()), key=lambda g: g[1])


def expand_coverage(codes: Iterable[str | int], regions: Iterable[str | int], country: bool) -> list[int]:
    """The covered municipality codes: the ticked ones, every municipality of a ticked region, all 98
    for the whole country. Unknown codes are dropped."""
    munis = municipalities()
    if country:
        return sorted(munis)
    chosen = {int(c) for c in codes if str(c).isdigit() and int(c) in munis}
    wanted_regions = {int(r) for r in regions if str(r).isdigit()}
    chosen |= {m.code for m in munis.values() if m.region_code in wanted_regions}
    return sorted(chosen)


def _collapse_coverage(codes: Iterable[int]) -> tuple[set[str], set[str], bool]:
    """Stored codes → (municipality boxes, fully covered region boxes, whole country)."""
    munis = municipalities()
    covered = {int(c) for c in codes if int(c) in munis}
    regions = {m.region_code for m in munis.values()}
    full = {r for r in regions if all(m.code in covered for m in munis.values() if m.region_code == r)}
    return {str(c) for c in covered}, {str(r) for r in full}, bool(covered) and len(covered) == len(munis)


def listing_values_from_form(raw: Raw) -> ListingValues:
    """The editor form as typed."""
    offices = []
    for i in range(1, MAX_OFFICES + 1):
        address, code = first(raw, f"office_address_{i}")[: ADDRESS_MAX + 50], first(raw, f"office_postcode_{i}")[:20]
        pc = postcode(code) if code.isdigit() and len(code) == 4 else None
        offices.append(OfficeValues(address, code, pc.name if pc else ""))
    while offices and not (offices[-1].address or offices[-1].postcode):
        offices.pop()
    return ListingValues(
        description=first(raw, "description")[: DESCRIPTION_MAX + 2000],
        method=first(raw, "method")[: METHOD_MAX + 2000],
        municipalities=set(every(raw, "municipality")),
        regions_all=set(every(raw, "region_all")),
        country_all=bool(first(raw, "country_all")),
        remote=bool(first(raw, "remote")),
        target_groups={s for s in every(raw, "target_group") if s in TARGET_GROUPS},
        years={s: first(raw, f"years_{s}")[:20] for s in TARGET_GROUPS if first(raw, f"years_{s}")},
        services={s for s in every(raw, "service") if s in SERVICES},
        prices={s: first(raw, f"price_{s}")[:30] for s in SERVICES if first(raw, f"price_{s}")},
        weeks={s: first(raw, f"weeks_{s}")[:20] for s in SERVICES if first(raw, f"weeks_{s}")},
        languages={c for c in every(raw, "language") if c in LANGUAGES},
        offices=offices,
        capacity=first(raw, "capacity")[:20],
        waiting_weeks=first(raw, "waiting_weeks")[:20],
        first_contact_days=first(raw, "first_contact_days")[:20],
        contact_email=first(raw, "contact_email")[:300],
        contact_phone=first(raw, "contact_phone")[:60],
        contact_website=first(raw, "contact_website")[: WEBSITE_MAX + 50],
    )


def listing_values_from_revision(revision: Mapping[str, Any]) -> ListingValues:
    """A stored revision (JSON columns loaded) as the editor shows it."""
    munis, regions, country = _collapse_coverage(revision.get("municipalities") or [])
    tgs = [t for t in revision.get("target_groups") or [] if t.get("slug") in TARGET_GROUPS]
    services = [s for s in revision.get("services") or [] if s.get("slug") in SERVICES]
    contact = revision.get("contact") or {}
    first_contact = revision.get("first_contact_days")
    return ListingValues(
        description=revision.get("description") or "",
        method=revision.get("method") or "",
        municipalities=munis, regions_all=regions, country_all=country,
        remote=bool(revision.get("remote")),
        target_groups={t["slug"] for t in tgs},
        years={t["slug"]: str(t["years"]) for t in tgs if t.get("years") is not None},
        services={s["slug"] for s in services},
        prices={s["slug"]: str(s["price_dkk"]) for s in services if s.get("price_dkk") is not None},
        weeks={s["slug"]: str(s["duration_weeks"]) for s in services if s.get("duration_weeks") is not None},
        languages={c for c in revision.get("languages") or [] if c in LANGUAGES},
        offices=[OfficeValues(str(o.get("address") or ""), str(o.get("postcode") or ""), str(o.get("city") or ""))
                 for o in (revision.get("offices") or [])[:MAX_OFFICES]],
        capacity=str(revision.get("capacity") or ""),
        waiting_weeks=str(revision.get("waiting_weeks") or "") if revision.get("capacity") == "waitlist" else "",
        first_contact_days=str(first_contact) if first_contact else "",
        contact_email=str(contact.get("email") or ""),
        contact_phone=str(contact.get("phone") or ""),
        contact_website=str(contact.get("website") or ""),
    )


EXEMPT_FIELDS = ("capacity", "waiting_weeks", "contact")
"""Revision columns that change without re-approval once a listing is public (see listing.py)."""


def check_capacity(errors: FormErrors, capacity: str, waiting_weeks: str) -> dict[str, Any]:
    """Validate capacity and waiting weeks into `errors`; the stored columns."""
    if capacity not in CAPACITIES:
        errors.add("capacity", "Vælg jeres kapacitet: ledige pladser, venteliste eller fuldt booket.",
                   "Choose your capacity: places available, waiting list or full.")
        return {}
    weeks = 0
    if capacity == "waitlist":
        number = _whole_in(waiting_weeks, 1, WAITING_WEEKS_MAX)
        if number is None:
            errors.add("waiting-weeks", f"Angiv ventetiden i hele uger fra 1 til {WAITING_WEEKS_MAX}, når I har venteliste.",
                       f"Give the waiting time in whole weeks from 1 to {WAITING_WEEKS_MAX} when you have a waiting list.")
        else:
            weeks = number
    return {"capacity": capacity, "waiting_weeks": weeks}


def validate_listing(v: ListingValues, *, exempt_fields: bool) -> tuple[dict[str, Any] | None, FormErrors]:
    """Check every field of the editor; (revision content, no errors) or (None, errors).
    With `exempt_fields` the form also holds capacity and contact (a listing that is not public yet);
    without, the content leaves them out and the use case keeps the public revision's values."""
    errors = FormErrors()
    _text_limits(errors, "description", v.description, DESCRIPTION_MIN, DESCRIPTION_MAX,
                 ("Skriv en beskrivelse af jeres tilbud – hvem I hjælper, og hvad borgeren får ud af det.",
                  "Write a description of your offer – whom you help and what the citizen gets from it."),
                 (f"Beskrivelsen skal være mindst {DESCRIPTION_MIN} tegn – fortæl kort, hvem I hjælper og hvordan",
                  f"The description must be at least {DESCRIPTION_MIN} characters – say briefly whom you help and how"),
                 ("Beskrivelsen", "The description"))
    _text_limits(errors, "method", v.method, METHOD_MIN, METHOD_MAX,
                 ("Beskriv jeres metode – hvordan I arbejder med borgeren fra første samtale til job.",
                  "Describe your method – how you work with the citizen from the first meeting to a job."),
                 (f"Metodebeskrivelsen skal være mindst {METHOD_MIN} tegn – beskriv fx forløbets faser, og hvor tit "
                  "borgeren møder jer", f"The method must be at least {METHOD_MIN} characters – describe e.g. the phases "
                  "of the course and how often the citizen meets you"),
                 ("Metodebeskrivelsen", "The method"))

    codes = expand_coverage(v.municipalities, v.regions_all, v.country_all)
    if not codes and not v.remote:
        errors.add("coverage", "Vælg mindst én kommune, en hel region eller hele landet – eller sæt kryds ved, "
                               "at I hjælper online/digitalt.",
                   "Choose at least one municipality, a whole region or the whole country – or tick that you "
                   "help remotely/digitally.")

    target_groups = []
    for slug, item in TARGET_GROUPS.items():
        typed = v.years.get(slug, "")
        if slug in v.target_groups:
            years = _whole_in(typed, 0, YEARS_MAX)
            if years is None:
                errors.add(f"years-{slug}", f"Angiv antal års erfaring med {item.da.lower()} – et helt tal fra 0 til {YEARS_MAX}.",
                           f"Give the years of experience with {item.en.lower()} – a whole number from 0 to {YEARS_MAX}.")
            else:
                target_groups.append({"slug": slug, "years": years})
        elif typed:
            errors.add(f"years-{slug}", f"Sæt kryds ved {item.da.lower()}, eller slet antal års erfaring.",
                       f"Tick {item.en.lower()}, or delete the years of experience.")
    if not v.target_groups:
        errors.add("target-groups", "Vælg mindst én målgruppe, I har erfaring med at hjælpe.",
                   "Choose at least one target group you have experience helping.")

    services = []
    for slug, item in SERVICES.items():
        price_text, weeks_text = v.prices.get(slug, ""), v.weeks.get(slug, "")
        name_da, name_en = item.da.lower(), item.en.lower()
        if slug in v.services:
            price = _kroner(price_text)
            if not price_text:
                errors.add(f"price-{slug}", f"Angiv prisen for {name_da} i hele kroner – fx 12500.",
                           f"Give the price of {name_en} in whole kroner – e.g. 12500.")
            elif price is None:
                errors.add(f"price-{slug}", f"Prisen for {name_da} skal være et helt antal kroner fra 0 til "
                                            f"{PRICE_MAX:,} – fx 12500.".replace(",", "."),
                           f"The price of {name_en} must be whole kroner from 0 to {PRICE_MAX:,} – e.g. 12500.")
            weeks = _whole_in(weeks_text, 1, WEEKS_MAX)
            if weeks is None:
                errors.add(f"weeks-{slug}", f"Angiv den typiske varighed af {name_da} i hele uger fra 1 til {WEEKS_MAX}.",
                           f"Give the typical duration of {name_en} in whole weeks from 1 to {WEEKS_MAX}.")
            if price is not None and weeks is not None:
                services.append({"slug": slug, "price_dkk": price, "duration_weeks": weeks})
        elif price_text or weeks_text:
            errors.add(f"price-{slug}" if price_text else f"weeks-{slug}",
                       f"Sæt kryds ved {name_da}, eller slet pris og varighed.",
                       f"Tick {name_en}, or delete the price and duration.")
    if not v.services:
        errors.add("services", "Vælg mindst én indsats, I tilbyder, med pris og varighed.",
                   "Choose at least one service you offer, with price and duration.")

    if not v.languages:
        errors.add("languages", "Vælg mindst ét sprog, I kan hjælpe borgeren på.",
                   "Choose at least one language you can help the citizen in.")

    offices = []
    for i, office in enumerate(v.offices[:MAX_OFFICES], start=1):
        if not (office.address or office.postcode):
            continue
        if not office.address:
            errors.add(f"office-address-{i}", f"Skriv adressen for kontor {i} – fx Vestergade 12.",
                       f"Enter the address of office {i} – e.g. Vestergade 12.")
        elif len(office.address) > ADDRESS_MAX:
            errors.add(f"office-address-{i}", f"Adressen for kontor {i} må højst være {ADDRESS_MAX} tegn.",
                       f"The address of office {i} may be at most {ADDRESS_MAX} characters.")
        pc = postcode(office.postcode) if office.postcode.isdigit() and len(office.postcode) == 4 else None
        if not office.postcode:
            errors.add(f"office-postcode-{i}", f"Skriv postnummeret for kontor {i} – 4 cifre, fx 8000.",
                       f"Enter the postcode of office {i} – 4 digits, e.g. 8000.")
        elif pc is None:
            errors.add(f"office-postcode-{i}", f"Postnummeret {office.postcode} for kontor {i} findes ikke. "
                                               "Skriv et dansk postnummer med 4 cifre – fx 8000.",
                       f"The postcode {office.postcode} of office {i} does not exist. Enter a Danish 4-digit "
                       "postcode – e.g. 8000.")
        if pc is not None and office.address and len(office.address) <= ADDRESS_MAX:
            offices.append({"address": office.address, "postcode": pc.code, "city": pc.name, "lat": pc.lat, "lon": pc.lon})
    if not v.filled_offices() and not v.remote:
        errors.add("office-address-1", "Skriv mindst én adresse, hvor borgeren kan møde jer – eller sæt kryds ved, "
                                       "at I hjælper online/digitalt.",
                   "Enter at least one address where the citizen can meet you – or tick that you help remotely/digitally.")

    exempt: dict[str, Any] = {}
    if exempt_fields:
        exempt = check_capacity(errors, v.capacity, v.waiting_weeks)
    first_contact = _whole_in(v.first_contact_days, FIRST_CONTACT_MIN, FIRST_CONTACT_MAX)
    if first_contact is None:
        errors.add("first-contact-days", "Angiv inden for hvor mange arbejdsdage borgeren hører fra jer efter sit valg "
                                         f"– et helt tal fra {FIRST_CONTACT_MIN} til {FIRST_CONTACT_MAX}.",
                   "Give within how many working days the citizen hears from you after choosing you – a whole number "
                   f"from {FIRST_CONTACT_MIN} to {FIRST_CONTACT_MAX}.")
    if exempt_fields:
        exempt["contact"] = check_contact(errors, v.contact_email, v.contact_phone, v.contact_website)

    if errors:
        return None, errors
    return {
        "description": v.description, "method": v.method, "municipalities": codes, "remote": v.remote,
        "offices": offices, "target_groups": target_groups, "services": services,
        "languages": [c for c in LANGUAGES if c in v.languages], "first_contact_days": first_contact, **exempt,
    }, errors


# -- capacity and contact ----------------------------------------------------------------------------
@dataclass
class CapacityValues:
    """The capacity-and-contact form as typed."""

    capacity: str = ""
    waiting_weeks: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    contact_website: str = ""
    confirm: bool = False


def capacity_values_from_form(raw: Raw) -> CapacityValues:
    """The capacity form as typed."""
    return CapacityValues(
        capacity=first(raw, "capacity")[:20], waiting_weeks=first(raw, "waiting_weeks")[:20],
        contact_email=first(raw, "contact_email")[:300], contact_phone=first(raw, "contact_phone")[:60],
        contact_website=first(raw, "contact_website")[: WEBSITE_MAX + 50], confirm=bool(first(raw, "confirm")),
    )


def capacity_values_from_revision(revision: Mapping[str, Any]) -> CapacityValues:
    """The public revision's capacity and contact as the form shows them."""
    contact = revision.get("contact") or {}
    return CapacityValues(
        capacity=str(revision.get("capacity") or ""),
        waiting_weeks=str(revision.get("waiting_weeks") or "") if revision.get("capacity") == "waitlist" else "",
        contact_email=str(contact.get("email") or ""), contact_phone=str(contact.get("phone") or ""),
        contact_website=str(contact.get("website") or ""),
    )


def validate_capacity(v: CapacityValues) -> tuple[dict[str, Any] | None, FormErrors]:
    """(capacity, waiting_weeks, contact) as stored, or (None, errors)."""
    errors = FormErrors()
    values = check_capacity(errors, v.capacity, v.waiting_weeks)
    values["contact"] = check_contact(errors, v.contact_email, v.contact_phone, v.contact_website)
    if errors:
        return None, errors
    return values, errors


def int_or_none(text: str | None) -> int | None:
    """A hidden id / version field → int (None when missing or not a number)."""
    return _int(text or "")
