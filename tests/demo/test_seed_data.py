"""The demo data generator (pure: no database)."""
from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest

from marketplace.demo.seed import CPR_PATTERN, DemoData, cvr_is_valid, generate, make_cvr, slugify
from marketplace.reference import catalog

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(now=NOW)


def test_same_seed_gives_identical_data(data: DemoData) -> None:
    again = generate(now=NOW)
    assert again.providers == data.providers
    assert again.revisions == data.revisions
    assert again.outcomes == data.outcomes
    assert again.citizens == data.citizens
    assert again.enrolments == data.enrolments
    assert again.reviews == data.reviews


def test_different_seed_gives_different_data(data: DemoData) -> None:
    other = generate(seed=1, now=NOW)
    assert [p["cvr"] for p in other.providers] != [p["cvr"] for p in data.providers]
    assert other.outcomes != data.outcomes


def test_counts_within_bounds(data: DemoData) -> None:
    assert len(data.providers) == len(data.revisions) == 300
    per_provider = Counter(o["_provider"] for o in data.outcomes)
    assert set(per_provider) == {p["cvr"] for p in data.providers}
    assert all(10 <= n <= 160 for n in per_provider.values())
    reviews = Counter(r["_provider"] for r in data.reviews)
    assert all(0 <= n <= 25 for n in reviews.values())
    assert 0.5 < len(data.reviews) / len(data.enrolments) < 0.7
    assert len(data.citizens) == len(data.enrolments)


def test_bounds_are_parameters() -> None:
    small = generate(seed=7, n_providers=12, courses_per_provider=(3, 5), now=NOW)
    assert len(small.providers) == 12
    assert all(3 <= n <= 5 for n in Counter(o["_provider"] for o in small.outcomes).values())


def test_every_type_and_region_present(data: DemoData) -> None:
    types = Counter(p["type"] for p in data.providers)
    assert set(types) == set(catalog.PROVIDER_TYPES)
    assert types.most_common(1)[0][0] == "privat"
    assert types["a-kasse"] > types["andet"]
    munis = catalog.municipalities()
    home_regions = Counter(munis[_home(r)].region_code for r in data.revisions)
    assert set(home_regions) == set(catalog.REGIONS)
    assert home_regions.most_common(1)[0][0] == 1084  # Region Hovedstaden


def _home(revision: dict) -> int:
    """The municipality of a listing's first office (its home)."""
    return catalog.postcodes()[revision["offices"][0]["postcode"]].municipality_code


def test_jobcentres_one_per_municipality(data: DemoData) -> None:
    jobcentres = [(p, r) for p, r in zip(data.providers, data.revisions) if p["type"] == "jobcenter"]
    assert jobcentres
    homes = [r["municipalities"] for _, r in jobcentres]
    assert all(len(h) == 1 for h in homes)
    assert len({h[0] for h in homes}) == len(homes)
    munis = catalog.municipalities()
    for provider, revision in jobcentres:
        assert provider["name"] == f"Jobcenter {munis[revision['municipalities'][0]].name}"
        assert all(s["price_dkk"] == 0 for s in revision["services"])


@pytest.mark.parametrize("cvr", ["24256790", "22756214", "10000009"])
def test_cvr_check_accepts_known_valid(cvr: str) -> None:
    # 24256790: 2*2+4*7+2*6+5*5+6*4+7*3+9*2+0*1 = 132 = 12*11
    # 22756214: 2*2+2*7+7*6+5*5+6*4+2*3+1*2+4*1 = 121 = 11*11
    # 10000009: 1*2+9*1 = 11
    assert cvr_is_valid(cvr)


@pytest.mark.parametrize(
    "cvr", ["24256791", "22756215", "01234567", "00000000", "1234567", "123456789", "2425679a", ""]
)
def test_cvr_check_rejects_invalid(cvr: str) -> None:
    assert not cvr_is_valid(cvr)


def test_make_cvr_is_valid() -> None:
    rng = random.Random(3)
    assert all(cvr_is_valid(make_cvr(rng)) for _ in range(1000))


