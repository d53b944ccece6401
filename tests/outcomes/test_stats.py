"""Tests for marketplace.outcomes.stats: intervals, minimum samples, stars, the model and results."""

from __future__ import annotations

import datetime
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import spearmanr
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from marketplace.outcomes import stats
from marketplace.outcomes.stats import (
    MIN_COURSES,
    Course,
    compute_results,
    compute_results_frame,
    courses_to_frame,
    fit_expected_model,
    garwood_interval,
    median_interval,
    months_band,
    people_like_me,
    score_interval,
    stars_for,
    wilson_interval,
)

START = datetime.date(2025, 1, 6)

# True log-odds effects used to simulate outcomes.
TARGET_EFFECTS = {
    "dagpenge": 0.9,
    "kontanthjaelp-jobparat": 0.0,
    "kontanthjaelp-aktivitetsparat": -1.8,
    "sygedagpenge": -0.4,
    "integration": -0.9,
}
AGE_EFFECTS = {"16-24": 0.3, "25-29": 0.3, "30-39": 0.2, "40-49": 0.0, "50-59": -0.5, "60+": -1.2}
MUNICIPALITIES = (101, 147, 151, 153, 157, 159, 161, 163, 165, 167, 169, 173, 175, 183, 185, 187)
BASE_LOGIT = -0.6

EASY_MIX = ([0.85, 0.1, 0.0, 0.05, 0.0], [0.25, 0.3, 0.3, 0.1, 0.05, 0.0], 3)
HARD_MIX = ([0.0, 0.1, 0.6, 0.1, 0.2], [0.0, 0.05, 0.1, 0.2, 0.35, 0.3], 30)

EXPECTED_KEYS = set(
    "courses success_rate success_low success_high expected_rate score score_low score_high stars as_expected"
    " weeks_to_job_median weeks_to_job_count weeks_to_job_low weeks_to_job_high"
    " retention_rate retention_low retention_high retention_count".split()
)


# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------


def simulate(rng: np.random.Generator, provider_id: int, effect: float, hardness: float, n: int) -> list[Course]:
    """Courses for one provider: `effect` multiplies the odds of a job, `hardness` in [0, 1] sets the mix."""
    groups = list(TARGET_EFFECTS)
    ages = list(AGE_EFFECTS)
    mix = lambda easy, hard: (1 - hardness) * np.asarray(easy) + hardness * np.asarray(hard)  # noqa: E731
    group = rng.choice(len(groups), n, p=mix(EASY_MIX[0], HARD_MIX[0]))
    age = rng.choice(len(ages), n, p=mix(EASY_MIX[1], HARD_MIX[1]))
    months = rng.poisson((1 - hardness) * EASY_MIX[2] + hardness * HARD_MIX[2], n)
    municipality = rng.choice(MUNICIPALITIES, n)
    logit = (
        BASE_LOGIT
        + np.array([TARGET_EFFECTS[g] for g in groups])[group]
        + np.array([AGE_EFFECTS[a] for a in ages])[age]
        - 0.04 * np.minimum(months, 36)
        + (municipality % 7 - 3) * 0.05
        + math.log(effect)
    )
    job = rng.random(n) < 1 / (1 + np.exp(-logit))
    weeks_to_job = rng.integers(2, 40, n)
    return [
        Course(
            provider_id=provider_id,
            target_group=groups[group[i]],
            municipality=int(municipality[i]),
            age_band=ages[age[i]],
            months_on_benefit=int(months[i]),
            start_date=START,
            end_date=START + datetime.timedelta(weeks=26),
            status_3m="job" if job[i] else "benefit",
            job_start_date=START + datetime.timedelta(weeks=int(weeks_to_job[i])) if job[i] else None,
        )
        for i in range(n)
    ]


def course(provider_id: int = 1, **overrides: object) -> Course:
    """One hand-made course with overridable fields."""
    values: dict[str, object] = {
        "provider_id": provider_id,
        "target_group": "dagpenge",
        "municipality": 101,
        "age_band": "30-39",
        "months_on_benefit": 4,
        "start_date": START,
        "end_date": START + datetime.timedelta(weeks=20),
        "status_3m": "benefit",
        "job_start_date": None,
    }
    values.update(overrides)
    return Course(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def background() -> list[Course]:
    """A national background population: 30 providers with mixed caseloads and average effect."""
    rng = np.random.default_rng(7)
    courses: list[Course] = []
    for pid in range(1000, 1030):
        courses += simulate(rng, pid, effect=1.0, hardness=rng.random(), n=300)
    return courses


@pytest.fixture(scope="module")
def background_model(background: list[Course]) -> stats.ExpectedModel:
    """The expected model fitted on the background population."""
    return fit_expected_model(background)


# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("successes,n", [(81, 263), (0, 10), (10, 10), (5, 10), (1, 3), (437, 1000), (19, 20)])
def test_wilson_matches_statsmodels(successes: int, n: int) -> None:
    low, high = wilson_interval(successes, n)
    ref_low, ref_high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)


