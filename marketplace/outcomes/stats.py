"""Result statistics for providers: success rates, risk-adjusted scores and stars.

How the numbers are made (method version ``METHOD_VERSION``, ``METHOD_DATE``):

* **Success** is a finished course whose status three months after the end is *job*. A provider's
  success rate is successes ÷ courses, shown with a 95% Wilson score interval, which behaves well
  for small counts and for rates near 0 or 1.
* **Expected success.** Providers serve different citizens, so raw rates are not comparable. A
  logistic regression fitted on every provider's courses predicts the chance of a job from the
  citizen's target group, age band, time on benefit and municipality, but *not* from the provider.
  A provider's expected successes are the sum of those chances over its own courses: the number of
  jobs an average provider would have reached with exactly the same citizens.
  - Time on benefit enters as five bands (0-2, 3-5, 6-11, 12-23, 24+ months) rather than a
    straight line: the chance of a job falls steeply in the first year and then flattens, bands
    follow that shape without assuming a formula and match how caseworkers talk about duration.
  - Municipalities with fewer than ``MIN_LEVEL_COURSES`` courses are pooled into one level so that
    a handful of courses cannot produce a wild municipality effect.
  - The model is fitted on cells (one row per combination of the four factors, with successes and
    trials), which gives the same estimate as fitting course by course and keeps the fit fast and
    small for hundreds of thousands of courses.
  - A weak ridge penalty (a normal prior with standard deviation 1 on every log-odds effect, none on
    the intercept) keeps the fit finite when a small group has only failures or only successes.
    With hundreds of courses per level its effect on the estimates is negligible, and because the
    intercept is not penalised, expected successes summed over the whole country equal the
    observed successes (the national score is 1).
  - A category never seen when fitting (a new target group, say) is treated as the reference level,
    the most common one, so prediction never fails.
* **Score** = observed successes ÷ expected successes (1 = as expected; 1.2 = 20% more jobs than
  expected). Its 95% interval treats the observed count as Poisson and uses the exact Garwood
  chi-square limits divided by the expected count, the standard method for standardised mortality
  ratios (SMR).
* **Stars** are bands of the score: if the interval contains 1 the provider is *as expected*
  (3 stars); if the whole interval lies above 1, 4 stars, or 5 when the score is at least
  ``FIVE_STAR_MIN_SCORE``; if the whole interval lies below 1, 2 stars, or 1 when the score is at
  most ``ONE_STAR_MAX_SCORE``. Providers whose upper bound is below 1 are flagged for the authority.
* KL's other two measures: **weeks to job** (from course start to job start, among courses with a
  job start) as a median with a distribution-free 95% interval from order statistics, and
  **retention** (among courses with a job start, the share still in a job three months after the
  end) with a Wilson interval.
* Below ``MIN_COURSES`` courses no rate, score, star or interval is shown, only the count; the same
  minimum applies to weeks to job and retention with their own counts.

Everything here is pure computation on in-memory data. Callers hand in ``Course`` records
(``compute_results``) or a pandas DataFrame with the same column names (``compute_results_frame``;
the faster route for large imports, ``end_date`` may be left out). All per-course work is
vectorised with numpy and pandas.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize
from scipy.special import expit
from scipy.stats import binom, chi2

METHOD_VERSION = "1.0"
METHOD_DATE = datetime.date(2026, 11, 23)

MIN_COURSES = 20
"""Minimum number of courses (or job starts) before a rate, score or interval is shown."""

CONFIDENCE = 0.95
Z_95 = 1.959963984540054
"""Two-sided 95% standard normal quantile."""

AS_EXPECTED_SCORE = 1.0
FIVE_STAR_MIN_SCORE = 1.25
ONE_STAR_MAX_SCORE = 0.75

SUCCESS_STATUS = "job"
STATUSES = frozenset({"job", "education", "benefit", "other"})
AGE_BANDS = ("16-24", "25-29", "30-39", "40-49", "50-59", "60+")

MONTHS_BAND_STARTS = (0, 3, 6, 12, 24)
MONTHS_BANDS = ("0-2", "3-5", "6-11", "12-23", "24+")

MIN_LEVEL_COURSES = 50
"""Municipalities with fewer courses than this are pooled into ``POOLED_MUNICIPALITY``."""
POOLED_MUNICIPALITY = "pooled"

RIDGE_PENALTY = 1.0
"""L2 penalty on the log-odds effects (prior standard deviation 1); the intercept is free."""

_GRADIENT_TOLERANCE = 1e-9
"""Convergence: largest score component per course (so expected and observed totals agree)."""

FACTORS = ("target_group", "age_band", "months_band", "municipality")

_REQUIRED_COLUMNS = (
    "provider_id",
    "target_group",
    "municipality",
    "age_band",
    "months_on_benefit",
    "start_date",
    "status_3m",
    "job_start_date",
)
_DAYS_PER_WEEK = 7.0
_UNIX_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class Course:
    """One finished course as imported from the official registers."""

    provider_id: int
    target_group: str
    municipality: int
    age_band: str
    months_on_benefit: int
    start_date: datetime.date
    end_date: datetime.date
    status_3m: str
    job_start_date: datetime.date | None


# --------------------------------------------------------------------------------------------
# Intervals and bands
# --------------------------------------------------------------------------------------------


def _wilson_arrays(successes: np.ndarray, n: np.ndarray, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson score interval (n must be positive)."""
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z / denominator * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval for a proportion successes/n; raises ValueError when n == 0."""
    if n <= 0:
        raise ValueError("the Wilson interval needs at least one trial")
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    low, high = _wilson_arrays(np.array([successes]), np.array([n]), z)
    return float(low[0]), float(high[0])


def _garwood_arrays(observed: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised exact (Garwood) Poisson limits for observed counts."""
    observed = np.asarray(observed, dtype=float)
    tail = (1.0 - confidence) / 2.0
    safe = np.maximum(observed, 1.0)  # chi2 with 0 degrees of freedom is undefined; lower is 0 then
    low = np.where(observed > 0, chi2.ppf(tail, 2.0 * safe) / 2.0, 0.0)
    high = chi2.ppf(1.0 - tail, 2.0 * observed + 2.0) / 2.0
    return low, high