def test_provider_cvrs_valid_and_unique(data: DemoData) -> None:
    cvrs = [p["cvr"] for p in data.providers]
    assert all(cvr_is_valid(c) for c in cvrs)
    assert len(set(cvrs)) == len(cvrs)


def test_names_and_slugs_unique_and_slugs_ascii(data: DemoData) -> None:
    names = [p["name"] for p in data.providers]
    slugs = [p["slug"] for p in data.providers]
    assert len(set(names)) == len(names)
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert slug.isascii() and slug == slug.lower() and slug.strip("-") == slug
        assert all(c.isalnum() or c == "-" for c in slug)
        assert "--" not in slug and 0 < len(slug) <= 120


def test_slugify_danish_letters() -> None:
    assert slugify("A-kasse for Håndværkere") == "a-kasse-for-haandvaerkere"
    assert slugify("Kompetencehuset Sønderjylland ApS") == "kompetencehuset-soenderjylland-aps"
    assert slugify("Æblehaven & Østerbro") == "aeblehaven-oesterbro"


def test_providers_active_and_some_stale(data: DemoData) -> None:
    assert all(p["status"] == "active" for p in data.providers)
    assert all(p["created_at"] < p["last_confirmed_at"] <= NOW for p in data.providers)
    stale = [p for p in data.providers if NOW - p["last_confirmed_at"] > timedelta(days=183)]
    assert 0 < len(stale) < 0.2 * len(data.providers)
    assert min(p["last_confirmed_at"] for p in data.providers) > NOW - timedelta(days=250)


def test_revisions_use_the_catalogue(data: DemoData) -> None:
    munis = catalog.municipalities()
    postcodes = catalog.postcodes()
    for r in data.revisions:
        assert r["status"] == "approved" and r["number"] == 1
        assert r["municipalities"] and all(code in munis for code in r["municipalities"])
        assert 2 <= len(r["target_groups"]) <= 6
        assert all(t["slug"] in catalog.TARGET_GROUPS and 1 <= t["years"] <= 25 for t in r["target_groups"])
        assert 2 <= len(r["services"]) <= 6
        for s in r["services"]:
            assert s["slug"] in catalog.SERVICES
            assert isinstance(s["price_dkk"], int) and (s["price_dkk"] == 0 or 2_000 <= s["price_dkk"] <= 45_000)
            assert 2 <= s["duration_weeks"] <= 26
        assert r["languages"][0] == "da" and all(code in catalog.LANGUAGES for code in r["languages"])
        assert r["capacity"] in catalog.CAPACITIES
        assert (1 <= r["waiting_weeks"] <= 8) if r["capacity"] == "waitlist" else r["waiting_weeks"] == 0
        assert 2 <= r["first_contact_days"] <= 10
        assert r["contact"]["phone"].startswith("+45") and len(r["contact"]["phone"]) == 11
        assert 1 <= len(r["offices"]) <= 3
        for office in r["offices"]:
            pc = postcodes[office["postcode"]]
            assert pc.municipality_code in r["municipalities"] and office["city"] == pc.name
            assert 54.5 <= office["lat"] <= 57.8 and 8.0 <= office["lon"] <= 15.2
        assert 2 <= r["description"].count(".") <= 6


def test_coverage_spread(data: DemoData) -> None:
    sizes = Counter(len(r["municipalities"]) for r in data.revisions)
    assert sizes[len(catalog.municipalities())] > 0  # some national providers
    privates = [r for p, r in zip(data.providers, data.revisions) if p["type"] == "privat"]
    assert sum(3 <= len(r["municipalities"]) <= 15 for r in privates) > 0.8 * len(privates)
    assert 0.25 < sum(r["remote"] for r in data.revisions) / len(data.revisions) < 0.45


