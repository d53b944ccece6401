"""Deterministic demo data for the marketplace.

`generate` is pure: from a seed it builds plain dicts for every table (providers, approved listing
revisions, finished courses, demo citizens, enrolments and reviews). `load` writes them in one
write transaction; `seed_demo` does both, once (it does nothing when any provider exists).

Rows that point at other rows carry *references* under keys starting with an underscore, resolved
by `load` once the database has assigned ids:

* ``_provider``  – the provider's CVR number (revisions, outcomes, enrolments, reviews)
* ``_citizen``   – the citizen's e-mail address (enrolments)
* ``_enrolment`` – the enrolment's reference (reviews)

All names, numbers and texts are invented. Course ids are pseudonymous and never look like CPR
numbers; citizens have no password and use the reserved ``.invalid`` domain, providers the reserved
``.example`` domain.
"""
from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Sequence, TypeVar

from marketplace.reference import catalog

DEFAULT_SEED = 20261123
CHUNK_SIZE = 500  # rows per INSERT: keeps SQLite below its bound-variable limit
OUTBOX_REASON = "seed-demo"

T = TypeVar("T")
Row = dict[str, Any]
Progress = Callable[[str, int, int], None]

# ---------------------------------------------------------------------------------------------
# Facts and vocabularies used by the generator
# ---------------------------------------------------------------------------------------------

# Approximate population by region code (2024), used to spread providers realistically.
REGION_POPULATION: dict[int, int] = {
    1084: 1_895_000,  # Hovedstaden
    1082: 1_371_000,  # Midtjylland
    1083: 1_237_000,  # Syddanmark
    1085: 853_000,  # Sjælland
    1081: 592_000,  # Nordjylland
}

# Share of providers per type (privat most common, then a-kasse, jobcenter, …).
TYPE_SHARES: dict[str, float] = {
    "privat": 0.45,
    "a-kasse": 0.15,
    "jobcenter": 0.12,
    "uddannelse": 0.11,
    "socialoekonomisk": 0.11,
    "andet": 0.06,
}

OUTCOME_FIRST_START = date(2024, 1, 1)
OUTCOME_LAST_START = date(2026, 6, 30)
OUTCOME_LAST_END = date(2026, 9, 30)
PROVIDERS_CREATED_FROM = datetime(2023, 6, 1, tzinfo=timezone.utc)

# Probability of a job three months after the end, for a 30-39-year-old with the target group's
# typical time on benefit at an average provider.
BASE_SUCCESS: dict[str, float] = {
    "dagpenge": 0.55,
    "kontanthjaelp-jobparat": 0.33,
    "kontanthjaelp-aktivitetsparat": 0.12,
    "uddannelseshjaelp": 0.28,
    "sygedagpenge": 0.45,
    "jobafklaring": 0.18,
    "ressourceforloeb": 0.10,
    "ledighedsydelse": 0.40,
    "fleksjob": 0.45,
    "revalidering": 0.35,
    "integration": 0.25,
}

# Typical months on benefit before the course starts (mean of an exponential distribution).
MEAN_MONTHS_ON_BENEFIT: dict[str, float] = {
    "dagpenge": 4,
    "kontanthjaelp-jobparat": 10,
    "kontanthjaelp-aktivitetsparat": 30,
    "uddannelseshjaelp": 8,
    "sygedagpenge": 5,
    "jobafklaring": 24,
    "ressourceforloeb": 36,
    "ledighedsydelse": 12,
    "fleksjob": 18,
    "revalidering": 12,
    "integration": 14,
}

# Log-odds effect of the age band on the chance of a job (older: lower).
AGE_EFFECT: dict[str, float] = {
    "16-24": -0.10,
    "25-29": 0.05,
    "30-39": 0.0,
    "40-49": -0.05,
    "50-59": -0.30,
    "60+": -0.80,
}
MONTHS_EFFECT_PER_LOG_MONTH = -0.35  # longer on benefit: lower chance
PROVIDER_EFFECT_SD = 0.40  # the providers' true effects, on the log-odds scale

# Age-band weights (in catalog.AGE_BANDS order) per target group.
_AGE_DEFAULT = (8, 14, 24, 22, 21, 11)
_AGE_OLDER = (3, 6, 18, 27, 32, 14)
AGE_WEIGHTS: dict[str, tuple[int, ...]] = {
    "dagpenge": (6, 12, 25, 22, 22, 13),
    "kontanthjaelp-jobparat": (5, 20, 30, 22, 18, 5),
    "kontanthjaelp-aktivitetsparat": (5, 18, 28, 24, 20, 5),
    "uddannelseshjaelp": (75, 25, 0, 0, 0, 0),
    "sygedagpenge": (5, 8, 20, 25, 27, 15),
    "jobafklaring": _AGE_OLDER,
    "ressourceforloeb": _AGE_OLDER,
    "ledighedsydelse": _AGE_OLDER,
    "fleksjob": _AGE_OLDER,
    "revalidering": (6, 14, 30, 26, 20, 4),
    "integration": (15, 20, 35, 20, 8, 2),
}

# Which target groups each provider type tends to serve (relative weights).
TARGET_GROUP_WEIGHTS: dict[str, dict[str, int]] = {
    "privat": {
        "dagpenge": 10, "kontanthjaelp-jobparat": 9, "kontanthjaelp-aktivitetsparat": 5, "uddannelseshjaelp": 4,
        "sygedagpenge": 7, "jobafklaring": 4, "ressourceforloeb": 3, "ledighedsydelse": 4, "fleksjob": 5,
        "revalidering": 3, "integration": 5,
    },
    "a-kasse": {"sygedagpenge": 5, "fleksjob": 3, "ledighedsydelse": 4, "revalidering": 2, "kontanthjaelp-jobparat": 1},
    "jobcenter": {tg: 5 for tg in catalog.TARGET_GROUPS},
    "uddannelse": {
        "uddannelseshjaelp": 10, "integration": 8, "kontanthjaelp-jobparat": 6, "dagpenge": 6, "revalidering": 5,
        "kontanthjaelp-aktivitetsparat": 2,
    },
    "socialoekonomisk": {
        "kontanthjaelp-aktivitetsparat": 10, "ressourceforloeb": 9, "fleksjob": 8, "jobafklaring": 6,
        "integration": 6, "ledighedsydelse": 5, "uddannelseshjaelp": 4,
    },
    "andet": {
        "sygedagpenge": 10, "jobafklaring": 8, "ressourceforloeb": 7, "fleksjob": 6, "revalidering": 5,
        "kontanthjaelp-aktivitetsparat": 4,
    },
}

