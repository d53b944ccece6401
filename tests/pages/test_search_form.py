"""The search form's municipality <select>, rendered once per language and choice and reused
(marketplace.web.fragments): each page still selects what the visitor chose,
and a bad value still gets its error on the field."""
from __future__ import annotations

from factories import form_values


def municipality_options(page: str) -> str:
    """The markup of the municipality <select>'s options."""
    return page.split('name="municipality"', 1)[1].split("</select>", 1)[0]


async def test_the_chosen_municipality_is_selected_on_every_page(client):
    for code in ("751", "101", "751", ""):
        page = (await client.get("/", params={"municipality": code})).text
        assert form_values(page).get("municipality") == [code]
        options = municipality_options(page)
        assert options.count(" selected>") == 1 and f'value="{code}" selected>' in options


async def test_a_municipality_name_selects_nothing_and_a_bad_one_is_named(client):
    by_name = await client.get("/", params={"municipality": "Aarhus"})
    assert by_name.status_code == 200
    assert form_values(by_name.text).get("municipality") == [""]

    bad = await client.get("/", params={"municipality": "Atlantis"})
    assert bad.status_code == 400
    assert 'id="municipality-error"' in bad.text and "Ukendt kommune: Atlantis" in bad.text
    assert 'aria-invalid="true"' in bad.text.split('id="municipality"', 1)[1].split(">", 1)[0]
