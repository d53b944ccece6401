"""The whole approval flow in a real browser against the real server (uvicorn, its own outbox
worker): an organisation registers, fills in its listing and submits it; a caseworker (created with
`create_user`) approves it on the checklist and citizens find it in search; a change is rejected
with a reason the provider sees; a suspension takes the provider out of search and its page says so.
Three browser contexts: the provider, the caseworker and a citizen."""
from __future__ import annotations

import pytest
from factories import next_cvr
from playwright.async_api import Page, expect

from tests.accounts.support import PASSWORD, make_user
from tests.browser.pages import SearchPage
from tests.browser.delivery import Delivery

pytestmark = pytest.mark.browser

NAME = "Nyt Spor ApS"


class LoginPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    async def log_in(self, email: str, password: str = PASSWORD) -> None:
        await self.page.goto(self.base_url + "/login")
        await self.page.get_by_label("E-mail").fill(email)
        await self.page.get_by_label("Adgangskode").fill(password)
        await self.page.get_by_role("button", name="Log ind").click()


class ProviderArea:
    """Registration and the provider's own area (/registrer, /provider, /provider/listing)."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    async def register(self, *, cvr: str, name: str, email: str) -> None:
        page = self.page
        await page.goto(self.base_url + "/registrer")
        await page.locator("#cvr").fill(cvr)
        await page.locator("#name").fill(name)
        await page.locator("#type").select_option("privat")
        await page.locator("#contact-email").fill("kontakt@nytspor.example")
        await page.locator("#contact-phone").fill("+45 70 20 30 40")
        await page.locator("#member-name").fill("Pia Aktør")
        await page.locator("#member-email").fill(email)
        await page.locator("#password").fill(PASSWORD)
        await page.locator("#password-repeat").fill(PASSWORD)
        await page.get_by_role("button", name="Registrér og log ind").click()
        await expect(page).to_have_url(self.base_url + "/provider?done=registered")

    async def open_editor(self) -> None:
        await self.page.goto(self.base_url + "/provider/listing")

    async def fill_listing(self, *, description: str) -> None:
        page = self.page
        await page.locator("#description").fill(description)
        await page.locator("#method").fill(
            "Vi starter med en grundig samtale om dine ønsker og erfaringer. Derefter lægger vi en plan sammen, "
            "og du møder din faste mentor hver uge i vores cykelværksted.")
        await page.locator("summary", has_text="Region Midtjylland").click()
        await page.locator("#m-751").check()
        await page.locator("#office-address-1").fill("Banegårdspladsen 1")
        await page.locator("#office-postcode-1").fill("8000")
        await page.locator("#tg-dagpenge").check()
        await page.locator("#years-dagpenge").fill("6")
        await page.locator("#s-mentor").check()
        await page.locator("#price-mentor").fill("4500")
        await page.locator("#weeks-mentor").fill("12")
        await page.locator("#lang-da").check()
        if await page.locator("#capacity-open").count():
            await page.locator("#capacity-open").check()
        if await page.locator("#contact-email").count() and not await page.locator("#contact-email").input_value():
            await page.locator("#contact-email").fill("kontakt@nytspor.example")
            await page.locator("#contact-phone").fill("+45 70 20 30 40")

    async def submit(self) -> None:
        await self.page.get_by_role("button", name="Gem og send til godkendelse").click()
        await expect(self.page).to_have_url(self.base_url + "/provider?done=submitted")

    async def overview(self) -> None:
        await self.page.goto(self.base_url + "/provider")


class BackOffice:
    """The authority's pages, in their own words."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def nav(self):
        return self.page.get_by_role("navigation", name="Myndighedens sider")

    async def open_queue(self) -> None:
        await self.nav().get_by_role("link", name="Ansøgninger").click()
        await expect(self.page.get_by_role("heading", level=1)).to_have_text("Ansøgninger til behandling")

    async def review(self, provider_name: str) -> None:
        await self.page.get_by_role("link", name=f"Behandl – {provider_name}").click()
        await expect(self.page.get_by_role("heading", level=1)).to_have_text(f"Ansøgning fra {provider_name}")

    async def confirm_every_standard(self) -> None:
        boxes = self.page.locator("#checklist input[type=checkbox]")
        for i in range(await boxes.count()):
            await boxes.nth(i).check()

    async def approve(self) -> None:
        await self.page.get_by_role("button", name="Godkend").click()

    async def reject(self, reason: str) -> None:
        await self.page.get_by_label("Begrundelse").fill(reason)
        await self.page.get_by_role("button", name="Afvis med begrundelse").click()

    async def open_provider(self, name: str) -> None:
        await self.nav().get_by_role("link", name="Aktører").click()
        await self.page.get_by_label("Navn eller CVR-nummer").fill(name)
        await self.page.get_by_role("button", name="Vis aktører").click()
        await self.page.get_by_role("link", name=name, exact=True).click()
        await expect(self.page.get_by_role("heading", level=1)).to_have_text(name)

    async def suspend(self, reason: str) -> None:
        await self.page.get_by_label("Begrundelse").fill(reason)
        await self.page.get_by_role("button", name="Suspendér").click()

    def status(self):
        return self.page.get_by_role("status")