def test_outcomes_consistent(data: DemoData) -> None:
    coverage = {r["_provider"]: set(r["municipalities"]) for r in data.revisions}
    groups = {r["_provider"]: {t["slug"] for t in r["target_groups"]} for r in data.revisions}
    course_ids = [o["course_id"] for o in data.outcomes]
    assert len(set(course_ids)) == len(course_ids)
    for o in data.outcomes:
        assert not CPR_PATTERN.search(o["course_id"])
        assert o["municipality"] in coverage[o["_provider"]]
        assert o["target_group"] in groups[o["_provider"]]
        assert o["age_band"] in catalog.AGE_BANDS
        assert 0 <= o["months_on_benefit"] <= 60
        assert o["status_3m"] in catalog.OUTCOME_STATUSES
        assert date(2024, 1, 1) <= o["start_date"] <= date(2026, 6, 30)
        assert o["start_date"] + timedelta(weeks=4) <= o["end_date"] <= date(2026, 9, 30)
        if o["job_start_date"] is not None:
            assert o["start_date"] <= o["job_start_date"] <= o["end_date"] + timedelta(days=90)
    with_job = [o for o in data.outcomes if o["status_3m"] == "job"]
    assert sum(o["job_start_date"] is not None for o in with_job) > 0.85 * len(with_job)
    assert any(o["job_start_date"] for o in data.outcomes if o["status_3m"] in ("benefit", "other"))


def test_cpr_pattern_catches_cpr_like_ids() -> None:
    assert CPR_PATTERN.search("010190-1234") and CPR_PATTERN.search("0101901234")
    assert not CPR_PATTERN.search("D2026-000123")


def test_success_depends_on_target_group_and_age(data: DemoData) -> None:
    def rate(key: str) -> dict[str, float]:
        jobs: dict[str, int] = defaultdict(int)
        total: dict[str, int] = defaultdict(int)
        for o in data.outcomes:
            total[o[key]] += 1
            jobs[o[key]] += o["status_3m"] == "job"
        return {k: jobs[k] / total[k] for k in total}

    by_group = rate("target_group")
    assert by_group["dagpenge"] > by_group["sygedagpenge"] > by_group["kontanthjaelp-aktivitetsparat"]
    assert by_group["dagpenge"] > 0.45 and by_group["kontanthjaelp-aktivitetsparat"] < 0.22
    by_age = rate("age_band")
    assert by_age["30-39"] > by_age["60+"]


def test_ratings_follow_the_true_effect(data: DemoData) -> None:
    ratings: dict[str, list[int]] = defaultdict(list)
    for r in data.reviews:
        assert 1 <= r["rating"] <= 5
        ratings[r["_provider"]].append(r["rating"])
    cvrs = sorted(ratings, key=lambda c: data.effects[c])
    third = len(cvrs) // 3

    def mean(group: list[str]) -> float:
        values = [x for c in group for x in ratings[c]]
        return sum(values) / len(values)

    assert mean(cvrs[-third:]) > mean(cvrs[:third]) + 0.3


def test_citizens_enrolments_reviews_consistent(data: DemoData) -> None:
    emails = {c["email"] for c in data.citizens}
    assert len(emails) == len(data.citizens)
    assert all(c["role"] == "citizen" and c["password_hash"] == "" for c in data.citizens)
    assert all(c["email"].endswith("@demo.invalid") for c in data.citizens)
    references = [e["reference"] for e in data.enrolments]
    assert len(set(references)) == len(references)
    enrolments = {e["reference"]: e for e in data.enrolments}
    for e in data.enrolments:
        assert e["_citizen"] in emails and e["status"] in ("started", "ended")
        assert e["started_at"] < NOW and (e["ended_at"] is None) == (e["status"] == "started")
    reviewed = [r["_enrolment"] for r in data.reviews]
    assert len(set(reviewed)) == len(reviewed)
    for r in data.reviews:
        enrolment = enrolments[r["_enrolment"]]
        assert r["_provider"] == enrolment["_provider"]
        assert enrolment["started_at"] < r["created_at"] <= NOW
        assert (r["text_status"] == "none") == (r["text"] == "")
        assert not r["reply"] or r["text_status"] == "published"
    statuses = Counter(r["text_status"] for r in data.reviews)
    assert statuses["published"] > statuses["pending"] > 0 and statuses["none"] > 0
    assert any(r["reply"] for r in data.reviews)


def test_generation_is_fast() -> None:
    started = time.perf_counter()
    generate(seed=5, now=NOW)
    assert time.perf_counter() - started < 5.0