# Which services each provider type tends to offer (relative weights).
SERVICE_WEIGHTS: dict[str, dict[str, int]] = {
    "privat": {
        "jobsamtaler": 10, "jobsoegning": 8, "virksomhedspraktik": 7, "loentilskud": 5, "ordinaere-timer": 4,
        "opkvalificering": 5, "mentor": 6, "helbred": 2, "social": 2, "dansk": 1, "ips": 2, "nytteindsats": 1,
    },
    "a-kasse": {"jobsamtaler": 10, "jobsoegning": 9, "opkvalificering": 6, "virksomhedspraktik": 3, "mentor": 2},
    "jobcenter": {s: 5 for s in catalog.SERVICES},
    "uddannelse": {"opkvalificering": 10, "dansk": 8, "jobsoegning": 6, "jobsamtaler": 3, "virksomhedspraktik": 3},
    "socialoekonomisk": {
        "virksomhedspraktik": 9, "ordinaere-timer": 8, "mentor": 8, "social": 7, "nytteindsats": 5,
        "loentilskud": 5, "dansk": 2, "ips": 2,
    },
    "andet": {"helbred": 10, "mentor": 7, "social": 6, "ips": 6, "jobsamtaler": 4, "virksomhedspraktik": 3},
}

# (lowest price, highest price) in whole kroner and (shortest, longest) duration in weeks.
SERVICE_PRICES: dict[str, tuple[int, int]] = {
    "jobsamtaler": (2_000, 8_000),
    "jobsoegning": (3_000, 12_000),
    "virksomhedspraktik": (4_000, 15_000),
    "loentilskud": (5_000, 18_000),
    "nytteindsats": (3_000, 10_000),
    "ordinaere-timer": (6_000, 20_000),
    "opkvalificering": (8_000, 45_000),
    "mentor": (5_000, 25_000),
    "helbred": (6_000, 30_000),
    "social": (6_000, 30_000),
    "dansk": (4_000, 20_000),
    "ips": (15_000, 45_000),
}
SERVICE_WEEKS: dict[str, tuple[int, int]] = {
    "jobsamtaler": (2, 8),
    "jobsoegning": (2, 6),
    "virksomhedspraktik": (4, 13),
    "loentilskud": (8, 26),
    "nytteindsats": (4, 13),
    "ordinaere-timer": (8, 26),
    "opkvalificering": (4, 20),
    "mentor": (8, 26),
    "helbred": (8, 26),
    "social": (8, 26),
    "dansk": (8, 26),
    "ips": (13, 26),
}

OTHER_LANGUAGES = ("de", "pl", "ro", "uk", "ar", "tr", "so", "fa", "ur", "ti")

# --- Names ---------------------------------------------------------------------------------------

NAME_STEMS = (
    "Job", "Karriere", "Kompetence", "Fremtids", "Arbejds", "Nystart", "Match", "Vækst", "Fokus",
    "Talent", "Styrke", "Brobygger", "Kurs", "Trivsels", "Mål",
)
NAME_ENDINGS = ("vejen", "broen", "huset", "kompasset", "partner", "centret", "værkstedet", "porten", "stien", "linjen")
LEGAL_FORMS = ("ApS", "ApS", "ApS", "A/S", "I/S", "")
PRIVATE_NOUNS = (
    "Karrierecenter", "Jobformidling", "Jobrådgivning", "Beskæftigelsesrådgivning", "Kompetencecenter",
    "Jobpartner", "Karriererådgivning", "Jobcoaching",
)
SURNAMES = (
    "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
    "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Johansen", "Møller",
    "Mortensen", "Holm", "Knudsen", "Lund", "Dahl", "Bach", "Kjær", "Nørgaard", "Friis", "Vestergaard",
    "Søndergaard", "Ahmed", "Hussein", "Nowak", "Kowalski", "Yilmaz",
)
FIRST_NAMES = (
    "Mette", "Anne", "Kirsten", "Hanne", "Lene", "Camilla", "Sofie", "Emma", "Ida", "Freja", "Maria", "Louise",
    "Julie", "Fatima", "Amina", "Aisha", "Olena", "Agnieszka", "Peter", "Jens", "Lars", "Michael", "Søren",
    "Henrik", "Thomas", "Rasmus", "Mads", "Frederik", "Jonas", "Mikkel", "Ahmed", "Mohammed", "Ali", "Omar",
    "Piotr", "Andrii", "Bente", "Birgitte", "Ole", "Kim",
)
TRADES = (
    "Håndværkere", "Akademikere", "Ingeniører", "Lærere", "Sundhedspersonale", "Kontor og Handel", "Byggefag",
    "Transport og Logistik", "IT-folk", "Kreative Fag", "Selvstændige", "Ledere", "Pædagoger",
    "Metal og Industri", "Service og Rengøring", "Landbrug og Fødevarer", "Tekniske Fag", "Salg og Marketing",
    "Økonomer", "Medier og Kommunikation",
)
AKASSE_NAMES = (
    "Den Faglige A-kasse", "Fagenes A-kasse", "Funktionærernes A-kasse", "Lønmodtagernes A-kasse",
    "Den Tværfaglige A-kasse", "Den Frie A-kasse", "Fællesskabets A-kasse", "Den Danske A-kasse",
)
REGION_ADJECTIVES: dict[int, tuple[str, ...]] = {
    1081: ("Nordjysk", "Vendsysselsk", "Himmerlandsk"),
    1082: ("Midtjysk", "Østjysk", "Vestjysk"),
    1083: ("Sydjysk", "Fynsk", "Sønderjysk"),
    1084: ("Københavnsk", "Nordsjællandsk", "Storkøbenhavnsk"),
    1085: ("Sjællandsk", "Sydsjællandsk", "Vestsjællandsk"),
}
REGION_AREAS: dict[int, tuple[str, ...]] = {
    1081: ("Nordjylland", "Vendsyssel", "Himmerland", "Thy"),
    1082: ("Midtjylland", "Østjylland", "Vestjylland", "Aarhus"),
    1083: ("Fyn", "Sønderjylland", "Trekantområdet", "Sydvestjylland"),
    1084: ("Storkøbenhavn", "Nordsjælland", "Amager", "Vestegnen"),
    1085: ("Sjælland", "Sydsjælland", "Lolland-Falster", "Vestsjælland"),
}
EDUCATION_TEMPLATES = (
    "{city} Erhvervsskole", "VUC {area}", "Sprogcenter {city}", "Erhvervsakademi {area}", "AMU {area}",
    "Produktionsskolen i {city}", "Daghøjskolen {city}", "Kursuscenter {city}",
)
SOCIAL_TEMPLATES = (
    "Værkstedet {city}", "Grønne Hænder {city}", "Café Nyt Liv {city}", "Foreningen Ny Start {area}",
    "Socialøkonomisk Værksted {city}", "Genbrugsværkstedet {city}", "Fonden Arbejde for Alle {area}",
    "Kantinen {city}",
)
OTHER_TEMPLATES = (
    "Sundhedshuset {city}", "Rådgivningshuset {city}", "Fysio & Job {city}", "Mentorhuset {city}",
    "Psykologhuset {area}", "Klinik for Arbejdsliv {area}",
)
STREETS = (
    "Vestergade", "Østergade", "Nørregade", "Søndergade", "Algade", "Jernbanegade", "Torvegade", "Havnegade",
    "Skolegade", "Kirkegade", "Stationsvej", "Industrivej", "Erhvervsvej", "Bredgade", "Storegade", "Møllevej",
    "Parkvej", "Strandvejen", "Kongensgade", "Dronningensgade", "Rådhusstræde", "Banegårdspladsen",
)