def garwood_interval(observed: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Garwood) chi-square confidence limits for a Poisson count."""
    if observed < 0:
        raise ValueError("a count cannot be negative")
    low, high = _garwood_arrays(np.array([observed]), confidence)
    return float(low[0]), float(high[0])


def score_interval(observed: int, expected: float) -> tuple[float, float, float]:
    """Score (observed ÷ expected) with its 95% Garwood interval, as (score, low, high)."""
    if expected <= 0:
        raise ValueError("expected successes must be positive")
    low, high = garwood_interval(observed)
    return observed / expected, low / expected, high / expected


def _stars_arrays(score: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised star banding; returns (stars, as_expected)."""
    as_expected = (low <= AS_EXPECTED_SCORE) & (high >= AS_EXPECTED_SCORE)
    above = low > AS_EXPECTED_SCORE
    stars = np.select(
        [as_expected, above & (score >= FIVE_STAR_MIN_SCORE), above, score <= ONE_STAR_MAX_SCORE],
        [3, 5, 4, 1],
        default=2,
    )
    return stars, as_expected


def stars_for(score: float, low: float, high: float) -> tuple[int, bool]:
    """Stars (1-5) and the as-expected flag for a score and its interval."""
    stars, as_expected = _stars_arrays(np.array([score]), np.array([low]), np.array([high]))
    return int(stars[0]), bool(as_expected[0])


def _median_rank(n: np.ndarray, confidence: float = CONFIDENCE) -> np.ndarray:
    """1-based rank j so that [x(j), x(n-j+1)] covers the median with at least `confidence`."""
    n = np.asarray(n)
    tail = (1.0 - confidence) / 2.0
    # j is the number of k with P(B <= k) <= tail for B ~ Binomial(n, 1/2). ppf gives the smallest k
    # with P(B <= k) >= tail, which is the same number because P(B <= k) (a multiple of 2**-n) never
    # equals tail exactly.
    return binom.ppf(tail, n, 0.5).astype(np.int64)


