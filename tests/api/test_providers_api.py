"""The public JSON API through HTTP: search, one provider, open data, the OpenAPI document, and what
happens when Meilisearch is down."""
from __future__ import annotations

import csv
import io

from factories import index_all, make_provider

from marketplace.providers.controllers import CSV_COLUMNS


async def test_search_returns_hits_with_the_public_fields_total_and_facets(client, engine):
    provider = await make_provider(name="Jobhuset", municipalities=[751, 101], languages=["da", "en"],
                                   target_groups=[{"slug": "dagpenge", "years": 4}, {"slug": "fleksjob", "years": 1}])
    await index_all(engine)

    response = await client.get("/api/providers")

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    hit = body["hits"][0]
    assert hit["id"] == provider["id"]
    assert hit["slug"] == provider["slug"]
    assert hit["name"] == "Jobhuset"
    assert hit["type"] == "privat"
    assert hit["municipalities"] == [101, 751]
    assert hit["target_groups"] == ["dagpenge", "fleksjob"]
    assert hit["services"] == ["jobsamtaler"]
    assert hit["languages"] == ["da", "en"]
    assert body["facets"]["type"] == {"privat": 1}
    assert body["facets"]["languages"] == {"da": 1, "en": 1}


async def test_search_applies_repeated_query_parameters(client, engine):
    await make_provider(name="Engelsk", languages=["en"])
    await make_provider(name="Arabisk", languages=["ar"])
    await make_provider(name="Dansk", languages=["da"])
    await index_all(engine)

    response = await client.get("/api/providers", params=[("language", "en"), ("language", "ar"), ("sort", "name")])

    assert [hit["name"] for hit in response.json()["hits"]] == ["Arabisk", "Engelsk"]


async def test_search_with_a_place_says_which_place_and_which_hits_cover_it(client, engine):
    await make_provider(name="Dækker", municipalities=[751])
    await make_provider(name="Nær", municipalities=[740], postcode="8600")
    await index_all(engine)

    body = (await client.get("/api/providers", params={"postcode": "8000", "radius_km": "50"})).json()

    assert body["place"]["municipality"] == 751
    assert body["covering_total"] == 1
    assert [(hit["name"], hit["covers_place"]) for hit in body["hits"]] == [("Dækker", True), ("Nær", False)]


async def test_one_public_provider_is_read_from_the_database(client):
    provider = await make_provider(name="Mentorhuset")  # not indexed: the detail reads the database

    response = await client.get(f"/api/providers/{provider['id']}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["cvr"]) == (provider["id"], "Mentorhuset", provider["cvr"])
    assert body["service_prices"] == [{"slug": "jobsamtaler", "price_dkk": 5000, "duration_weeks": 8}]


async def test_a_suspended_provider_is_not_found(client):
    provider = await make_provider(status="suspended")

    response = await client.get(f"/api/providers/{provider['id']}")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"]


async def test_a_provider_with_only_a_draft_is_not_found(client):
    provider = await make_provider(approved=False)

    response = await client.get(f"/api/providers/{provider['id']}")

    assert response.status_code == 404
    assert response.json()["detail"]


async def test_an_unknown_provider_id_is_not_found(client):
    response = await client.get("/api/providers/987654")

    assert response.status_code == 404
    assert "987654" in response.json()["detail"]


async def test_open_data_csv_has_a_header_and_one_row_per_public_provider(client):
    first = await make_provider(name="Første")
    second = await make_provider(name="Anden, med komma")
    await make_provider(name="Suspenderet", status="suspended")
    await make_provider(name="Kladde", approved=False)

    response = await client.get("/api/providers.csv")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == CSV_COLUMNS
    assert [(row[0], row[2]) for row in rows[1:]] == [(str(first["id"]), "Første"), (str(second["id"]), "Anden, med komma")]
    assert rows[1][CSV_COLUMNS.index("cvr")] == first["cvr"]


async def test_open_data_csv_of_an_empty_register_is_only_the_header(client):
    response = await client.get("/api/providers.csv")

    assert response.text.splitlines() == [",".join(CSV_COLUMNS)]


async def test_the_openapi_document_lists_the_three_provider_paths(client):
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/providers", "/api/providers/{provider_id}", "/api/providers.csv"} <= set(paths)


async def test_search_answers_503_with_a_detail_when_meilisearch_is_down(down_client):
    response = await down_client.get("/api/providers")

    assert response.status_code == 503
    assert response.json()["detail"] == "Søgningen er midlertidigt utilgængelig. Prøv igen om lidt."


async def test_a_provider_is_still_served_from_the_database_when_meilisearch_is_down(down_client):
    provider = await make_provider()

    response = await down_client.get(f"/api/providers/{provider['id']}")

    assert response.status_code == 200
