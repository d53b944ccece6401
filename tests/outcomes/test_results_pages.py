"""Results where people see them: the provider page (chart, KL's measures, score, people like me),
/metode, the open-data CSVs, the API, search sorting and the authority's pages."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from accounts.support import csrf_token, login, make_user
from factories import index_all, make_provider
from outcomes.outcome_files import course, mixed_courses, write_outcomes

from marketplace.outcomes import jobs, stats
from marketplace.outcomes.importer import import_outcomes
from marketplace.outcomes.services import HISTORY_COLUMNS, flagged_providers
from marketplace.outcomes.tables import Outcome, OutcomeImport

RESULT_FIELDS = {"courses", "success_rate", "success_low", "success_high", "score", "score_low", "score_high", "stars"}


def text(response) -> str:
    """The page with Babel's non-breaking spaces ("62\xa0%") as plain spaces, for readable asserts."""
    return response.text.replace("\xa0", " ")


def svg_of(html: str) -> str:
    match = re.search(r"<svg id=\"results-chart\".*?</svg>", html, re.S)
    assert match, "no results chart on the page"
    return match.group(0)


def people_like_me_rows(cvr: str) -> list[dict[str, str]]:
    """25 courses of 50-59-year-olds on dagpenge (20 in work), 10 of 30-39-year-olds (5 in work),
    5 on sygedagpenge (none in work)."""
    rows = [course(i, cvr, age_band="50-59", status_3m="job" if i < 20 else "benefit") for i in range(25)]
    rows += [course(100 + i, cvr, age_band="30-39", status_3m="job" if i < 5 else "benefit") for i in range(10)]
    rows += [course(200 + i, cvr, target_group="sygedagpenge", status_3m="benefit", job_start_date="") for i in range(5)]
    return rows


# -- the provider page -----------------------------------------------------------------------------
async def test_the_provider_page_draws_the_results_chart_with_a_text_alternative(client, tmp_path):
    provider = await make_provider(target_groups=[{"slug": "dagpenge", "years": 3}, {"slug": "fleksjob", "years": 1}])
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    response = await client.get(f"/providers/{provider['slug']}")

    assert response.status_code == 200
    svg = svg_of(text(response))
    assert 'role="img"' in svg and 'aria-labelledby="results-chart-title results-chart-desc"' in svg
    assert "<title id=\"results-chart-title\">Andel i job tre måneder efter forløbet, per målgruppe</title>" in svg
    # overall: 25 of 40 in work; dagpenge: 25 of 35; the Wilson interval is drawn as a bar, the rate as a dot
    assert "Alle målgrupper: 62 % i job (95 %-interval 47 %–76 %, 40 forløb)" in svg
    assert "Dagpengemodtagere: 71 % i job" in svg
    assert svg.count("<circle") == 2 + 1  # two shown rates and the legend's dot
    # below the minimum: no dot, no bar, the words instead (sygedagpenge has 5, fleksjob none)
    assert "Sygedagpenge: For få forløb endnu" in svg
    assert "For få forløb endnu (5)</text>" in svg
    assert "Fleksjob: For få forløb endnu" in svg
    # the national level is a line per group with enough courses nationally
    assert "landsniveau 62 %" in svg
    # the text alternative: the same numbers as a table
    assert "<caption>Tallene bag figuren</caption>" in text(response)
    assert "<strong>62 %</strong> <span class=\"muted\">(95 %-interval 47 %–76 %)</span>" in text(response)


