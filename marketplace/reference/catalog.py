"""The reference catalogue, read from the CSV files in `data/` (see data/README.md for sources and
the ODbL attribution of postnumre.csv) and the fixed vocabularies from DESIGN.md.

Everything here is immutable and loaded once; validation in services and search uses it.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Label:
    slug: str
    da: str
    en: str

    def text(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da


@dataclass(frozen=True, slots=True)
class Service(Label):
    company_oriented: bool = False


@dataclass(frozen=True, slots=True)
class Municipality:
    code: int
    name: str
    region_code: int
    region_name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Postcode:
    code: str
    name: str
    municipality_code: int
    lat: float
    lon: float


def _labels(*rows: tuple[str, str, str]) -> dict[str, Label]:
    return {slug: Label(slug, da, en) for slug, da, en in rows}


TARGET_GROUPS: dict[str, Label] = _labels(
    ("dagpenge", "Dagpengemodtagere", "Unemployment benefit (dagpenge)"),
    ("kontanthjaelp-jobparat", "Kontanthjælp – jobparat", "Social assistance – job-ready"),
    ("kontanthjaelp-aktivitetsparat", "Kontanthjælp – aktivitetsparat", "Social assistance – activity-ready"),
    ("uddannelseshjaelp", "Uddannelseshjælp", "Education benefit"),
    ("sygedagpenge", "Sygedagpenge", "Sickness benefit"),
    ("jobafklaring", "Jobafklaringsforløb", "Job clarification"),
    ("ressourceforloeb", "Ressourceforløb", "Resource course"),
    ("ledighedsydelse", "Ledighedsydelse", "Flex-job waiting benefit"),
    ("fleksjob", "Fleksjob", "Flex job"),
    ("revalidering", "Revalidering", "Rehabilitation"),
    ("integration", "Integrationsydelse / selvforsørgelses- og hjemrejseydelse", "Integration benefit"),
)

SERVICES: dict[str, Service] = {
    s.slug: s
    for s in (
        Service("jobsamtaler", "Jobsamtaler og rådgivning", "Job counselling"),
        Service("jobsoegning", "Jobsøgningskursus", "Job-search course"),
        Service("virksomhedspraktik", "Virksomhedspraktik", "Work placement", True),
        Service("loentilskud", "Løntilskud", "Wage subsidy job", True),
        Service("nytteindsats", "Nytteindsats", "Community work", True),
        Service("ordinaere-timer", "Ordinære timer", "Ordinary working hours", True),
        Service("opkvalificering", "Vejledning og opkvalificering", "Guidance and up-skilling"),
        Service("mentor", "Mentorstøtte", "Mentor support"),
        Service("helbred", "Helbredsindsats", "Health support"),
        Service("social", "Social indsats", "Social support"),
        Service("dansk", "Danskundervisning", "Danish language"),
        Service("ips", "IPS – individuelt planlagt job med støtte", "IPS (Individual Placement and Support)", True),
    )
}

PROVIDER_TYPES: dict[str, Label] = _labels(
    ("privat", "Privat jobformidler", "Private job adviser"),
    ("jobcenter", "Jobcenter", "Jobcentre"),
    ("a-kasse", "A-kasse", "Unemployment insurance fund"),
    ("uddannelse", "Uddannelsesinstitution", "Education institution"),
    ("socialoekonomisk", "Socialøkonomisk virksomhed / NGO", "Social enterprise / NGO"),
    ("andet", "Andet", "Other"),
)

LANGUAGES: dict[str, Label] = _labels(
    ("da", "Dansk", "Danish"),
    ("en", "Engelsk", "English"),
    ("de", "Tysk", "German"),
    ("pl", "Polsk", "Polish"),
    ("ro", "Rumænsk", "Romanian"),
    ("uk", "Ukrainsk", "Ukrainian"),
    ("ar", "Arabisk", "Arabic"),
    ("tr", "Tyrkisk", "Turkish"),
    ("so", "Somali", "Somali"),
    ("fa", "Persisk (farsi/dari)", "Persian (Farsi/Dari)"),
    ("ur", "Urdu", "Urdu"),
    ("ti", "Tigrinya", "Tigrinya"),
)

CAPACITIES: dict[str, Label] = _labels(
    ("open", "Ledige pladser", "Places available"),
    ("waitlist", "Venteliste", "Waiting list"),
    ("full", "Fuldt booket", "Full"),
)

AGE_BANDS: tuple[str, ...] = ("16-24", "25-29", "30-39", "40-49", "50-59", "60+")

OUTCOME_STATUSES: dict[str, Label] = _labels(
    ("job", "I job", "In work"),
    ("education", "I uddannelse", "In education"),
    ("benefit", "På offentlig forsørgelse", "On benefit"),
    ("other", "Andet", "Other"),
)


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def municipalities() -> dict[int, Municipality]:
    """The 98 municipalities by code."""
    return {
        int(r["code"]): Municipality(
            int(r["code"]), r["name"], int(r["region_code"]), r["region_name"], float(r["lat"]), float(r["lon"])
        )
        for r in _read("kommuner.csv")
    }


@lru_cache(maxsize=1)
def postcodes() -> dict[str, Postcode]:
    """Postcodes by their 4-digit string."""
    return {
        r["postcode"]: Postcode(r["postcode"], r["name"], int(r["municipality_code"]), float(r["lat"]), float(r["lon"]))
        for r in _read("postnumre.csv")
    }


@lru_cache(maxsize=1)
def _regions() -> dict[int, str]:
    return {m.region_code: m.region_name for m in sorted(municipalities().values(), key=lambda m: m.region_code)}


REGIONS = _regions()


def municipality(code: int) -> Municipality | None:
    """The municipality with this code, or None."""
    return municipalities().get(code)


def postcode(code: str) -> Postcode | None:
    """The postcode with this 4-digit code, or None."""
    return postcodes().get(code.strip())


@lru_cache(maxsize=1)
def _municipality_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for m in municipalities().values():
        names[m.name.casefold()] = m.code
        names[f"{m.name} kommune".casefold()] = m.code
    return names


def resolve_place(text: str) -> tuple[int, float, float, str] | None:
    """A postcode ("8000"), a municipality code ("751") or name ("Aarhus") → (municipality code,
    lat, lon, display name); None when it is none of these."""
    text = text.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) == 4:  # "³".isdigit() is True, int("³") fails
        pc = postcode(text)
        return (pc.municipality_code, pc.lat, pc.lon, f"{pc.code} {pc.name}") if pc else None
    if text.isascii() and text.isdigit() and len(text) <= 3:
        m = municipality(int(text))
        return (m.code, m.lat, m.lon, m.name) if m else None
    code = _municipality_names().get(text.casefold())
    if code is None:
        return None
    m = municipalities()[code]
    return (m.code, m.lat, m.lon, m.name)