def _sorted_block_medians(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, ...]:
    """Median and order-statistic 95% interval for sorted blocks of `values`; NaN where undefined."""
    median = (values[starts + (sizes - 1) // 2] + values[starts + sizes // 2]) / 2.0
    rank = _median_rank(sizes)
    defined = rank >= 1
    safe_rank = np.where(defined, rank, 1)
    low = np.where(defined, values[starts + safe_rank - 1], np.nan)
    high = np.where(defined, values[starts + sizes - safe_rank], np.nan)
    return median, low, high


def median_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Median with its distribution-free 95% interval (order statistics); NaN limits if n is tiny."""
    ordered = np.sort(np.asarray(values, dtype=float))
    if ordered.size == 0:
        raise ValueError("the median needs at least one value")
    median, low, high = _sorted_block_medians(ordered, np.array([0]), np.array([ordered.size]))
    return float(median[0]), float(low[0]), float(high[0])


def months_band(months: int) -> str:
    """The band label for months on benefit (negative values count as 0)."""
    return MONTHS_BANDS[_months_band_index(np.array([months]))[0]]


def _months_band_index(months: np.ndarray) -> np.ndarray:
    """Vectorised band index for months on benefit."""
    index = np.searchsorted(MONTHS_BAND_STARTS, np.asarray(months), side="right") - 1
    return np.clip(index, 0, len(MONTHS_BANDS) - 1)


# --------------------------------------------------------------------------------------------
# Input preparation
# --------------------------------------------------------------------------------------------


def courses_to_frame(courses: Iterable[Course]) -> pd.DataFrame:
    """Columns of a DataFrame from Course records (the input of the *_frame functions)."""
    courses = list(courses)
    return pd.DataFrame(
        {
            "provider_id": np.fromiter((c.provider_id for c in courses), np.int64, len(courses)),
            "target_group": [c.target_group for c in courses],
            "municipality": np.fromiter((c.municipality for c in courses), np.int64, len(courses)),
            "age_band": [c.age_band for c in courses],
            "months_on_benefit": np.fromiter((c.months_on_benefit for c in courses), np.int64, len(courses)),
            "start_date": _dates_to_datetime64([c.start_date for c in courses]),
            "end_date": _dates_to_datetime64([c.end_date for c in courses]),
            "status_3m": [c.status_3m for c in courses],
            "job_start_date": _dates_to_datetime64([c.job_start_date for c in courses]),
        }
    )


def _dates_to_datetime64(dates: list[datetime.date | None]) -> np.ndarray:
    """Fast conversion of dates (None allowed) to datetime64[D] via ordinals."""
    missing = np.iinfo(np.int64).min  # the integer behind NaT
    days = np.fromiter(
        (d.toordinal() - _UNIX_EPOCH_ORDINAL if d is not None else missing for d in dates),
        np.int64,
        len(dates),
    )
    return days.view("datetime64[D]")


def _as_categorical_str(column: pd.Series) -> pd.Categorical:
    """A categorical whose categories are strings (municipality codes become '101', ...)."""
    categorical = pd.Categorical(column)
    return categorical.rename_categories([str(c) for c in categorical.categories])


def _factor_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The four model factors as string categoricals."""
    band_index = _months_band_index(frame["months_on_benefit"].to_numpy())
    return pd.DataFrame(
        {
            "target_group": _as_categorical_str(frame["target_group"]),
            "age_band": _as_categorical_str(frame["age_band"]),
            "months_band": pd.Categorical.from_codes(band_index, categories=list(MONTHS_BANDS)),
            "municipality": _as_categorical_str(frame["municipality"]),
        },
        index=frame.index,
    )


def _days(column: pd.Series) -> np.ndarray:
    """Dates as float days since the epoch (NaN for missing)."""
    values = pd.to_datetime(column)
    days = values.to_numpy(dtype="datetime64[s]").astype(np.int64).astype(float) / 86400.0
    days[values.isna().to_numpy()] = np.nan
    return days


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate the input and derive the per-course columns used below."""
    missing = [c for c in _REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"course data lacks columns: {', '.join(missing)}")
    if len(frame) == 0:
        raise ValueError("no courses")
    status = frame["status_3m"].astype(str)
    unknown = set(status.unique()) - STATUSES
    if unknown:
        raise ValueError(f"unknown status_3m values: {sorted(unknown)}")
    weeks = (_days(frame["job_start_date"]) - _days(frame["start_date"])) / _DAYS_PER_WEEK
    has_job = ~np.isnan(weeks)
    prepared = _factor_frame(frame)
    prepared["provider_id"] = frame["provider_id"].to_numpy(dtype=np.int64)
    prepared["success"] = (status == SUCCESS_STATUS).to_numpy()
    prepared["has_job"] = has_job
    prepared["retained"] = has_job & prepared["success"].to_numpy()
    # Weeks to job counts job starts on or after the course start; earlier ones are data errors.
    prepared["weeks"] = np.where(has_job & (weeks >= 0), weeks, np.nan)
    return prepared.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The expected-success model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpectedModel:
    """A fitted logistic model of the chance of a job, independent of the provider."""

    intercept: float
    coefficients: dict[str, dict[str, float]]
    """Factor → level → log-odds effect against the reference level (which has 0)."""
    reference: dict[str, str]
    pooled_municipalities: frozenset[str]
    national_rate: float
    national_rate_by_target_group: dict[str, float]
    n_courses: int
    n_cells: int
    penalty: float
    method_version: str = METHOD_VERSION

    def predict(self, course: Course) -> float:
        """Chance of a job three months after the end for one course."""
        values = {
            "target_group": course.target_group,
            "age_band": course.age_band,
            "months_band": months_band(course.months_on_benefit),
            "municipality": str(course.municipality),
        }
        eta = self.intercept + sum(self.coefficients[f].get(values[f], 0.0) for f in FACTORS)
        return float(expit(np.array([eta]))[0])

    def predict_many(self, courses: Iterable[Course]) -> np.ndarray:
        """Chances of a job for many courses, as a float array."""
        courses = list(courses)
        frame = pd.DataFrame(
            {
                "target_group": [c.target_group for c in courses],
                "age_band": [c.age_band for c in courses],
                "months_on_benefit": [c.months_on_benefit for c in courses],
                "municipality": [c.municipality for c in courses],
            }
        )
        return self.predict_frame(frame)

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Chances of a job for the rows of a DataFrame with the four factor columns."""
        if len(frame) == 0:
            return np.zeros(0)
        return self._predict_factors(_factor_frame(frame))

    def _predict_factors(self, factors: pd.DataFrame) -> np.ndarray:
        """Chances of a job from prepared factor categoricals."""
        eta = np.full(len(factors), self.intercept)
        for factor in FACTORS:
            eta += _lookup(factors[factor].array, self.coefficients[factor])
        return expit(eta)


def _lookup(categorical: pd.Categorical, mapping: dict[str, float]) -> np.ndarray:
    """Map a categorical through a dict per category (missing levels give 0)."""
    per_category = np.array([mapping.get(c, 0.0) for c in categorical.categories] + [0.0])
    return per_category[categorical.codes]  # code -1 (missing value) hits the trailing 0


def fit_expected_model(courses: Sequence[Course], penalty: float = RIDGE_PENALTY) -> ExpectedModel:
    """Fit the expected-success model on Course records."""
    return fit_expected_model_frame(courses_to_frame(courses), penalty)


def fit_expected_model_frame(frame: pd.DataFrame, penalty: float = RIDGE_PENALTY) -> ExpectedModel:
    """Fit the expected-success model on a DataFrame of courses."""
    return _fit_prepared(_prepare(frame), penalty)


def _fit_prepared(data: pd.DataFrame, penalty: float) -> ExpectedModel:
    """Fit on prepared course data: pool, aggregate to cells, fit the penalised binomial GLM."""
    pooled = _small_municipalities(data["municipality"])
    factors = data[list(FACTORS)].copy()
    if pooled:
        factors["municipality"] = _pool(factors["municipality"], pooled)
    cells = _cells(factors, data["success"])
    successes = cells["successes"].to_numpy(dtype=float)
    trials = cells["trials"].to_numpy(dtype=float)
    total_successes, total = successes.sum(), trials.sum()
    reference = {f: _reference_level(cells, f) for f in FACTORS}
    columns = [(f, level) for f in FACTORS for level in _levels(cells, f) if level != reference[f]]

    if 0 < total_successes < total:
        design = _design(cells, columns)
        params = _fit_penalised_glm(successes, trials, design, penalty)
    else:
        # Nobody (or everybody) got a job: no effect is estimable, predict the smoothed rate.
        rate = (total_successes + 0.5) / (total + 1.0)
        params = np.concatenate([[math.log(rate / (1.0 - rate))], np.zeros(len(columns))])

    coefficients: dict[str, dict[str, float]] = {f: {reference[f]: 0.0} for f in FACTORS}
    for (factor, level), value in zip(columns, params[1:]):
        coefficients[factor][level] = float(value)
    municipality = coefficients["municipality"]
    for code in pooled:
        municipality[code] = municipality.get(POOLED_MUNICIPALITY, 0.0)

    by_group = data.groupby("target_group", observed=True)["success"].mean()
    return ExpectedModel(
        intercept=float(params[0]),
        coefficients=coefficients,
        reference=reference,
        pooled_municipalities=frozenset(pooled),
        national_rate=float(total_successes / total),
        national_rate_by_target_group={str(k): float(v) for k, v in by_group.items()},
        n_courses=int(total),
        n_cells=len(cells),
        penalty=penalty,
    )


def _small_municipalities(municipality: pd.Series) -> list[str]:
    """Municipality codes with fewer than MIN_LEVEL_COURSES courses."""
    counts = municipality.value_counts()
    return [str(code) for code, count in counts.items() if 0 < count < MIN_LEVEL_COURSES]


def _pool(column: pd.Series, pooled: list[str]) -> pd.Categorical:
    """Merge the pooled categories of a string categorical into POOLED_MUNICIPALITY."""
    categorical = column.array
    merged = np.array([POOLED_MUNICIPALITY if c in pooled else c for c in categorical.categories], dtype=object)
    return pd.Categorical(merged[categorical.codes])


def _cells(factors: pd.DataFrame, success: pd.Series) -> pd.DataFrame:
    """Successes and trials per combination of the factors actually present."""
    grouped = factors.assign(success=success).groupby(list(FACTORS), observed=True)["success"]
    cells = grouped.agg(successes="sum", trials="size").reset_index()
    for factor in FACTORS:
        cells[factor] = cells[factor].astype(str)
    return cells


def _levels(cells: pd.DataFrame, factor: str) -> list[str]:
    """Levels of a factor present in the cells, sorted."""
    return sorted(cells[factor].unique())


def _reference_level(cells: pd.DataFrame, factor: str) -> str:
    """The most common level of a factor (ties broken by name)."""
    trials = cells.groupby(factor)["trials"].sum()
    return str(trials.sort_index().idxmax())


def _design(cells: pd.DataFrame, columns: list[tuple[str, str]]) -> np.ndarray:
    """Design matrix: intercept plus one dummy per non-reference level."""
    design = np.zeros((len(cells), len(columns) + 1))
    design[:, 0] = 1.0
    position = {column: j for j, column in enumerate(columns, start=1)}
    rows = np.arange(len(cells))
    for factor in FACTORS:
        categorical = pd.Categorical(cells[factor])
        per_level = np.array([position.get((factor, level), -1) for level in categorical.categories])
        column = per_level[categorical.codes]
        has_dummy = column >= 0
        design[rows[has_dummy], column[has_dummy]] = 1.0
    return design


def _fit_penalised_glm(successes: np.ndarray, trials: np.ndarray, design: np.ndarray, penalty: float) -> np.ndarray:
    """Maximise the statsmodels binomial GLM log-likelihood minus a ridge penalty (trust-region Newton)."""
    glm = sm.GLM(np.column_stack([successes, trials - successes]), design, family=sm.families.Binomial())
    weights = np.full(design.shape[1], penalty)
    weights[0] = 0.0  # the intercept is not penalised
    scale = 1.0 / trials.sum()  # per-course units keep the numbers near 1

    def objective(beta: np.ndarray) -> float:
        return scale * (-glm.loglike(beta, scale=1.0) + 0.5 * np.sum(weights * beta * beta))

    def gradient(beta: np.ndarray) -> np.ndarray:
        return scale * (-glm.score(beta, scale=1.0) + weights * beta)

    def hessian(beta: np.ndarray) -> np.ndarray:
        return scale * (-glm.hessian(beta, scale=1.0) + np.diag(weights))

    rate = successes.sum() / trials.sum()
    start = np.zeros(design.shape[1])
    start[0] = math.log(rate / (1.0 - rate))
    result = optimize.minimize(
        objective, start, jac=gradient, hess=hessian, method="trust-exact", options={"gtol": _GRADIENT_TOLERANCE}
    )
    if not result.success and np.max(np.abs(result.jac)) > 1e3 * _GRADIENT_TOLERANCE:
        raise RuntimeError(f"expected-success model did not converge: {result.message}")
    return result.x


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultStats:
    """Published numbers for one group of courses; None where too few courses to show them."""

    courses: int
    success_rate: float | None = None
    success_low: float | None = None
    success_high: float | None = None
    expected_rate: float | None = None
    score: float | None = None
    score_low: float | None = None
    score_high: float | None = None
    stars: int | None = None
    as_expected: bool | None = None
    weeks_to_job_median: float | None = None
    weeks_to_job_count: int = 0
    weeks_to_job_low: float | None = None
    weeks_to_job_high: float | None = None
    retention_rate: float | None = None
    retention_low: float | None = None
    retention_high: float | None = None
    retention_count: int = 0

    @property
    def shown(self) -> bool:
        """True when there are enough courses to show rate and score."""
        return self.courses >= MIN_COURSES

    def to_dict(self) -> dict[str, float | int | bool | None]:
        """JSON-ready dict; floats rounded to 4 decimals. (Flat fields only: a direct read, not
        `dataclasses.asdict`, whose deep copy cost ~140 µs a call over a million cells.)"""
        values = ((name, getattr(self, name)) for name in _RESULT_FIELDS)
        return {name: round(v, 4) if isinstance(v, float) else v for name, v in values}


_RESULT_FIELDS = tuple(f.name for f in fields(ResultStats))


@dataclass(frozen=True, slots=True)
class ProviderResults:
    """All published numbers for one provider."""

    provider_id: int
    overall: ResultStats
    by_target_group: dict[str, ResultStats]
    people_like_me: dict[tuple[str, str], ResultStats]


@dataclass(frozen=True, slots=True)
class ResultsReport:
    """Results for every provider, the national figures and the flagged providers."""

    providers: dict[int, ProviderResults]
    national: ResultStats
    national_by_target_group: dict[str, ResultStats]
    flagged: set[int]
    model: ExpectedModel
    method_version: str = METHOD_VERSION
    method_date: datetime.date = METHOD_DATE


def compute_results(courses: Sequence[Course], model: ExpectedModel | None = None) -> ResultsReport:
    """Results for every provider from Course records (fits the model when none is given)."""
    return compute_results_frame(courses_to_frame(courses), model)


def compute_results_frame(frame: pd.DataFrame, model: ExpectedModel | None = None) -> ResultsReport:
    """Results for every provider from a DataFrame with the Course columns."""
    data = _prepare(frame)
    if model is None:
        model = _fit_prepared(data, RIDGE_PENALTY)
    data["expected"] = model._predict_factors(data)

    overall = _stats_by(data, ["provider_id"])
    by_group = _stats_by(data, ["provider_id", "target_group"])
    cells = _stats_by(data, ["provider_id", "target_group", "age_band"])
    providers = {pid: ProviderResults(pid, stats, {}, {}) for pid, stats in overall.items()}
    for (pid, group), stats in by_group.items():
        providers[pid].by_target_group[group] = stats
    for (pid, group, age), stats in cells.items():
        providers[pid].people_like_me[(group, age)] = stats

    national = _stats_by(data.assign(everyone=0), ["everyone"])[0]
    flagged = {pid for pid, stats in overall.items() if stats.score_high is not None and stats.score_high < 1.0}
    return ResultsReport(
        providers=providers,
        national=national,
        national_by_target_group=_stats_by(data, ["target_group"]),
        flagged=flagged,
        model=model,
    )


def people_like_me(
    report: ResultsReport, provider_id: int, target_group: str, age_band: str
) -> tuple[ResultStats, str]:
    """The most specific shown stats for a citizen: own target group and age band, else coarser."""
    provider = report.providers[provider_id]
    cell = provider.people_like_me.get((target_group, age_band))
    if cell is not None and cell.shown:
        return cell, "target_group_age_band"
    group = provider.by_target_group.get(target_group)
    if group is not None and group.shown:
        return group, "target_group"
    return provider.overall, "overall"


def _stats_by(data: pd.DataFrame, keys: list[str]) -> dict:
    """ResultStats per group of `keys` (scalar key for one column, tuple otherwise)."""
    table = _aggregate(data, keys)
    rows = _stats_rows(table)
    index = table.index.tolist()
    return dict(zip(index, rows))


def _aggregate(data: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts, sums and weeks-to-job medians per group."""
    grouped = data.groupby(keys, observed=True, sort=True)
    table = grouped.agg(
        courses=("success", "size"),
        successes=("success", "sum"),
        expected=("expected", "sum"),
        retention_count=("has_job", "sum"),
        retained=("retained", "sum"),
    )
    group_id = grouped.ngroup().to_numpy()  # numbered in the same (sorted) order as `table`
    weeks = data["weeks"].to_numpy()
    has_weeks = ~np.isnan(weeks)
    count, median, low, high = _group_medians(weeks[has_weeks], group_id[has_weeks], len(table))
    return table.assign(weeks_count=count, weeks_median=median, weeks_low=low, weeks_high=high)


def _group_medians(values: np.ndarray, group_id: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Count, median and order-statistic 95% interval of values per group (NaN for empty groups)."""
    ordered = values[np.lexsort((values, group_id))]
    sizes = np.bincount(group_id, minlength=n_groups)
    starts = np.cumsum(sizes) - sizes
    median, low, high = (np.full(n_groups, np.nan) for _ in range(3))
    present = sizes > 0
    median[present], low[present], high[present] = _sorted_block_medians(ordered, starts[present], sizes[present])
    return sizes, median, low, high


def _stats_rows(table: pd.DataFrame) -> list[ResultStats]:
    """Vectorised rates, intervals and stars for an aggregate table, with minimum-sample masking."""
    n = table["courses"].to_numpy(dtype=float)
    s = table["successes"].to_numpy(dtype=float)
    e = table["expected"].to_numpy(dtype=float)
    shown = n >= MIN_COURSES
    success_low, success_high = _wilson_arrays(s, n)
    observed_low, observed_high = _garwood_arrays(s)
    score, score_low, score_high = s / e, observed_low / e, observed_high / e
    stars, as_expected = _stars_arrays(score, score_low, score_high)

    job_n = table["retention_count"].to_numpy(dtype=float)
    retained = table["retained"].to_numpy(dtype=float)
    retention_shown = job_n >= MIN_COURSES
    safe_job_n = np.maximum(job_n, 1.0)
    retention_low, retention_high = _wilson_arrays(retained, safe_job_n)
    weeks_n = table["weeks_count"].to_numpy()
    weeks_shown = weeks_n >= MIN_COURSES

    columns = {
        "courses": n.astype(np.int64),
        "success_rate": _masked(s / n, shown),
        "success_low": _masked(success_low, shown),
        "success_high": _masked(success_high, shown),
        "expected_rate": _masked(e / n, shown),
        "score": _masked(score, shown),
        "score_low": _masked(score_low, shown),
        "score_high": _masked(score_high, shown),
        "stars": _masked(stars, shown),
        "as_expected": _masked(as_expected, shown),
        "weeks_to_job_median": _masked(table["weeks_median"].to_numpy(dtype=float), weeks_shown),
        "weeks_to_job_count": weeks_n,
        "weeks_to_job_low": _masked(table["weeks_low"].to_numpy(dtype=float), weeks_shown),
        "weeks_to_job_high": _masked(table["weeks_high"].to_numpy(dtype=float), weeks_shown),
        "retention_rate": _masked(retained / safe_job_n, retention_shown),
        "retention_low": _masked(retention_low, retention_shown),
        "retention_high": _masked(retention_high, retention_shown),
        "retention_count": job_n.astype(np.int64),
    }
    names = [f.name for f in fields(ResultStats)]
    lists = [columns[name].tolist() for name in names]
    return [ResultStats(*values) for values in zip(*lists)]


def _masked(values: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """An object array holding Python values where shown and None elsewhere."""
    out = np.full(len(values), None, dtype=object)
    out[shown] = values[shown]  # casting to object yields Python float, int and bool
    return out