async def test_every_score_on_the_provider_page_carries_the_method_version(client, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    response = await client.get(f"/providers/{provider['slug']}")

    html = text(response)
    scores = html.count('<span class="score">')
    assert scores >= 3  # the table (overall and dagpenge) and the score section
    versions = re.findall(rf'href="/metode">(?:M|m)etode(?: version)? {re.escape(stats.METHOD_VERSION)}</a></span>', html)
    assert len(versions) == scores
    assert "Som forventet" in html


async def test_the_provider_page_shows_kl_three_measures_with_counts(client, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    html = text(await client.get(f"/providers/{provider['slug']}"))
    assert "Flere i job" in html and "af 40 afsluttede forløb" in html
    # every course with a job start started 2025-01-06 and the job 2025-03-03: 8 weeks
    assert "Hurtigere i job" in html and "median 8,0 uger" in html and "blandt 35 jobstarter" in html
    # retention: 25 of the 35 with a job start are still in work
    assert "Fastholdelse" in html and "<strong>71 %</strong>" in html and "blandt 35 der fik job" in html


async def test_a_provider_without_courses_says_so_and_shows_no_chart(client):
    provider = await make_provider()

    response = await client.get(f"/providers/{provider['slug']}")

    assert response.status_code == 200
    assert "Der er endnu ingen afsluttede forløb" in text(response)
    assert "results-chart" not in text(response)


# -- people like me --------------------------------------------------------------------------------
async def test_people_like_me_shows_the_cell_when_it_has_the_minimum_of_courses(client, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    html = text(await client.get(f"/providers/{provider['slug']}?target_group=dagpenge&age_band=50-59"))
    section = html[html.index('id="folk-som-mig"'):]
    assert "Tallet gælder borgere i målgruppen Dagpengemodtagere på 50-59 år." in section
    assert "<strong>80 %</strong>" in section  # 20 of 25
    assert '<option value="50-59" selected>' in section and '<option value="dagpenge" selected>' in section


async def test_people_like_me_falls_back_to_the_target_group_and_says_so(client, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    html = text(await client.get(f"/providers/{provider['slug']}?target_group=dagpenge&age_band=30-39"))
    section = html[html.index('id="folk-som-mig"'):]
    assert (f"Der er færre end {stats.MIN_COURSES} forløb med borgere på 30-39 år i målgruppen, "
            "så vi viser tallet for hele målgruppen Dagpengemodtagere.") in section
    assert "<strong>71 %</strong>" in section  # 25 of 35


async def test_people_like_me_falls_back_to_all_courses_when_the_group_is_small(client, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    html = text(await client.get(f"/providers/{provider['slug']}?target_group=sygedagpenge&age_band=30-39"))
    section = html[html.index('id="folk-som-mig"'):]
    assert "Der er færre end 20 forløb i målgruppen Sygedagpenge, så vi viser tallet for alle aktørens forløb." in section
    assert "<strong>62 %</strong>" in section  # 25 of 40


async def test_unknown_people_like_me_values_are_ignored(client, tmp_path):
    provider = await make_provider()

    response = await client.get(f"/providers/{provider['slug']}?target_group=nope&age_band=<b>")

    assert response.status_code == 200
    assert "people-like-me__result" not in text(response)


# -- the methods page ------------------------------------------------------------------------------
async def test_the_methods_page_states_the_version_date_and_constants_from_the_code(client):
    html = text(await client.get("/metode"))
    assert f"Metode version {stats.METHOD_VERSION}</strong> fra 23. november 2026" in html
    assert f"<h2>Mindst {stats.MIN_COURSES} forløb</h2>" in html
    assert "resultatet er mindst 1,25" in html and "resultatet er højst 0,75" in html
    assert "0-2, 3-5, 6-11, 12-23, 24+ måneder" in html
    assert f"færre end {stats.MIN_LEVEL_COURSES} forløb lægges sammen" in html
    assert "Garwood" in html and "Wilson" in html and "ridge" in html
    low, high = stats.wilson_interval(12, 20)
    assert f"med et interval fra {round(low * 100)} % til {round(high * 100)} %" in html


async def test_the_methods_page_is_in_english_when_asked(client):
    client.cookies.set("lang", "en")

    html = text(await client.get("/metode"))
    assert '<div class="prose" lang="en">' in html
    assert f"Method version {stats.METHOD_VERSION}</strong> of 23 November 2026" in html
    assert f"At least {stats.MIN_COURSES} courses" in html


async def test_the_methods_page_describes_the_latest_model_fit(client, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    html = text(await client.get("/metode"))
    assert "Den seneste beregning" in html and "på 40 afsluttede forløb" in html


# -- open data and the API -------------------------------------------------------------------------
def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_ratings_history_has_rows_per_import_provider_and_target_group(client, tmp_path):
    provider = await make_provider(name="Historikken")
    rows = mixed_courses(provider["cvr"], 40)
    first = await import_outcomes(write_outcomes(tmp_path / "1.csv", rows))
    rows[0] = course(0, provider["cvr"], status_3m="job")  # one correction: the rate moves
    second = await import_outcomes(write_outcomes(tmp_path / "2.csv", rows))

    response = await client.get("/api/ratings-history.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert text(response).splitlines()[0] == ",".join(HISTORY_COLUMNS)
    lines = parse_csv(text(response))
    overall = [r for r in lines if r["target_group"] == ""]
    assert [int(r["import_id"]) for r in overall] == [first.import_id, second.import_id]
    assert {(r["cvr"], r["name"], r["method_version"]) for r in overall} == {(provider["cvr"], "Historikken", "1.0")}
    assert [float(r["success_rate"]) for r in overall] == [0.5, 0.525]
    assert all(r["courses"] == "40" and r["stars"] for r in overall)
    groups = [r for r in lines if r["import_id"] == str(second.import_id) and r["target_group"]]
    assert {r["target_group"] for r in groups} == {"dagpenge", "sygedagpenge"}
    assert [r["score"] for r in groups if r["target_group"] == "sygedagpenge"] == [""]  # 10 courses: too few


async def test_the_national_levels_are_in_the_api(client, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    body = (await client.get("/api/results/national")).json()

    assert body["method_version"] == stats.METHOD_VERSION
    assert body["results"]["courses"] == 40
    assert body["results"]["success_rate"] == pytest.approx(0.625)
    assert body["results"]["score"] == pytest.approx(1.0)
    assert body["results_by_target_group"]["dagpenge"]["courses"] == 35


async def test_the_api_carries_results_overall_and_per_target_group(client, engine, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))
    await index_all(engine)

    detail = (await client.get(f"/api/providers/{provider['id']}")).json()
    hit = (await client.get("/api/providers")).json()["hits"][0]

    for doc in (detail, hit):
        assert RESULT_FIELDS <= set(doc["results"])
        assert doc["results"]["courses"] == 40 and doc["results"]["stars"] == 3
        assert doc["method_version"] == stats.METHOD_VERSION
        small = doc["results_by_target_group"]["sygedagpenge"]
        assert small["courses"] == 5
        assert all(small[k] is None for k in RESULT_FIELDS - {"courses"})


async def test_the_open_data_csv_includes_the_numbers(client, engine, tmp_path):
    provider = await make_provider()
    await import_outcomes(write_outcomes(tmp_path / "a.csv", people_like_me_rows(provider["cvr"])))

    row = parse_csv(text(await client.get("/api/providers.csv")))[0]

    assert (row["courses"], row["success_rate"], row["stars"], row["method_version"]) == ("40", "0.625", "3", "1.0")
    assert row["success_low"] and row["score_low"] and row["score_high"]


# -- sorting by the numbers ------------------------------------------------------------------------
async def test_search_sorts_by_score_and_by_success_rate(engine):
    from marketplace.providers.services import search_providers
    from search.queries import parse_search_params

    await make_provider(name="Høj score", results={"courses": 40, "success_rate": 0.30, "score": 1.40, "stars": 5})
    await make_provider(name="Høj andel", results={"courses": 40, "success_rate": 0.80, "score": 1.05, "stars": 3})
    await make_provider(name="Lav", results={"courses": 40, "success_rate": 0.20, "score": 0.60, "stars": 1})
    await make_provider(name="Ingen tal")
    await index_all(engine)

    by_score = await search_providers(engine, parse_search_params({"sort": "best"}))
    by_rate = await search_providers(engine, parse_search_params({"sort": "success_rate"}))

    assert [h["name"] for h in by_score.hits] == ["Høj score", "Høj andel", "Lav", "Ingen tal"]
    assert [h["name"] for h in by_rate.hits] == ["Høj andel", "Høj score", "Lav", "Ingen tal"]


# -- the authority ---------------------------------------------------------------------------------
async def below_expected(tmp_path: Path) -> dict:
    """A provider clearly below expected among average ones; returns the weak provider."""
    weak = await make_provider(name="Svag")
    rows = [course(i, weak["cvr"], status_3m="job" if i < 10 else "benefit") for i in range(80)]
    for n in range(3):
        other = await make_provider()
        rows += [course(1000 * (n + 1) + i, other["cvr"], status_3m="job" if i % 2 else "benefit") for i in range(80)]
    await import_outcomes(write_outcomes(tmp_path / "flag.csv", rows))
    return weak


async def test_providers_with_an_upper_score_bound_below_1_are_flagged(tmp_path):
    weak = await below_expected(tmp_path)

    flagged = await flagged_providers()

    assert [f.provider_id for f in flagged] == [weak["id"]]
    f = flagged[0]
    assert f.name == "Svag" and f.courses == 80 and f.score_high < 1.0 and f.score_low < f.score < f.score_high


async def authority_client(client):
    user = await make_user("authority")
    response = await login(client, user.email)
    assert response.status_code == 303, text(response)
    return user


async def test_the_authority_sees_the_flagged_providers(client, tmp_path):
    await below_expected(tmp_path)
    await authority_client(client)

    response = await client.get("/authority/results")

    assert response.status_code == 200
    assert "Aktører under resultatkravet" in text(response)
    assert ">Svag</a>" in text(response) and f"Metode version {stats.METHOD_VERSION}" in text(response)


async def test_the_authority_pages_are_closed_to_others(client):
    anonymous = await client.get("/authority/outcomes")
    citizen = await make_user("citizen")
    await login(client, citizen.email)
    as_citizen = await client.get("/authority/results")

    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    assert as_citizen.status_code == 403


async def upload(client, path: Path, **extra):
    token = await csrf_token(client)
    with open(path, "rb") as handle:
        return await client.post("/authority/outcomes", data={"_csrf_token": token, **extra},
                                 files={"file": (path.name, handle.read(), "text/csv")})


async def test_an_upload_with_a_bad_line_shows_the_report_and_applies_nothing(client, tmp_path):
    provider = await make_provider()
    await authority_client(client)
    rows = mixed_courses(provider["cvr"], 5) + [course(9, provider["cvr"], municipality="999")]

    response = await upload(client, write_outcomes(tmp_path / "bad.csv", rows))

    assert response.status_code == 400
    assert "Filen blev afvist: 1 fejl" in text(response)
    assert "<td class=\"num\">7</td><td><code>municipality</code></td><td>Ukendt kommunekode." in text(response)
    assert await Outcome.count() == 0


async def test_an_upload_of_a_good_file_is_applied_and_summarised(client, tmp_path):
    provider = await make_provider()
    user = await authority_client(client)

    response = await upload(client, write_outcomes(tmp_path / "good.csv", mixed_courses(provider["cvr"], 25)))

    assert response.status_code == 200
    assert "Filen er indlæst: 25 forløb" in text(response) and "25 nye, 0 rettede og 0 uændrede." in text(response)
    batch = await OutcomeImport.select().first()
    assert (batch["filename"], batch["imported_by"]) == ("good.csv", user.id)
    listing = await client.get("/authority/outcomes")
    assert "good.csv" in text(listing)


async def test_an_upload_without_a_file_asks_for_one(client):
    await authority_client(client)
    token = await csrf_token(client)

    response = await client.post("/authority/outcomes", data={"_csrf_token": token},
                                 files={"file": ("", b"", "application/octet-stream")})

    assert response.status_code == 400
    assert 'href="#file"' in text(response) and "Vælg en CSV-fil med afsluttede forløb." in text(response)


async def test_an_upload_without_the_csrf_token_is_refused(client, tmp_path):
    provider = await make_provider()
    await authority_client(client)
    path = write_outcomes(tmp_path / "good.csv", mixed_courses(provider["cvr"], 3))

    response = await client.post("/authority/outcomes", files={"file": (path.name, path.read_bytes(), "text/csv")})

    assert response.status_code == 403
    assert await Outcome.count() == 0


async def test_a_big_upload_runs_in_the_background_with_a_progress_page(client, tmp_path):
    provider = await make_provider()
    await authority_client(client)
    rows = (course(i, provider["cvr"], status_3m="job" if i % 3 else "benefit") for i in range(16_000))
    path = write_outcomes(tmp_path / "big.csv", rows)
    assert path.stat().st_size > jobs.BACKGROUND_BYTES

    response = await upload(client, path)

    assert response.status_code == 303
    status_url = response.headers["location"]
    job_id = status_url.rsplit("/", 1)[1]
    running = await client.get(status_url)
    assert running.status_code == 200
    if "Filen er indlæst" not in text(running):  # still running: the page refreshes itself
        assert '<meta http-equiv="refresh" content="2">' in text(running)
        assert running.headers["refresh"] == "2"
    await jobs.wait(job_id)
    done = await client.get(status_url)
    assert "Filen er indlæst: 16.000 forløb" in text(done)
    assert "http-equiv" not in text(done)
    assert await Outcome.count() == 16_000
    assert not (jobs.imports_dir() / f"{job_id}.csv").exists()
