"""The comparison page: bad ids answered with a Danish 400, and the same rows for every provider,
read from the database, for the citizen's situation (query or profile)."""
from __future__ import annotations

import html
import re

import pytest
from factories import make_provider, office, set_status

from marketplace.outcomes.tables import ProviderResult
from marketplace.reference import postcode
from search.geo import haversine_km
from tests.enrolments.support import citizen, text_of_page


def _stats(courses: int, rate: float, low: float, high: float, score: float | None = None) -> dict:
    stats = {"courses": courses, "successes": round(courses * rate), "success_rate": rate, "success_low": low,
             "success_high": high, "score": None, "score_low": None, "score_high": None, "stars": None,
             "as_expected": None}
    if score is not None:
        stats.update({"score": score, "score_low": round(score - 0.2, 2), "score_high": round(score + 0.2, 2),
                      "stars": 3, "as_expected": True})
    return stats


def rows_of(response) -> dict[str, list[str]]:
    """The comparison table as row header → the cells' texts (in column order)."""
    table = response.text.split('<table class="table compare-table">')[1].split("</table>")[0]
    rows: dict[str, list[str]] = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, flags=re.S)
        texts = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells]
        rows.setdefault(texts[0], texts[1:])  # the header row first (its corner cell is empty)
    return rows


@pytest.fixture
async def two_providers() -> tuple[dict, dict]:
    aarhus = await make_provider(
        name="Aarhus Job", municipalities=[751], remote=False, offices=[office("8000")],
        target_groups=[{"slug": "dagpenge", "years": 5}, {"slug": "sygedagpenge", "years": 2}],
        services=[{"slug": "jobsamtaler", "price_dkk": 5000, "duration_weeks": 8},
                  {"slug": "mentor", "price_dkk": 9000, "duration_weeks": 12}],
        languages=["da", "en"], capacity="open", first_contact_days=3,
        results=_stats(60, 0.45, 0.33, 0.58, 1.05),
        results_by_target_group={"dagpenge": _stats(40, 0.5, 0.35, 0.65, 1.1)},
    )
    odense = await make_provider(
        name="Fyns Job", municipalities=[461], remote=True, offices=[office("5000")],
        target_groups=[{"slug": "dagpenge", "years": 1}], languages=["da", "ar"], capacity="waitlist",
        waiting_weeks=4, reviews=[4, 5], results=_stats(30, 0.4, 0.25, 0.57, 0.95),
        results_by_target_group={"dagpenge": _stats(30, 0.4, 0.25, 0.57, 0.95)},
    )
    await ProviderResult.update({ProviderResult.people_like_me: {"dagpenge|30-39": _stats(25, 0.6, 0.41, 0.77, 1.2)}}).where(
        ProviderResult.provider == aarhus["id"])
    await ProviderResult.update({ProviderResult.people_like_me: {"dagpenge|30-39": _stats(5, 0.2, 0.04, 0.62)}}).where(
        ProviderResult.provider == odense["id"])
    return aarhus, odense


# -- bad ids -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "message"), [
    ("ids=1", "Vælg mindst 2 forskellige aktører at sammenligne – du har valgt 1."),
    ("ids=1,2,3,4,5", "Du kan sammenligne højst 4 aktører ad gangen – du har valgt 5."),
    ("ids=1&ids=1", "Vælg mindst 2 forskellige aktører at sammenligne – du har valgt 1."),
    ("ids=abc,2", "Ugyldigt aktør-id: abc. Angiv aktørernes id'er som tal adskilt af komma – fx ids=12,15."),
    ("", "Vælg 2–4 aktører at sammenligne – sæt flueben ved aktørerne i søgeresultatet."),
])
async def test_a_wrong_number_of_ids_is_a_400_with_a_danish_message(client, query: str, message: str) -> None:
    response = await client.get(f"/compare?{query}")
    assert response.status_code == 400
    assert message in text_of_page(response)
    assert 'class="alert alert-error"' in response.text and '<a href="#ids">' in response.text


async def test_one_provider_is_not_enough(client, two_providers) -> None:
    aarhus, _ = two_providers
    response = await client.get(f"/compare?ids={aarhus['id']}")
    assert response.status_code == 400 and "du har valgt 1" in text_of_page(response)


async def test_five_providers_are_too_many(client, two_providers) -> None:
    more = [await make_provider() for _ in range(3)]
    ids = ",".join(str(p["id"]) for p in [*two_providers, *more])
    response = await client.get(f"/compare?ids={ids}")
    assert response.status_code == 400 and "du har valgt 5" in text_of_page(response)


async def test_unknown_and_suspended_providers_are_named(client, two_providers) -> None:
    aarhus, odense = two_providers
    await set_status(odense["id"], "suspended")
    response = await client.get(f"/compare?ids={aarhus['id']},{odense['id']},999999")
    assert response.status_code == 400
    assert (f"Ukendt aktør: {odense['id']}, 999999. Aktøren findes ikke eller er ikke godkendt lige nu"
            in text_of_page(response))