@pytest.mark.parametrize(
    "successes,n,expected",
    [(81, 263, (0.2553, 0.3662)), (0, 10, (0.0, 0.2775)), (5, 10, (0.2366, 0.7634)), (10, 10, (0.7225, 1.0))],
)
def test_wilson_known_figures(successes: int, n: int, expected: tuple[float, float]) -> None:
    low, high = wilson_interval(successes, n)
    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_rejects_empty_and_impossible() -> None:
    with pytest.raises(ValueError):
        wilson_interval(0, 0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_garwood_known_figures() -> None:
    score, low, high = score_interval(10, 10.0)
    assert score == 1.0
    assert (round(low, 4), round(high, 4)) == (0.4795, 1.8390)
    assert garwood_interval(0) == (0.0, pytest.approx(3.6889, abs=1e-4))
    assert garwood_interval(1) == (pytest.approx(0.0253, abs=1e-4), pytest.approx(5.5716, abs=1e-4))


@pytest.mark.parametrize("observed", [0, 1, 2, 10, 57, 400])
def test_garwood_matches_statsmodels(observed: int) -> None:
    low, high = garwood_interval(observed)
    ref_low, ref_high = confint_poisson(observed, 1.0, method="exact-c", alpha=0.05)
    assert low == pytest.approx(ref_low, abs=1e-9)
    assert high == pytest.approx(ref_high, rel=1e-9)


def test_score_interval_scales_with_expected() -> None:
    score, low, high = score_interval(30, 20.0)
    base_low, base_high = garwood_interval(30)
    assert (score, low, high) == pytest.approx((1.5, base_low / 20, base_high / 20))


def test_median_interval_order_statistics() -> None:
    # Standard tables: n=20 → ranks 6 and 15; n=21 → ranks 6 and 16; n=100 → ranks 40 and 61.
    assert median_interval(range(1, 21)) == (10.5, 6.0, 15.0)
    assert median_interval(range(1, 22)) == (11.0, 6.0, 16.0)
    assert median_interval(range(1, 101)) == (50.5, 40.0, 61.0)


def test_median_ranks_against_exact_binomial() -> None:
    """The interval ranks agree with exact rational arithmetic for every n up to 400."""
    from fractions import Fraction

    sizes = np.arange(1, 401)
    ranks = stats._median_rank(sizes)
    for n, rank in zip(sizes.tolist(), ranks.tolist()):
        cumulative, exact = Fraction(0), 0
        for k in range(n + 1):
            cumulative += Fraction(math.comb(n, k), 2**n)
            if cumulative > Fraction(1, 40):
                break
            exact += 1
        assert rank == exact, n


def test_months_band() -> None:
    assert [months_band(m) for m in (0, 2, 3, 5, 6, 11, 12, 23, 24, 120)] == [
        "0-2",
        "0-2",
        "3-5",
        "3-5",
        "6-11",
        "6-11",
        "12-23",
        "12-23",
        "24+",
        "24+",
    ]


# --------------------------------------------------------------------------------------------
# Stars
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score,low,high,expected",
    [
        (1.0, 0.8, 1.2, (3, True)),
        (1.3, 1.0, 1.7, (3, True)),  # the interval touches 1: as expected
        (0.8, 0.6, 1.0, (3, True)),
        (1.1, 1.02, 1.2, (4, False)),
        (1.2499, 1.1, 1.4, (4, False)),
        (1.25, 1.1, 1.4, (5, False)),
        (1.6, 1.3, 1.9, (5, False)),
        (0.9, 0.8, 0.99, (2, False)),
        (0.7501, 0.6, 0.9, (2, False)),
        (0.75, 0.6, 0.9, (1, False)),
        (0.4, 0.2, 0.7, (1, False)),
    ],
)
def test_stars_bands(score: float, low: float, high: float, expected: tuple[int, bool]) -> None:
    assert stars_for(score, low, high) == expected


# --------------------------------------------------------------------------------------------
# Minimum sample and the shape of the published numbers
# --------------------------------------------------------------------------------------------


