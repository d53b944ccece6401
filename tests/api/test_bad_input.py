"""Bad input on every search parameter: the API answers 400 naming the parameter, the search page
answers 400 in Danish and keeps what the visitor typed."""
from __future__ import annotations

import html

import pytest
from factories import Meili, app_client, form_values, new_engine

LONG_QUERY = "mentor " * 30  # 210 characters

# (query parameters, the parameter named in the answer, Danish words the page shows)
BAD_INPUT = [
    pytest.param({"municipality": "999"}, "municipality", "Ukendt kommune", id="unknown-municipality-code"),
    pytest.param({"municipality": "Atlantis"}, "municipality", "Ukendt kommune", id="unknown-municipality-name"),
    pytest.param({"postcode": "9999"}, "postcode", "Ukendt postnummer", id="unknown-postcode"),
    pytest.param({"postcode": "abc"}, "postcode", "Ukendt postnummer", id="postcode-not-digits"),
    pytest.param({"postcode": "80000"}, "postcode", "Ukendt postnummer", id="postcode-five-digits"),
    pytest.param({"target_group": "pensionist"}, "target_group", "Ukendt målgruppe", id="unknown-target-group"),
    pytest.param({"service": "massage"}, "service", "Ukendt indsats", id="unknown-service"),
    pytest.param({"language": "klingon"}, "language", "Ukendt sprog", id="unknown-language"),
    pytest.param({"type": "bank"}, "type", "Ukendt aktørtype", id="unknown-type"),
    pytest.param({"region": "42"}, "region", "Ukendt region", id="unknown-region"),
    pytest.param({"capacity": "maybe"}, "capacity", "Ukendt kapacitet", id="unknown-capacity"),
    pytest.param({"sort": "random"}, "sort", "Ukendt sortering", id="unknown-sort"),
    pytest.param({"page": "0"}, "page", "Side skal være et helt tal", id="page-0"),
    pytest.param({"page": "-1"}, "page", "Side skal være et helt tal", id="page-negative"),
    pytest.param({"page": "x"}, "page", "Side skal være et helt tal", id="page-not-a-number"),
    pytest.param({"page": "101"}, "page", "Side skal være et helt tal", id="page-too-high"),
    pytest.param({"postcode": "8000", "radius_km": "-5"}, "radius_km", "Afstand skal være", id="radius-negative"),
    pytest.param({"postcode": "8000", "radius_km": "0"}, "radius_km", "Afstand skal være", id="radius-0"),
    pytest.param({"postcode": "8000", "radius_km": "1000"}, "radius_km", "Afstand skal være", id="radius-too-far"),
    pytest.param({"postcode": "8000", "radius_km": "x"}, "radius_km", "Afstand skal være", id="radius-not-a-number"),
    pytest.param({"radius_km": "10"}, "radius_km", "Afstand kræver et postnummer", id="radius-without-place"),
    pytest.param({"sort": "distance"}, "sort", "Sortering efter afstand kræver", id="distance-without-place"),
    pytest.param({"q": LONG_QUERY}, "q", "Søgeteksten må højst være 200 tegn", id="query-too-long"),
    pytest.param({"stars": "9"}, "stars", "Stjerner skal være et helt tal", id="stars-too-many"),
    pytest.param({"stars": "x"}, "stars", "Stjerner skal være et helt tal", id="stars-not-a-number"),
    pytest.param({"per_page": "500"}, "per_page", "per_page skal være", id="per-page-too-high"),
    pytest.param({"remote": "perhaps"}, "remote", "remote skal være", id="remote-not-a-boolean"),
    pytest.param({"target_group": ["dagpenge", "fleksjob"]}, "target_group", "Vælg højst én målgruppe",
                 id="two-target-groups"),
]


@pytest.fixture(scope="module")
async def client(meili: Meili):
    """One app for the whole module: bad input never reaches the index, and one app compiles its
    templates once."""
    engine = new_engine(meili)
    try:
        async with app_client(engine) as http:
            yield http
    finally:
        engine.delete_index(engine.index_uid)


@pytest.mark.parametrize(("params", "field", "danish"), BAD_INPUT)
async def test_the_api_answers_400_naming_the_bad_parameter(client, params, field, danish):
    response = await client.get("/api/providers", params=params)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["field"] == field
    assert danish in body["detail"]  # the portal's own words, also where Litestar's typed parameters refuse
    assert [e["key"] for e in body["errors"]] == [field] and body["errors"][0]["message"] == body["detail"]