async def test_a_bad_postcode_is_explained(client, two_providers) -> None:
    ids = ",".join(str(p["id"]) for p in two_providers)
    response = await client.get(f"/compare?ids={ids}&postcode=9999")
    assert response.status_code == 400
    assert '<a href="#postcode">Ukendt postnummer: 9999.' in response.text


# -- the content -------------------------------------------------------------------------------------
async def test_one_column_each_with_the_same_rows_for_the_citizens_situation(client, two_providers) -> None:
    aarhus, odense = two_providers

    response = await client.get(
        f"/compare?ids={aarhus['id']}&ids={odense['id']}&postcode=8000&target_group=dagpenge&age_band=30-39")

    assert response.status_code == 200
    rows = rows_of(response)
    header = next(iter(rows.values()))
    assert header[0].startswith("Aarhus Job") and header[1].startswith("Fyns Job")
    assert rows["Dækker 8000 Aarhus C"] == ["Ja", "Nej Også online"]
    distance = rows["Afstand fra 8000 Aarhus C"]
    assert distance[0] == "0,0 km væk Kontor i Aarhus C"
    aarhus_c, odense_c = postcode("8000"), postcode("5000")
    km = round(haversine_km(aarhus_c.lat, aarhus_c.lon, odense_c.lat, odense_c.lon), 1)
    assert distance[1] == f"{km:.1f} km væk Kontor i Odense C".replace(".", ",")  # as the crow flies
    assert rows["Erfaring med"] == ["Dagpengemodtagere Sygedagpenge", "Dagpengemodtagere"]
    assert rows["Indsatser og priser"][0] == "Jobsamtaler og rådgivning: 5.000 kr., 8 uger Mentorstøtte: 9.000 kr., 12 uger"
    success = rows["I job 3 mdr. efter – Dagpengemodtagere"]
    assert success[0] == "50 % (95 %-interval 35 %–65 %) 40 forløb"
    assert success[1] == "40 % (95 %-interval 25 %–57 %) 30 forløb"
    score = rows["Resultat i forhold til forventet – Dagpengemodtagere"]
    assert score[0].startswith("1,10 (95 %-interval 0,90–1,30)") and "Som forventet" in score[0]
    people = rows["Borgere som dig Dagpengemodtagere, 30-39 år"]
    assert people[0] == "60 % (95 %-interval 41 %–77 %) Tallet gælder borgere i målgruppen Dagpengemodtagere på 30-39 år."
    assert people[1].startswith("40 % (95 %-interval 25 %–57 %) Der er færre end 20 forløb med borgere på 30-39 år")
    assert rows["Borgernes vurdering Følte du dig hjulpet?"] == ["Ingen vurderinger endnu", "4,5 af 5 (2 svar)"]
    capacity = rows["Kapacitet og ventetid"]
    assert capacity[0] == "Ledige pladser Første kontakt inden 3 arbejdsdage"
    assert capacity[1].startswith("Venteliste (4 uger)")
    assert rows["Sprog"] == ["Dansk, Engelsk", "Dansk, Arabisk"]
    assert f'href="/providers/{aarhus["slug"]}/choose"' in response.text


async def test_without_a_target_group_the_overall_numbers_are_shown(client, two_providers) -> None:
    ids = ",".join(str(p["id"]) for p in two_providers)
    rows = rows_of(await client.get(f"/compare?ids={ids}"))
    assert rows["I job 3 mdr. efter – Alle målgrupper"][0].startswith("45 %")
    assert rows["Geografisk dækning"] == ["1 kommuner", "1 kommuner Også online"]
    assert not any(k.startswith("Borgere som dig") for k in rows)


async def test_the_logged_in_citizens_profile_fills_in_the_situation(client, two_providers) -> None:
    aarhus, odense = two_providers
    await citizen(client, municipality=461, target_group="dagpenge", age_band="30-39")

    response = await client.get(f"/compare?ids={odense['id']},{aarhus['id']}")

    rows = rows_of(response)
    assert "Udfyldt ud fra din profil." in text_of_page(response)
    assert rows["Dækker Odense"] == ["Ja Også online", "Nej"]
    assert "I job 3 mdr. efter – Dagpengemodtagere" in rows


async def test_a_phone_gets_a_scrolling_table_with_the_row_names_kept(client, two_providers) -> None:
    ids = ",".join(str(p["id"]) for p in two_providers)
    response = await client.get(f"/compare?ids={ids}")
    assert '<div class="table--responsive-scroll compare-scroll" tabindex="0" role="region"' in response.text
    assert '<th scope="row">' in response.text and '<th scope="col">' in response.text


# -- from the search results -------------------------------------------------------------------------
async def test_each_search_result_can_be_ticked_for_comparison(client, engine, two_providers) -> None:
    from factories import index_all

    await index_all(engine)
    response = await client.get("/?q=&ids=" + str(two_providers[0]["id"]))

    for p in two_providers:
        assert f'type="checkbox" id="cmp-{p["id"]}" name="ids" value="{p["id"]}"' in response.text
    assert f'value="{two_providers[0]["id"]}" checked' in response.text  # ticked ones stay ticked
    assert 'formaction="/compare"' in response.text and "Sammenlign valgte" in response.text