def test_minimum_sample_hides_numbers(background_model: stats.ExpectedModel) -> None:
    job = {"status_3m": "job", "job_start_date": START + datetime.timedelta(weeks=5)}
    small = [course(1, **job) for _ in range(10)] + [course(1) for _ in range(MIN_COURSES - 1 - 10)]
    enough = [course(2, **job) for _ in range(10)] + [course(2) for _ in range(MIN_COURSES - 10)]
    report = compute_results(small + enough, background_model)

    hidden = report.providers[1].overall.to_dict()
    assert set(hidden) == EXPECTED_KEYS
    assert hidden["courses"] == MIN_COURSES - 1
    assert hidden["weeks_to_job_count"] == 10 and hidden["retention_count"] == 10
    counts = {"courses", "weeks_to_job_count", "retention_count"}
    assert all(value is None for key, value in hidden.items() if key not in counts)
    assert report.providers[1].by_target_group["dagpenge"].score is None

    shown = report.providers[2].overall.to_dict()
    assert set(shown) == EXPECTED_KEYS
    assert shown["courses"] == MIN_COURSES
    assert shown["success_rate"] == 0.5
    assert (shown["success_low"], shown["success_high"]) == tuple(round(v, 4) for v in wilson_interval(10, 20))
    for key in ("expected_rate", "score", "score_low", "score_high"):
        assert isinstance(shown[key], float)
    assert shown["stars"] in {1, 2, 3, 4, 5} and isinstance(shown["as_expected"], bool)
    assert shown["weeks_to_job_median"] is None  # only 10 job starts


def test_to_dict_rounds_and_is_json_ready(background: list[Course], background_model: stats.ExpectedModel) -> None:
    report = compute_results(background[:600], background_model)
    for provider in report.providers.values():
        for key, value in provider.overall.to_dict().items():
            assert value is None or type(value) in (int, float, bool), key
            if isinstance(value, float):
                assert value == round(value, 4)


# --------------------------------------------------------------------------------------------
# Weeks to job, retention, people like me
# --------------------------------------------------------------------------------------------


def job_course(provider_id: int, weeks: int, status: str = "job", **overrides: object) -> Course:
    """A course whose job started `weeks` after the course start."""
    return course(provider_id, status_3m=status, job_start_date=START + datetime.timedelta(weeks=weeks), **overrides)


def test_weeks_to_job_median_and_interval(background_model: stats.ExpectedModel) -> None:
    courses = (
        [job_course(1, w) for w in range(1, 22)]  # 21 job starts: median 11, ranks 6 and 16
        + [job_course(2, w) for w in range(20, 0, -1)]  # 20 job starts, unsorted: median 10.5, ranks 6, 15
        + [job_course(3, w) for w in range(1, 20)]  # 19: too few to show
        + [course(1) for _ in range(5)]  # no job start: not counted
        + [job_course(1, -2)]  # job before the course: a data error, not counted in weeks
    )
    report = compute_results(courses, background_model)
    one, two, three = (report.providers[p].overall for p in (1, 2, 3))
    weeks = lambda r: (
        r.weeks_to_job_count,
        r.weeks_to_job_median,
        r.weeks_to_job_low,
        r.weeks_to_job_high,
    )  # noqa: E731
    assert weeks(one) == (21, 11.0, 6.0, 16.0)
    assert weeks(two) == (20, 10.5, 6.0, 15.0)
    assert three.weeks_to_job_count == 19
    assert three.weeks_to_job_median is None and three.weeks_to_job_low is None
    assert report.national.weeks_to_job_count == 60
    assert report.national.weeks_to_job_median == 10.5


def test_weeks_are_fractional_days() -> None:
    courses = [
        course(1, status_3m="job", job_start_date=START + datetime.timedelta(days=d)) for d in range(10, 10 + 21)
    ]
    report = compute_results(courses)
    assert report.providers[1].overall.weeks_to_job_median == pytest.approx(20 / 7)


def test_retention(background_model: stats.ExpectedModel) -> None:
    courses = (
        [job_course(1, 4) for _ in range(20)]
        + [job_course(1, 4, status="benefit") for _ in range(5)]
        + [course(1, status_3m="education") for _ in range(10)]  # no job start: outside retention
        + [course(1, status_3m="job") for _ in range(3)]  # job without a known start: outside too
        + [job_course(2, 4) for _ in range(19)]
    )
    report = compute_results(courses, background_model)
    one, two = report.providers[1].overall, report.providers[2].overall
    assert one.retention_count == 25
    assert one.retention_rate == 0.8
    assert (one.retention_low, one.retention_high) == wilson_interval(20, 25)
    assert two.retention_count == 19 and two.retention_rate is None and two.retention_low is None