# --- Texts (Danish, shown to users) ---------------------------------------------------------------

TARGET_GROUP_PROSE: dict[str, str] = {
    "dagpenge": "dagpengemodtagere",
    "kontanthjaelp-jobparat": "jobparate kontanthjælpsmodtagere",
    "kontanthjaelp-aktivitetsparat": "aktivitetsparate kontanthjælpsmodtagere",
    "uddannelseshjaelp": "unge på uddannelseshjælp",
    "sygedagpenge": "sygemeldte på sygedagpenge",
    "jobafklaring": "borgere i jobafklaringsforløb",
    "ressourceforloeb": "borgere i ressourceforløb",
    "ledighedsydelse": "borgere på ledighedsydelse",
    "fleksjob": "borgere, der søger fleksjob",
    "revalidering": "borgere under revalidering",
    "integration": "nyankomne flygtninge og indvandrere",
}
INTRO_PHRASES: dict[str, tuple[str, ...]] = {
    "privat": (
        "{name} er en privat jobformidler med kontor i {city}.",
        "Hos {name} har vi siden {year} hjulpet ledige i {area} tilbage i arbejde.",
        "{name} er et rådgivningsfirma, der bygger bro mellem ledige og virksomheder i {area}.",
    ),
    "a-kasse": (
        "{name} hjælper medlemmer, der er blevet ledige, hurtigt videre til et nyt job.",
        "Som medlem af {name} får du en fast rådgiver fra første ledighedsdag.",
    ),
    "jobcenter": (
        "{name} er kommunens eget tilbud til borgere på offentlig forsørgelse.",
        "{name} hjælper borgere i {city} Kommune med at komme i job eller uddannelse.",
    ),
    "uddannelse": (
        "{name} tilbyder kurser og opkvalificering, der er målrettet ledige.",
        "På {name} kan du tage korte, jobrettede kurser og få vejledning om uddannelse.",
    ),
    "socialoekonomisk": (
        "{name} er en socialøkonomisk virksomhed, hvor overskuddet går til at skabe arbejdspladser til "
        "mennesker på kanten af arbejdsmarkedet.",
        "{name} er en forening, der giver ledige en meningsfuld hverdag og en vej ind på arbejdsmarkedet.",
    ),
    "andet": (
        "{name} kombinerer sundhedsfaglig viden med hjælp til at komme i arbejde.",
        "Hos {name} arbejder psykologer, fysioterapeuter og jobkonsulenter sammen om dit forløb.",
    ),
}
METHOD_PHRASES = (
    "Vores tilgang er virksomhedsrettet: vi finder praktik- og løntilskudspladser hos lokale arbejdsgivere og "
    "følger op hver uge.",
    "Du får en fast kontaktperson, og sammen lægger vi en plan med konkrete og realistiske mål.",
    "Vi arbejder efter IPS-metoden, hvor jobsøgning og behandling foregår på samme tid.",
    "Forløbet kombinerer korte kurser med individuelle samtaler og hjælp til CV og ansøgninger.",
    "Vi tager udgangspunkt i dine styrker og afklarer, hvilke job der passer til dit helbred og din situation.",
    "En mentor følger dig de første måneder i det nye job, så du bliver i det.",
    "Vi samarbejder med mere end hundrede virksomheder og kender deres behov for arbejdskraft.",
    "Vi holder samtalerne der, hvor du har det bedst: hos os, hjemme hos dig eller på en virksomhed.",
    "Gruppeforløb giver dig et netværk af andre i samme situation, og vi supplerer med individuelle samtaler.",
    "Vi måler løbende, om du kommer tættere på job, og justerer planen sammen med dig.",
)
CLOSING_PHRASES = (
    "Vi har et stort netværk af virksomheder i {area}.",
    "Første samtale er altid uforpligtende.",
    "Vi lægger vægt på, at du bliver mødt med respekt og taget alvorligt.",
)
REVIEW_TEXTS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Min kontaktperson lyttede virkelig og hjalp mig med at finde en praktikplads.",
        "Jeg fik hurtigt hjælp til mit CV, og efter seks uger havde jeg job.",
        "God og respektfuld behandling. Jeg følte mig taget alvorligt.",
        "Det var rart at have en fast mentor, som kendte min situation.",
        "Kurset gav mig mod på at søge job igen. Kan varmt anbefales.",
        "De forstod, at jeg kun kunne arbejde få timer i starten, og fandt en løsning med arbejdsgiveren.",
    ),
    "neutral": (
        "Fint nok forløb, men der gik lang tid før første samtale.",
        "Nogle af samtalerne var gode, andre føltes som spild af tid.",
        "Okay hjælp til jobsøgning, men ikke meget nyt for mig.",
        "Søde medarbejdere, men jeg savnede mere kontakt til virksomheder.",
    ),
    "negative": (
        "Jeg følte ikke, at de forstod mine helbredsproblemer.",
        "Der var ofte aflysninger, og jeg skiftede kontaktperson tre gange.",
        "Forløbet var meget standardiseret og passede ikke til mig.",
        "Jeg blev sendt på det samme kursus, som jeg allerede havde taget.",
    ),
}
REPLY_TEXTS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Tak for din tilbagemelding. Vi er glade for, at forløbet hjalp dig videre, og ønsker dig held og lykke.",
        "Tusind tak for de pæne ord – dem giver vi videre til din kontaktperson.",
    ),
    "neutral": ("Tak fordi du deler din oplevelse. Vi arbejder på at korte ventetiden ned.",),
    "negative": (
        "Vi beklager, at du ikke fik den hjælp, du havde brug for. Du er velkommen til at kontakte os.",
        "Tak for din ærlige tilbagemelding. Vi har taget den op på vores personalemøde.",
    ),
}

