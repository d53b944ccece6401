"""Page objects: what a citizen sees and does, in the page's own words."""
from __future__ import annotations

from playwright.async_api import Page, expect


class SearchPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    async def open(self) -> "SearchPage":
        await self.page.goto(self.base_url + "/")
        await expect(self.page.get_by_role("heading", level=1)).to_have_text("Find en godkendt aktør")
        return self

    async def search(self, *, postcode: str = "", target_group: str = "") -> "SearchPage":
        if postcode:
            await self.page.get_by_label("Postnummer").fill(postcode)
        if target_group:
            await self.page.get_by_label("Din situation (målgruppe)").select_option(label=target_group)
        await self.page.get_by_role("button", name="Søg", exact=True).click()
        return self

    async def result_names(self) -> list[str]:
        return await self.page.locator(".result-card__name").all_inner_texts()

    async def results_heading(self) -> str:
        return await self.page.locator("#results-title").inner_text()

    async def open_provider(self, name: str) -> "ProviderPage":
        await self.page.get_by_role("link", name=name).click()
        return ProviderPage(self.page)


class ProviderPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def heading(self) -> str:
        return await self.page.get_by_role("heading", level=1).inner_text()