def test_people_like_me_levels(background_model: stats.ExpectedModel) -> None:
    courses = (
        [course(1, target_group="dagpenge", age_band="30-39", status_3m="job") for _ in range(25)]
        + [course(1, target_group="dagpenge", age_band="60+") for _ in range(5)]
        + [course(1, target_group="sygedagpenge", age_band="60+") for _ in range(10)]
    )
    report = compute_results(courses, background_model)
    provider = report.providers[1]

    cell, level = people_like_me(report, 1, "dagpenge", "30-39")
    assert level == "target_group_age_band" and cell.courses == 25 and cell.success_rate == 1.0
    group, level = people_like_me(report, 1, "dagpenge", "60+")
    assert level == "target_group" and group is provider.by_target_group["dagpenge"] and group.courses == 30
    overall, level = people_like_me(report, 1, "sygedagpenge", "60+")
    assert level == "overall" and overall is provider.overall and overall.courses == 40
    assert people_like_me(report, 1, "fleksjob", "16-24") == (provider.overall, "overall")

    small = provider.people_like_me[("dagpenge", "60+")]
    assert small.courses == 5 and small.success_rate is None


# --------------------------------------------------------------------------------------------
# The expected model
# --------------------------------------------------------------------------------------------


def test_unseen_categories_fall_back_to_reference(background_model: stats.ExpectedModel) -> None:
    model = background_model
    known = course(target_group="dagpenge", age_band="30-39", municipality=101)
    unseen = course(target_group="ny-maalgruppe", age_band="99+", municipality=999, months_on_benefit=4)
    reference = course(
        target_group=model.reference["target_group"],
        age_band=model.reference["age_band"],
        municipality=int(model.reference["municipality"]),
        months_on_benefit=4,
    )
    p = model.predict(unseen)
    assert 0 < p < 1
    assert p == pytest.approx(model.predict(reference))
    many = model.predict_many([known, unseen, reference])
    assert many == pytest.approx([model.predict(known), p, model.predict(reference)])
    report = compute_results([unseen] * 25, model)  # results for unseen categories work too
    assert report.providers[1].overall.expected_rate == pytest.approx(p)


def test_model_matches_course_level_glm(background: list[Course]) -> None:
    """Cell aggregation and the own optimiser reproduce statsmodels' course-level IRLS fit (no penalty)."""
    model = fit_expected_model(background, penalty=0.0)
    assert not model.pooled_municipalities
    frame = courses_to_frame(background)
    frame["months_band"] = [months_band(m) for m in frame["months_on_benefit"]]
    design = pd.get_dummies(
        frame[["target_group", "age_band", "months_band"]].assign(municipality=frame["municipality"].astype(str)),
        drop_first=True,
        dtype=float,
    )
    y = (frame["status_3m"] == "job").to_numpy(dtype=float)
    glm = sm.GLM(y, sm.add_constant(design.to_numpy()), family=sm.families.Binomial()).fit()
    assert model.predict_many(background) == pytest.approx(glm.fittedvalues, abs=1e-6)


def test_model_recovers_true_effects(background_model: stats.ExpectedModel) -> None:
    coefficients = background_model.coefficients["target_group"]
    reference = background_model.reference["target_group"]
    for group, true_effect in TARGET_EFFECTS.items():
        fitted = coefficients[group] - coefficients[reference]
        assert fitted == pytest.approx(true_effect - TARGET_EFFECTS[reference], abs=0.2), group


def test_national_expected_equals_observed(background: list[Course], background_model: stats.ExpectedModel) -> None:
    report = compute_results(background, background_model)
    observed = sum(c.status_3m == "job" for c in background)
    assert report.national.success_rate == pytest.approx(observed / len(background))
    assert report.national.score == pytest.approx(1.0, abs=1e-6)
    assert background_model.national_rate == pytest.approx(observed / len(background))
    for group, rate in background_model.national_rate_by_target_group.items():
        members = [c for c in background if c.target_group == group]
        assert rate == pytest.approx(sum(c.status_3m == "job" for c in members) / len(members))
        assert report.national_by_target_group[group].courses == len(members)