CPR_PATTERN = re.compile(r"\d{6}-?\d{4}")


# ---------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------


@dataclass
class DemoData:
    """Rows ready to insert (see the module docstring for the ``_``-prefixed references).

    `effects` is the generator's hidden truth: each provider's true effect on the log-odds of a job
    (by CVR). It is not stored anywhere; tests use it to check that ratings and results follow it.
    """

    now: datetime
    providers: list[Row] = field(default_factory=list)
    revisions: list[Row] = field(default_factory=list)
    outcomes: list[Row] = field(default_factory=list)
    citizens: list[Row] = field(default_factory=list)
    enrolments: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)
    effects: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def cvr_is_valid(cvr: str) -> bool:
    """True for 8 digits, not starting with 0, whose modulus-11 check (weights 2,7,6,5,4,3,2,1) holds."""
    if len(cvr) != 8 or not cvr.isascii() or not cvr.isdigit() or cvr[0] == "0":
        return False
    return sum(int(d) * w for d, w in zip(cvr, CVR_WEIGHTS)) % 11 == 0


def make_cvr(rng: random.Random) -> str:
    """A random valid CVR number: seven random digits and the check digit that makes the sum
    divisible by 11 (drawn again when that digit would have to be 10)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(6)]
        check = -sum(d * w for d, w in zip(digits, CVR_WEIGHTS)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(text: str) -> str:
    """An ASCII URL name: lower case, æ→ae ø→oe å→aa, other accents dropped, hyphens between words."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_DANISH)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120].rstrip("-")


def _allocate(shares: dict[Any, float], total: int) -> dict[Any, int]:
    """Split `total` over keys in proportion to `shares` (largest remainder), at least one each
    when `total` allows it."""
    weight = sum(shares.values())
    exact = {k: total * v / weight for k, v in shares.items()}
    counts = {k: int(x) for k, x in exact.items()}
    if total >= len(shares):
        counts = {k: max(1, c) for k, c in counts.items()}
    by_remainder = sorted(shares, key=lambda k: exact[k] - int(exact[k]), reverse=True)
    i = 0
    while sum(counts.values()) < total:
        counts[by_remainder[i % len(by_remainder)]] += 1
        i += 1
    while sum(counts.values()) > total:  # only when the minimum of one pushed us over
        largest = max(counts, key=lambda k: counts[k])
        counts[largest] -= 1
    return counts


