"""A citizen types a postcode, picks a target group, sees results and opens a provider's page."""
from __future__ import annotations

import pytest
from factories import make_provider
from playwright.async_api import expect

from search.client import SearchEngine
from tests.browser.delivery import Delivery
from tests.browser.pages import SearchPage

pytestmark = pytest.mark.browser


@pytest.fixture
async def providers(engine: SearchEngine) -> list[dict]:
    """Two providers covering Aarhus (one for dagpenge, one for sygedagpenge) and one in Odense."""
    made = [
        await make_provider(name="Jobvejen Aarhus", municipalities=[751],
                            target_groups=[{"slug": "dagpenge", "years": 8}]),
        await make_provider(name="Sygemeldt Retur", municipalities=[751],
                            target_groups=[{"slug": "sygedagpenge", "years": 4}]),
        await make_provider(name="Fynsk Jobhjælp", municipalities=[461], postcode="5000"),
    ]
    return made


async def test_citizen_finds_a_provider_by_postcode_and_target_group_and_opens_its_page(
    providers: list[dict], portal: str, page, deliver: Delivery
) -> None:
    await deliver.expect_documents(3)
    search = await SearchPage(page, portal).open()
    await search.search(postcode="8000", target_group="Dagpengemodtagere")

    assert await search.result_names() == ["Jobvejen Aarhus"]
    assert await search.results_heading() == "1 aktør fundet"
    await expect(page.get_by_text("Aktører der dækker 8000 Aarhus C")).to_be_visible()
    assert "postcode=8000" in page.url and "target_group=dagpenge" in page.url

    provider = await search.open_provider("Jobvejen Aarhus")
    assert await provider.heading() == "Jobvejen Aarhus"
    await expect(page.get_by_role("heading", name="Indsatser, pris og varighed")).to_be_visible()
    await expect(page.locator(".provider-aside")).to_contain_text("Aarhus")


async def test_an_unknown_postcode_is_explained_in_danish_and_the_typed_value_is_kept(
    providers: list[dict], portal: str, page
) -> None:
    search = await SearchPage(page, portal).open()
    await search.search(postcode="9999")
    await expect(page.get_by_role("alert")).to_contain_text("Ukendt postnummer: 9999")
    await expect(page.get_by_label("Postnummer")).to_have_value("9999")
    await page.get_by_role("link", name="Ukendt postnummer: 9999. Indtast et dansk postnummer med 4 cifre – fx 8000.").click()
    await expect(page.get_by_label("Postnummer")).to_be_focused()