async def test_the_api_explains_a_bad_parameter_in_english_when_asked(client):
    response = await client.get("/api/providers", params={"postcode": "9999"}, cookies={"lang": "en"})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unknown postcode: 9999")


@pytest.mark.parametrize(("params", "field", "danish"), BAD_INPUT)
async def test_the_search_page_answers_400_in_danish_and_keeps_what_was_typed(client, params, field, danish):
    typed = {"q": "mentor", **params}

    response = await client.get("/", params=typed)

    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "Der er et problem" in page
    assert danish in page
    if field in ("page", "per_page"):  # not in the form: the summary says it, with no link to nowhere
        assert f'href="#{field}"' not in response.text and f'id="{field}"' not in response.text
    else:  # the error summary links to the field
        assert f'href="#{field}"' in response.text and f'id="{field}"' in response.text
    form = form_values(response.text)
    assert form["q"] == [typed["q"]]  # the search text is kept, even when it is the problem
    if "postcode" in params:
        assert form["postcode"] == [params["postcode"]]


async def test_the_search_page_keeps_the_valid_choices_beside_a_bad_one(client):
    response = await client.get("/", params=[("q", "mentor"), ("postcode", "8000"), ("language", "en"),
                                             ("target_group", "fleksjob"), ("sort", "random")])

    assert response.status_code == 400
    form = form_values(response.text)
    assert form["q"] == ["mentor"]
    assert form["postcode"] == ["8000"]
    assert form["language"] == ["en"]
    assert form["target_group"] == ["fleksjob"]


async def test_the_api_lists_typed_and_checked_parameters_together_in_english_when_asked(client):
    response = await client.get("/api/providers", params=[("page", "0"), ("stars", "x"), ("sort", "random")],
                                cookies={"lang": "en"})

    assert response.status_code == 400
    body = response.json()
    assert [e["key"] for e in body["errors"]] == ["stars", "sort", "page"]  # in the portal's order
    assert body["errors"][0]["message"] == "Stars must be a whole number from 1 to 5."
    assert body["detail"] == body["errors"][0]["message"] and body["field"] == "stars"


SEVERAL_BAD = [("postcode", "9999"), ("radius_km", "10"), ("service", "massage"), ("sort", "random"),
               ("target_group", "pensionist")]


async def test_the_api_names_every_bad_parameter_not_just_the_first(client):
    response = await client.get("/api/providers", params=[("q", "mentor"), *SEVERAL_BAD])

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "postcode"  # the first, as before
    # a distance with an unknown postcode: the postcode is the problem, not a missing place
    assert [e["key"] for e in body["errors"]] == ["postcode", "target_group", "sort", "service"]
    assert all(e["source"] == "query" and e["message"].strip() for e in body["errors"])
    assert body["errors"][0]["message"] == body["detail"]


async def test_one_bad_parameter_is_also_listed_in_errors(client):
    body = (await client.get("/api/providers", params={"postcode": "9999"}, cookies={"lang": "en"})).json()

    assert body["field"] == "postcode"
    assert body["errors"] == [{"message": "Unknown postcode: 9999. Enter a Danish 4-digit postcode, e.g. 8000.",
                               "key": "postcode", "source": "query"}]


async def test_the_search_page_shows_every_bad_parameter_in_the_summary_and_at_its_field(client):
    response = await client.get("/", params=[("q", "mentor"), *SEVERAL_BAD, ("page", "0"), ("fresh", "perhaps")])

    assert response.status_code == 400
    page = html.unescape(response.text)
    for field, words in [("postcode", "Ukendt postnummer: 9999"), ("sort", "Ukendt sortering: random"),
                         ("page", "Side skal være et helt tal"), ("fresh", "fresh skal være true eller false"),
                         ("service", "Ukendt indsats: massage"), ("target_group", "Ukendt målgruppe: pensionist")]:
        if field == "page":  # no field for it: said once, in the summary, not as a link
            assert page.count(words) == 1 and 'href="#page"' not in response.text
        else:
            assert f'href="#{field}"' in response.text, field  # the error summary links to it
            assert page.count(words) >= 2, field  # in the summary and beside the field
    assert "Afstand kræver et postnummer" not in page
    assert form_values(response.text)["postcode"] == ["9999"]