def _weighted_sample(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """`k` distinct keys drawn without replacement in proportion to their weights."""
    pool = dict(weights)
    chosen: list[str] = []
    while pool and len(chosen) < k:
        key = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(key)
        del pool[key]
    return chosen


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[rng.randrange(len(items))]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _at(day: date, rng: random.Random, start_hour: int = 8, end_hour: int = 17) -> datetime:
    """A UTC timestamp on `day` during working hours."""
    seconds = rng.randint(start_hour * 3600, end_hour * 3600 - 1)
    return datetime.combine(day, time(), tzinfo=timezone.utc) + timedelta(seconds=seconds)


def _distance_km(a: catalog.Municipality, b: catalog.Municipality) -> float:
    """Equirectangular distance between two municipality centres: good enough for neighbours."""
    x = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    y = math.radians(b.lat - a.lat)
    return 6371.0 * math.hypot(x, y)


def _join_da(items: Sequence[str]) -> str:
    """'a', 'a og b', 'a, b og c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


# ---------------------------------------------------------------------------------------------
# Geography
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Geo:
    """The reference geography, indexed the way the generator needs it (built once per call)."""

    municipalities: dict[int, catalog.Municipality]
    by_region: dict[int, list[int]]
    postcodes_by_municipality: dict[int, list[catalog.Postcode]]
    weight: dict[int, float]  # rough size of a municipality (sqrt of its number of postcodes)

    @classmethod
    def load(cls) -> "_Geo":
        munis = catalog.municipalities()
        by_region: dict[int, list[int]] = {}
        for code in sorted(munis):
            by_region.setdefault(munis[code].region_code, []).append(code)
        postcodes: dict[int, list[catalog.Postcode]] = {code: [] for code in munis}
        for pc in sorted(catalog.postcodes().values(), key=lambda p: p.code):
            postcodes.setdefault(pc.municipality_code, []).append(pc)
        weight = {code: math.sqrt(max(1, len(postcodes[code]))) for code in munis}
        return cls(munis, by_region, postcodes, weight)

    def nearest_in_region(self, home: int, k: int) -> list[int]:
        """The home municipality and its k-1 nearest neighbours in the same region."""
        h = self.municipalities[home]
        others = sorted(
            (c for c in self.by_region[h.region_code] if c != home),
            key=lambda c: (_distance_km(h, self.municipalities[c]), c),
        )
        return [home] + others[: max(0, k - 1)]

    def area_name(self, rng: random.Random, code: int) -> str:
        return _pick(rng, REGION_AREAS[self.municipalities[code].region_code])


# ---------------------------------------------------------------------------------------------
# Providers and their listings
# ---------------------------------------------------------------------------------------------


def _provider_slots(rng: random.Random, geo: _Geo, n: int) -> list[tuple[str, int]]:
    """(type, home municipality) for each provider: types and regions allocated by share, jobcentres
    in distinct municipalities, other homes weighted by municipality size."""
    types = [t for t, c in _allocate(TYPE_SHARES, n).items() for _ in range(c)]
    regions = [r for r, c in _allocate(REGION_POPULATION, n).items() for _ in range(c)]
    rng.shuffle(types)
    rng.shuffle(regions)
    used_by_jobcentres: set[int] = set()
    slots: list[tuple[str, int]] = []
    for ptype, region in zip(types, regions):
        if ptype == "jobcenter":
            home = _free_municipality(rng, geo, region, used_by_jobcentres)
            if home is None:  # every municipality has its jobcentre already
                ptype = "privat"
            else:
                used_by_jobcentres.add(home)
                slots.append((ptype, home))
                continue
        codes = geo.by_region[region]
        slots.append((ptype, rng.choices(codes, weights=[geo.weight[c] for c in codes])[0]))
    return slots


def _free_municipality(rng: random.Random, geo: _Geo, region: int, used: set[int]) -> int | None:
    """A municipality without a jobcentre, preferably in `region`."""
    free = [c for c in geo.by_region[region] if c not in used]
    if not free:
        free = [c for c in sorted(geo.municipalities) if c not in used]
    return _pick(rng, free) if free else None


def _provider_name(rng: random.Random, geo: _Geo, ptype: str, home: int, taken: set[str]) -> str:
    """A plausible, unique Danish name for a provider of this type."""
    city = geo.municipalities[home].name
    if ptype == "jobcenter":
        return f"Jobcenter {city}"  # unique: one jobcentre per municipality
    for attempt in range(40):
        name = _name_candidate(rng, geo, ptype, home)
        if attempt >= 20:  # crowded vocabulary: add the home town
            name = f"{name} {city}"
        if name not in taken:
            return name
    i = 2
    while f"{name} {i}" in taken:
        i += 1
    return f"{name} {i}"


def _name_candidate(rng: random.Random, geo: _Geo, ptype: str, home: int) -> str:
    city = geo.municipalities[home].name
    region = geo.municipalities[home].region_code
    area = geo.area_name(rng, home)
    if ptype == "privat":
        style = rng.random()
        if style < 0.40:
            return f"{_pick(rng, NAME_STEMS)}{_pick(rng, NAME_ENDINGS)} {_pick(rng, LEGAL_FORMS)}".strip()
        if style < 0.65:
            return f"{_pick(rng, REGION_ADJECTIVES[region])} {_pick(rng, PRIVATE_NOUNS)}"
        if style < 0.85:
            return f"{_pick(rng, NAME_STEMS)}{_pick(rng, NAME_ENDINGS)} {_pick(rng, (area, city))}"
        first, second = rng.sample(SURNAMES, 2)
        return f"{first} & {second} {_pick(rng, PRIVATE_NOUNS)} ApS"
    if ptype == "a-kasse":
        style = rng.random()
        if style < 0.55:
            return f"A-kasse for {_pick(rng, TRADES)}"
        if style < 0.75:
            return _pick(rng, AKASSE_NAMES)
        return f"{_pick(rng, REGION_ADJECTIVES[region])} A-kasse for {_pick(rng, TRADES)}"
    templates = {"uddannelse": EDUCATION_TEMPLATES, "socialoekonomisk": SOCIAL_TEMPLATES}.get(ptype, OTHER_TEMPLATES)
    return _pick(rng, templates).format(city=city, area=area)


def _coverage(rng: random.Random, geo: _Geo, ptype: str, home: int) -> list[int]:
    """Covered municipality codes: the home municipality plus its nearest neighbours in the region;
    some providers (mostly a-kasser) cover a whole region or the whole country."""
    region = geo.municipalities[home].region_code
    whole_region = sorted(geo.by_region[region])
    whole_country = sorted(geo.municipalities)
    r = rng.random()
    if ptype == "jobcenter":
        return [home]
    if ptype == "a-kasse":
        if r < 0.40:
            return whole_country
        if r < 0.70:
            return whole_region
        return sorted(geo.nearest_in_region(home, rng.randint(5, 20)))
    if ptype == "privat":
        if r < 0.03:
            return whole_country
        if r < 0.08:
            return whole_region
        return sorted(geo.nearest_in_region(home, rng.randint(3, 15)))
    if ptype == "andet" and r < 0.10:
        return whole_region
    low, high = {"uddannelse": (2, 10), "socialoekonomisk": (1, 5)}.get(ptype, (2, 8))
    return sorted(geo.nearest_in_region(home, rng.randint(low, high)))


def _offices(rng: random.Random, geo: _Geo, ptype: str, home: int, coverage: list[int]) -> list[Row]:
    """1-3 offices: the first in the home municipality, others in other covered municipalities."""
    count = 1 if ptype == "jobcenter" else rng.choices((1, 2, 3), weights=(60, 28, 12))[0]
    places = [home]
    others = [c for c in coverage if c != home]
    while others and len(places) < count:
        code = rng.choices(others, weights=[geo.weight[c] for c in others])[0]
        places.append(code)
        others.remove(code)
    offices = []
    for code in places:
        pc = _pick(rng, geo.postcodes_by_municipality[code])
        address = f"{_pick(rng, STREETS)} {rng.randint(1, 120)}"
        if rng.random() < 0.3:
            address += f", {rng.randint(1, 4)}. sal"
        offices.append(
            {
                "address": address,
                "postcode": pc.code,
                "city": pc.name,
                "lat": round(pc.lat + rng.uniform(-0.01, 0.01), 5),
                "lon": round(pc.lon + rng.uniform(-0.01, 0.01), 5),
            }
        )
    return offices


def _target_groups(rng: random.Random, ptype: str) -> list[Row]:
    """2-6 target groups with years of experience (a-kasser always serve dagpenge)."""
    k = rng.randint(2, 6)
    slugs = ["dagpenge"] if ptype == "a-kasse" else []
    slugs += _weighted_sample(rng, TARGET_GROUP_WEIGHTS[ptype], k - len(slugs))
    low = 5 if ptype == "jobcenter" else 1
    return [{"slug": s, "years": rng.randint(low, 25)} for s in slugs]


def _services(rng: random.Random, ptype: str) -> list[Row]:
    """2-6 services with a price in whole kroner (0 at jobcentres) and a typical duration."""
    services = []
    for slug in _weighted_sample(rng, SERVICE_WEIGHTS[ptype], rng.randint(2, 6)):
        low, high = SERVICE_PRICES[slug]
        price = rng.uniform(low, high)
        price_dkk = 0 if ptype == "jobcenter" else int(round(price, -2 if price < 10_000 else -3))
        services.append({"slug": slug, "price_dkk": price_dkk, "duration_weeks": rng.randint(*SERVICE_WEEKS[slug])})
    return services


def _languages(rng: random.Random, ptype: str, target_groups: list[Row]) -> list[str]:
    """Always Danish, often English, sometimes others (more often for integration)."""
    english = 0.75 if ptype in ("a-kasse", "uddannelse") else 0.55
    other = 0.25 if any(t["slug"] == "integration" for t in target_groups) else 0.04
    languages = ["da"] + (["en"] if rng.random() < english else [])
    return languages + [code for code in OTHER_LANGUAGES if rng.random() < other]


def _description(rng: random.Random, geo: _Geo, provider: Row, home: int, revision: Row) -> str:
    """2-4 Danish sentences: who we are, whom we help, how, and sometimes a closing remark."""
    fmt = {
        "name": provider["name"],
        "city": geo.municipalities[home].name,
        "area": geo.area_name(rng, home),
        "year": rng.randint(1998, 2022),
    }
    groups = [TARGET_GROUP_PROSE[t["slug"]] for t in revision["target_groups"][:3]]
    sentences = [
        _pick(rng, INTRO_PHRASES[provider["type"]]).format(**fmt),
        f"Vi har særlig erfaring med at hjælpe {_join_da(groups)}.",
    ]
    if rng.random() < 0.6:
        sentences.append(_pick(rng, METHOD_PHRASES))
    if rng.random() < 0.5:
        if "en" in revision["languages"] and rng.random() < 0.5:
            sentences.append("Vi kan også holde samtalerne på engelsk.")
        elif revision["remote"] and rng.random() < 0.5:
            sentences.append("Mange af vores samtaler kan foregå digitalt.")
        else:
            sentences.append(_pick(rng, CLOSING_PHRASES).format(**fmt))
    return " ".join(sentences)


def _contact(rng: random.Random, provider: Row) -> Row:
    """E-mail and website on the reserved .example domain, and a Danish phone number."""
    domain = re.sub(r"-(aps|a-s|i-s)$", "", provider["slug"])
    return {
        "email": f"kontakt@{domain}.example",
        "phone": f"+45{rng.randint(2, 9)}{rng.randint(0, 9_999_999):07d}",
        "website": f"https://www.{domain}.example",
    }


def _make_provider(
    rng: random.Random, geo: _Geo, now: datetime, ptype: str, home: int, taken_names: set[str],
    taken_slugs: set[str], taken_cvrs: set[str],
) -> tuple[Row, Row]:
    """One provider and its approved revision (number 1)."""
    name = _provider_name(rng, geo, ptype, home, taken_names)
    slug = base = slugify(name)
    i = 2
    while slug in taken_slugs:
        slug, i = f"{base}-{i}", i + 1
    cvr = make_cvr(rng)
    while cvr in taken_cvrs:
        cvr = make_cvr(rng)
    taken_names.add(name)
    taken_slugs.add(slug)
    taken_cvrs.add(cvr)

    created = PROVIDERS_CREATED_FROM + timedelta(days=rng.randint(0, 200), seconds=rng.randint(28_800, 61_200))
    submitted = created + timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 6))
    decided = submitted + timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 6))
    # Most listings were confirmed within the last ~6 months; a few are overdue (stale).
    days_ago = rng.uniform(0, 175) if rng.random() < 0.9 else rng.uniform(190, 245)
    confirmed = max(decided, now - timedelta(days=days_ago))

    provider = {
        "cvr": cvr, "name": name, "slug": slug, "type": ptype, "status": "active",
        "created_at": created, "last_confirmed_at": confirmed, "version": 1,
    }
    coverage = _coverage(rng, geo, ptype, home)
    target_groups = _target_groups(rng, ptype)
    capacity = rng.choices(("open", "waitlist", "full"), weights=(65, 25, 10))[0]
    revision: Row = {
        "_provider": cvr,
        "number": 1,
        "status": "approved",
        "method": " ".join(rng.sample(METHOD_PHRASES, rng.randint(1, 3))),
        "municipalities": coverage,
        "remote": rng.random() < 0.35,
        "offices": _offices(rng, geo, ptype, home, coverage),
        "target_groups": target_groups,
        "services": _services(rng, ptype),
        "languages": _languages(rng, ptype, target_groups),
        "capacity": capacity,
        "waiting_weeks": rng.randint(1, 8) if capacity == "waitlist" else 0,
        "first_contact_days": rng.randint(2, 10),
        "created_at": created,
        "submitted_at": submitted,
        "decided_at": decided,
        "version": 1,
    }
    revision["description"] = _description(rng, geo, provider, home, revision)
    revision["contact"] = _contact(rng, provider)
    return provider, revision


# ---------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------


def _success_probability(target_group: str, age_band: str, months: int, effect: float) -> float:
    """The chance of a job three months after the end of a course."""
    months_term = MONTHS_EFFECT_PER_LOG_MONTH * (math.log1p(months) - math.log1p(MEAN_MONTHS_ON_BENEFIT[target_group]))
    return _sigmoid(_logit(BASE_SUCCESS[target_group]) + AGE_EFFECT[age_band] + months_term + effect)


def _outcome_dates(rng: random.Random) -> tuple[date, date]:
    span = (OUTCOME_LAST_START - OUTCOME_FIRST_START).days
    start = OUTCOME_FIRST_START + timedelta(days=rng.randint(0, span))
    end = min(start + timedelta(weeks=rng.randint(4, 30)), OUTCOME_LAST_END)
    return start, end


def _job_start(rng: random.Random, start: date, latest: date) -> date:
    """A job start between the course start (plus a week) and `latest`, earlier more likely."""
    days = max(0, (latest - start).days - 7)
    return start + timedelta(days=7 + int(days * rng.random() ** 1.3))


def _outcome(rng: random.Random, number: int, cvr: str, revision: Row, home: int, effect: float) -> Row:
    """One finished course at this provider."""
    groups = revision["target_groups"]
    tg = rng.choices([g["slug"] for g in groups], weights=[g["years"] + 3 for g in groups])[0]
    coverage = revision["municipalities"]
    municipality = home if rng.random() < 0.4 or len(coverage) == 1 else _pick(rng, coverage)
    age_band = rng.choices(catalog.AGE_BANDS, weights=AGE_WEIGHTS[tg])[0]
    months = min(60, int(rng.expovariate(1.0 / MEAN_MONTHS_ON_BENEFIT[tg])))
    start, end = _outcome_dates(rng)

    job_start: date | None = None
    if rng.random() < _success_probability(tg, age_band, months, effect):
        status = "job"
        if rng.random() < 0.93:
            job_start = _job_start(rng, start, end + timedelta(days=80))
    else:
        young = tg == "uddannelseshjaelp" or age_band == "16-24"
        if rng.random() < (0.40 if young else 0.04):
            status = "education"
        else:
            status = "benefit" if rng.random() < 0.85 else "other"
            if rng.random() < 0.12:  # had a job, but lost it before three months had passed
                job_start = _job_start(rng, start, end + timedelta(days=45))
    return {
        "course_id": f"D{start.year}-{number:06d}",
        "_provider": cvr,
        "target_group": tg,
        "municipality": municipality,
        "age_band": age_band,
        "months_on_benefit": months,
        "start_date": start,
        "end_date": end,
        "status_3m": status,
        "job_start_date": job_start,
    }


def _course_count(rng: random.Random, bounds: tuple[int, int]) -> int:
    """Courses per provider between the bounds, skewed towards the smaller numbers."""
    low, high = bounds
    return low + int((high - low) * rng.random() ** 1.6 + 0.5)


# ---------------------------------------------------------------------------------------------
# Citizens, enrolments and reviews
# ---------------------------------------------------------------------------------------------


def _sentiment(rating: int) -> str:
    return "positive" if rating >= 4 else "neutral" if rating == 3 else "negative"


def _review(rng: random.Random, enrolment: Row, effect: float, now: datetime) -> Row:
    """A review of an enrolment: the rating follows the provider's true effect."""
    rating = min(5, max(1, round(3.6 + 2.0 * effect + rng.gauss(0, 0.9))))
    after = enrolment["ended_at"] or enrolment["started_at"] + timedelta(days=14)
    created = min(after + timedelta(days=rng.uniform(0, 30)), now - timedelta(hours=rng.uniform(1, 48)))
    created = max(created, enrolment["started_at"] + timedelta(hours=1))
    text, text_status, reply, reply_at = "", "none", "", None
    if rng.random() < 0.5:
        text = _pick(rng, REVIEW_TEXTS[_sentiment(rating)])
        text_status = "published" if rng.random() < 0.85 else "pending"
        if text_status == "published" and rng.random() < 0.15:
            reply = _pick(rng, REPLY_TEXTS[_sentiment(rating)])
            reply_at = min(created + timedelta(days=rng.uniform(1, 10)), now)
    return {
        "_enrolment": enrolment["reference"],
        "_provider": enrolment["_provider"],
        "rating": rating,
        "text": text,
        "text_status": text_status,
        "moderation_reason": "",
        "reply": reply,
        "reply_at": reply_at,
        "created_at": created,
        "updated_at": reply_at or created,
    }


def _citizen_and_enrolment(
    rng: random.Random, number: int, cvr: str, revision: Row, now: datetime
) -> tuple[Row, Row]:
    """A demo citizen (who cannot log in) and their enrolment at this provider."""
    tg = _pick(rng, [g["slug"] for g in revision["target_groups"]])
    service = _pick(rng, revision["services"])
    created = now - timedelta(days=rng.uniform(10, 540))
    started = created + timedelta(days=rng.uniform(2, 21))
    started = min(started, now - timedelta(days=1))
    planned_end = started + timedelta(weeks=service["duration_weeks"])
    ended = planned_end if planned_end < now else None
    citizen = {
        "email": f"borger{number:04d}@demo.invalid",
        "password_hash": "",
        "role": "citizen",
        "display_name": f"{_pick(rng, FIRST_NAMES)} {_pick(rng, SURNAMES)}",
        "provider": None,
        "municipality_code": _pick(rng, revision["municipalities"]),
        "target_group": tg,
        "age_band": rng.choices(catalog.AGE_BANDS, weights=AGE_WEIGHTS[tg])[0],
        "active": True,
        "created_at": created - timedelta(minutes=rng.uniform(5, 60)),
    }
    enrolment = {
        "reference": f"V-{created.year}-{number:06d}",
        "_citizen": citizen["email"],
        "_provider": cvr,
        "target_group": tg,
        "service": service["slug"],
        "status": "ended" if ended else "started",
        "reason": "",
        "created_at": created,
        "updated_at": ended or started,
        "started_at": started,
        "ended_at": ended,
    }
    return citizen, enrolment


# ---------------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------------


def _default_now() -> datetime:
    """Today at midnight UTC: stable within a day, so generate() is reproducible in one run."""
    today = datetime.now(timezone.utc).date()
    return datetime.combine(today, time(), tzinfo=timezone.utc)


def generate(
    seed: int = DEFAULT_SEED,
    n_providers: int = 300,
    courses_per_provider: tuple[int, int] = (10, 160),
    *,
    now: datetime | None = None,
) -> DemoData:
    """Build the demo rows. Pure and deterministic: the same seed (and `now`, which defaults to
    today at midnight UTC) gives identical data. Outcome dates are fixed (2024-01-01 to 2026-09-30);
    confirmations, enrolments and reviews are placed relative to `now`."""
    now = now or _default_now()
    rng = random.Random(seed)
    geo = _Geo.load()
    data = DemoData(now=now)

    taken_names: set[str] = set()
    taken_slugs: set[str] = set()
    taken_cvrs: set[str] = set()
    homes: dict[str, int] = {}
    for ptype, home in _provider_slots(rng, geo, n_providers):
        provider, revision = _make_provider(rng, geo, now, ptype, home, taken_names, taken_slugs, taken_cvrs)
        data.providers.append(provider)
        data.revisions.append(revision)
        data.effects[provider["cvr"]] = rng.gauss(0.0, PROVIDER_EFFECT_SD)
        homes[provider["cvr"]] = home

    course_number = 0
    for revision in data.revisions:
        cvr = revision["_provider"]
        for _ in range(_course_count(rng, courses_per_provider)):
            course_number += 1
            data.outcomes.append(_outcome(rng, course_number, cvr, revision, homes[cvr], data.effects[cvr]))

    enrolment_number = 0
    for revision in data.revisions:
        cvr = revision["_provider"]
        reviews = 0
        for _ in range(int(rng.triangular(0, 42, 12))):
            enrolment_number += 1
            citizen, enrolment = _citizen_and_enrolment(rng, enrolment_number, cvr, revision, now)
            data.citizens.append(citizen)
            data.enrolments.append(enrolment)
            if reviews < 25 and rng.random() < 0.6:
                data.reviews.append(_review(rng, enrolment, data.effects[cvr], now))
                reviews += 1
    return data


# ---------------------------------------------------------------------------------------------
# load and seed_demo (the only parts that touch the database)
#
# The table and database modules are imported inside the functions: importing them configures the
# database engine (and creates the SQLite data folder), which `generate` must never do.
# ---------------------------------------------------------------------------------------------


async def _insert(table: Any, rows: list[Row], phase: str, progress: Progress | None, *returning: Any) -> list[Row]:
    """Bulk-insert rows in chunks; returns the RETURNING rows (empty when nothing is asked for)."""
    returned: list[Row] = []
    for start in range(0, len(rows), CHUNK_SIZE):
        query = table.insert(*[table(**row) for row in rows[start : start + CHUNK_SIZE]])
        if returning:
            returned.extend(await query.returning(*returning))
        else:
            await query
        if progress:
            progress(phase, min(start + CHUNK_SIZE, len(rows)), len(rows))
    return returned


def _resolve(rows: list[Row], **maps: dict[str, int]) -> list[Row]:
    """Replace `_name` references by the database ids in `maps[name]` (as column `name`)."""
    resolved = []
    for row in rows:
        out = {k: v for k, v in row.items() if not k.startswith("_")}
        for name, ids in maps.items():
            out[name] = ids[row[f"_{name}"]]
        resolved.append(out)
    return resolved


async def load(data: DemoData, *, progress: Progress | None = None) -> dict[str, int]:
    """Insert the demo rows in one write transaction (all or nothing) and enqueue every provider for
    the search index. Returns the number of rows written per table."""
    counts, _ = await _load(data, progress)
    return counts


async def _load(data: DemoData, progress: Progress | None) -> tuple[dict[str, int], int]:
    """`load`, also returning the id of the OutcomeImport the demo courses belong to."""
    from marketplace.accounts.tables import User
    from marketplace.db import write_transaction
    from marketplace.enrolments.tables import Enrolment
    from marketplace.outcomes.tables import Outcome, OutcomeImport
    from marketplace.providers.tables import ListingRevision, Provider
    from marketplace.reviews.tables import Review
    from search import outbox

    async with write_transaction():
        # Ids are mapped by natural keys (CVR, e-mail, reference), never by the order of the
        # RETURNING rows, which SQLite does not promise.
        returned = await _insert(Provider, data.providers, "providers", progress, Provider.id, Provider.cvr)
        provider_ids = {r["cvr"]: r["id"] for r in returned}
        await _insert(ListingRevision, _resolve(data.revisions, provider=provider_ids), "revisions", progress)

        returned = await _insert(User, data.citizens, "citizens", progress, User.id, User.email)
        citizen_ids = {r["email"]: r["id"] for r in returned}
        enrolments = _resolve(data.enrolments, provider=provider_ids, citizen=citizen_ids)
        returned = await _insert(Enrolment, enrolments, "enrolments", progress, Enrolment.id, Enrolment.reference)
        enrolment_ids = {r["reference"]: r["id"] for r in returned}
        reviews = _resolve(data.reviews, provider=provider_ids, enrolment=enrolment_ids)
        await _insert(Review, reviews, "reviews", progress)

        batch = await OutcomeImport.insert(OutcomeImport(filename="demo", rows=len(data.outcomes))).returning(
            OutcomeImport.id
        )
        batch_id = batch[0]["id"]
        outcomes = _resolve(data.outcomes, provider=provider_ids)
        for row in outcomes:
            row["import_batch"] = batch_id
        await _insert(Outcome, outcomes, "outcomes", progress)

        await outbox.enqueue(list(provider_ids.values()), OUTBOX_REASON)
        if progress:
            progress("outbox", len(provider_ids), len(provider_ids))

    counts = {
        "provider": len(provider_ids),
        "listing_revision": len(data.revisions),
        "app_user": len(citizen_ids),
        "enrolment": len(enrolment_ids),
        "review": len(reviews),
        "outcome_import": 1,
        "outcome": len(outcomes),
        "outbox_event": len(provider_ids),
    }
    return counts, batch_id


async def _any_provider() -> bool:
    from marketplace.providers.tables import Provider

    return await Provider.select(Provider.id).limit(1).first() is not None


async def seed_demo(
    seed: int = DEFAULT_SEED, n_providers: int = 300, progress: Progress | None = None
) -> dict[str, int] | None:
    """Load the demo data once: returns None and changes nothing when any provider exists.
    Afterwards the results are recomputed (when the outcomes service is available); the counts
    then include the ProviderResult rows written."""
    from marketplace.db import write_transaction

    if await _any_provider():
        return None
    data = generate(seed, n_providers)
    async with write_transaction():
        if await _any_provider():  # someone else seeded meanwhile
            return None
        counts, batch_id = await _load(data, progress)
    results = await _recompute_results(batch_id, progress)
    if results is not None:
        counts["provider_result"] = results
    return counts


async def _recompute_results(batch_id: int, progress: Progress | None) -> int | None:
    """Call marketplace.outcomes.services.recompute_results() if it exists; the number of providers
    with new results, or None when the service is missing or there was nothing to compute."""
    try:
        from marketplace.outcomes.services import recompute_results
    except ImportError as exc:
        if exc.name not in ("marketplace.outcomes.services", "marketplace.outcomes"):
            raise  # a real import error inside that module: do not hide it
        return None
    if progress:
        progress("results", 0, 1)
    report = await recompute_results(import_batch=batch_id)
    if progress:
        progress("results", 1, 1)
    providers = getattr(report, "providers", None)
    return len(providers) if providers is not None else None