async def test_register_submit_approve_find_reject_and_suspend(portal: str, browser, page: Page,
                                                              deliver: Delivery) -> None:
    # The organisation registers, fills in its listing and sends it for approval.
    provider = ProviderArea(page, portal)
    await provider.register(cvr=next_cvr(), name=NAME, email="pia@nytspor.example")
    await provider.open_editor()
    await provider.fill_listing(description="Nyt Spor hjælper ledige i Aarhus videre med mentor og cykelværksted.")
    await provider.submit()

    # A caseworker logs in and approves the application on the checklist.
    caseworker = await make_user("authority", email="sagsbehandler@myndighed.example")
    office_context = await browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    office_page = await office_context.new_page()
    await LoginPage(office_page, portal).log_in(caseworker.email)
    await expect(office_page).to_have_url(portal + "/authority")
    office = BackOffice(office_page)
    await office.open_queue()
    await office.review(NAME)
    await expect(office_page.get_by_text("Første ansøgning: aktøren har intet offentligt opslag endnu")).to_be_visible()
    await office.approve()  # nothing ticked yet: refused, and said so at the top
    await expect(office_page.get_by_role("alert")).to_contain_text("Alle standarder skal være opfyldt for at godkende")
    await office.confirm_every_standard()
    await office.approve()
    await expect(office.status()).to_contain_text(f"Ansøgningen fra {NAME} er godkendt")

    # A citizen finds it.
    await deliver.expect_documents(1)
    citizen_context = await browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    citizen = await citizen_context.new_page()
    search = await SearchPage(citizen, portal).open()
    await search.search(postcode="8000")
    assert await search.result_names() == [NAME]

    # The provider changes its listing; the caseworker rejects the change with a reason; the provider sees it.
    await provider.open_editor()
    await page.locator("#description").fill("Nyt Spor lover job til alle ledige i Aarhus inden for en uge.")
    await provider.submit()
    await office.open_queue()
    await office.review(NAME)
    await expect(office_page.locator("#diff-description ins").first).to_contain_text("lover job til alle")
    await office.reject("Løftet om job inden for en uge kan ikke dokumenteres.")
    await expect(office.status()).to_contain_text(f"Ansøgningen fra {NAME} er afvist")
    await provider.overview()
    await expect(page.get_by_text("Løftet om job inden for en uge kan ikke dokumenteres.")).to_be_visible()
    await search.open()
    await search.search(postcode="8000")
    await search.open_provider(NAME)
    await expect(citizen.get_by_text("mentor og cykelværksted").first).to_be_visible()

    # The provider is suspended: gone from search, and its page says so.
    await office.open_provider(NAME)
    await office.suspend("Tilsynet undersøger klager.")
    await expect(office.status()).to_contain_text(f"{NAME} er suspenderet og fjernes fra søgningen")
    await deliver.expect_documents(0)
    await citizen.reload()
    await expect(citizen.get_by_text("Aktøren er suspenderet og kan ikke vælges lige nu.")).to_be_visible()
    await expect(citizen.get_by_text("Suspenderet – Tilsynet undersøger klager.")).to_be_visible()
    await search.open()
    await search.search(postcode="8000")
    assert await search.result_names() == []

    await citizen_context.close()
    await office_context.close()