def test_separation_and_small_municipalities_do_not_break_the_fit(background: list[Course]) -> None:
    hopeless = [course(5000, target_group="revalidering", status_3m="benefit") for _ in range(40)]
    perfect = [course(5001, municipality=851, status_3m="job", job_start_date=START) for _ in range(60)]
    tiny = [course(5002, municipality=787, status_3m="job") for _ in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence or separation warnings either
        model = fit_expected_model(background + hopeless + perfect + tiny)
        predictions = model.predict_many(hopeless + perfect + tiny)
    assert np.all(np.isfinite(predictions)) and np.all((predictions > 0) & (predictions < 1))
    assert -8 < model.coefficients["target_group"]["revalidering"] < -1
    assert 1 < model.coefficients["municipality"]["851"] < 8
    assert "787" in model.pooled_municipalities
    assert model.coefficients["municipality"]["787"] == model.coefficients["municipality"][stats.POOLED_MUNICIPALITY]


def test_degenerate_data_without_any_job() -> None:
    courses = [course(1) for _ in range(30)]
    report = compute_results(courses)
    assert report.providers[1].overall.success_rate == 0.0
    assert report.providers[1].overall.score == 0.0
    assert report.model.national_rate == 0.0


def test_rejects_empty_and_unknown_status() -> None:
    with pytest.raises(ValueError):
        compute_results([])
    with pytest.raises(ValueError, match="status_3m"):
        compute_results([course(status_3m="jobbing")])


# --------------------------------------------------------------------------------------------
# Simulation: risk adjustment ranks providers by their true effect, not by their caseload
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulation() -> tuple[dict[int, float], stats.ResultsReport]:
    """40 providers with known odds effects and very different caseloads, plus two for flagging."""
    rng = np.random.default_rng(20261123)
    effects: dict[int, float] = {}
    courses: list[Course] = []
    for pid in range(1, 41):
        effect = float(np.exp(rng.uniform(math.log(0.5), math.log(2.0))))
        hardness = float(rng.choice([0.0, 0.15, 0.85, 1.0]))
        effects[pid] = effect
        courses += simulate(rng, pid, effect, hardness, n=int(rng.integers(250, 700)))
    effects[900], effects[901] = 0.3, 1.0
    courses += simulate(rng, 900, 0.3, hardness=0.5, n=400)
    courses += simulate(rng, 901, 1.0, hardness=0.5, n=400)
    return effects, compute_results(courses)


def test_score_ranks_by_true_effect_better_than_raw_rate(
    simulation: tuple[dict[int, float], stats.ResultsReport],
) -> None:
    effects, report = simulation
    ids = list(range(1, 41))
    truth = [effects[p] for p in ids]
    scores = [report.providers[p].overall.score for p in ids]
    rates = [report.providers[p].overall.success_rate for p in ids]
    score_rho = spearmanr(truth, scores).statistic
    rate_rho = spearmanr(truth, rates).statistic
    assert score_rho > 0.8
    assert score_rho > rate_rho + 0.3


def test_stars_in_results_follow_the_bands(simulation: tuple[dict[int, float], stats.ResultsReport]) -> None:
    _, report = simulation
    seen = set()
    for provider in report.providers.values():
        for result in [provider.overall, *provider.by_target_group.values()]:
            if result.score is None:
                continue
            assert (result.stars, result.as_expected) == stars_for(result.score, result.score_low, result.score_high)
            assert result.score_low <= result.score <= result.score_high
            seen.add(result.stars)
    assert seen >= {1, 3, 4, 5}


def test_flagging(simulation: tuple[dict[int, float], stats.ResultsReport]) -> None:
    effects, report = simulation
    assert 900 in report.flagged
    assert 901 not in report.flagged
    assert report.providers[900].overall.stars == 1
    assert report.flagged == {
        p for p, r in report.providers.items() if r.overall.score_high is not None and r.overall.score_high < 1
    }
    # Flagged providers are genuinely worse than average.
    assert all(effects[p] < 1 for p in report.flagged)


def test_frame_and_course_routes_agree(background: list[Course], background_model: stats.ExpectedModel) -> None:
    subset = background[:900]
    frame = courses_to_frame(subset).drop(columns=["end_date"])
    frame["start_date"] = [c.start_date for c in subset]  # plain date objects are accepted too
    by_frame = compute_results_frame(frame, background_model)
    by_courses = compute_results(subset, background_model)
    assert by_frame.providers.keys() == by_courses.providers.keys()
    for pid, provider in by_courses.providers.items():
        assert by_frame.providers[pid].overall == provider.overall
        assert by_frame.providers[pid].people_like_me == provider.people_like_me
