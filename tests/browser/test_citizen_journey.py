"""The whole citizen journey in headless Chromium against the real server: search → compare →
choose → the provider accepts → the citizen tells how it went → the authority publishes → the
experience is on the provider's page and the average has reached the search index."""
from __future__ import annotations

import re

import pytest
from factories import make_provider
from playwright.async_api import Browser, Page, expect

from tests.accounts.support import PASSWORD, make_user
from tests.browser.delivery import Delivery

pytestmark = pytest.mark.browser


# -- page objects ------------------------------------------------------------------------------------
class LoginPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def log_in(self, email: str) -> None:
        await expect(self.page.get_by_role("heading", level=1)).to_have_text("Log ind")
        await self.page.get_by_label("E-mail").fill(email)
        await self.page.get_by_label("Adgangskode").fill(PASSWORD)
        await self.page.get_by_role("button", name="Log ind").click()


class SearchResults:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    async def search(self, postcode: str, target_group: str) -> None:
        await self.page.goto(self.base_url + "/")
        await self.page.get_by_label("Postnummer").fill(postcode)
        await self.page.get_by_label("Din situation (målgruppe)").select_option(label=target_group)
        await self.page.get_by_role("button", name="Søg", exact=True).click()

    async def tick_for_comparison(self, name: str) -> None:
        await self.page.get_by_role("checkbox", name=f"Sammenlign {name}").check()

    async def compare(self) -> None:
        await self.page.get_by_role("button", name="Sammenlign valgte").click()


class ComparePage:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def provider_names(self) -> list[str]:
        return [n.strip() for n in await self.page.locator(".compare-table thead th a").all_inner_texts()]

    async def choose(self, name: str) -> None:
        await self.page.get_by_role("link", name=f"Vælg denne aktør {name}").click()


class ConfirmPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def confirm(self, provider: str) -> str:
        """Confirm with what the profile filled in; return the receipt number."""
        await expect(self.page.get_by_role("heading", level=1)).to_have_text(f"Vælg {provider}")
        await expect(self.page.get_by_text("Din pligt til at søge og tage arbejde er den samme")).to_be_visible()
        await self.page.get_by_role("button", name=f"Bekræft valg af {provider}").click()
        await expect(self.page.get_by_text(f"Du har valgt {provider}")).to_be_visible()
        text = await self.page.locator(".receipt__reference strong").inner_text()
        assert re.fullmatch(r"V-\d{4}-[A-Z0-9]{6}", text), text
        return text


# -- the journey -------------------------------------------------------------------------------------
async def _expect_reviews(deliver: Delivery, provider_id: int, *, count: int, avg: float | None = None) -> None:
    """The index, brought up to date, holds the provider with this review count (and average)."""
    doc = await deliver.document(provider_id)
    assert doc.get("review_count") == count, doc
    assert avg is None or doc.get("review_avg") == avg, doc


async def test_search_compare_choose_accept_review_publish(portal: str, page: Page, browser: Browser,
                                                          deliver: Delivery) -> None:
    chosen = await make_provider(name="Jobvejen Aarhus", municipalities=[751],
                                 target_groups=[{"slug": "dagpenge", "years": 6}], first_contact_days=3)
    other = await make_provider(name="Mentorhuset Aarhus", municipalities=[751], capacity="waitlist", waiting_weeks=2,
                                target_groups=[{"slug": "dagpenge", "years": 2}], reviews=[3])
    citizen = await make_user("citizen", name="Camilla Borger")
    from marketplace.accounts.tables import User

    await User.update({User.municipality_code: 751, User.target_group: "dagpenge", User.age_band: "30-39"}).where(
        User.id == citizen.id)
    member = await make_user("provider", provider_id=chosen["id"], name="Pia Aktør")
    authority = await make_user("authority", name="Mona Myndighed")
    await _expect_reviews(deliver, chosen["id"], count=0)
    await _expect_reviews(deliver, other["id"], count=1)

    # search → compare
    search = SearchResults(page, portal)
    await search.search("8000", "Dagpengemodtagere")
    await search.tick_for_comparison("Jobvejen Aarhus")
    await search.tick_for_comparison("Mentorhuset Aarhus")
    await search.compare()
    assert "/compare?" in page.url and "postcode=8000" in page.url
    compare = ComparePage(page)
    assert sorted(await compare.provider_names()) == ["Jobvejen Aarhus", "Mentorhuset Aarhus"]
    await expect(page.get_by_role("row", name=re.compile("Dækker 8000 Aarhus C"))).to_contain_text("Ja")

    # choose (logging in on the way), receipt
    await compare.choose("Jobvejen Aarhus")
    await LoginPage(page).log_in(citizen.email)
    reference = await ConfirmPage(page).confirm("Jobvejen Aarhus")
    await expect(page.get_by_text("Valgt – venter på aktøren")).to_be_visible()

    # the provider accepts and starts the course
    provider_context = await browser.new_context(locale="da-DK")
    provider_page = await provider_context.new_page()
    await provider_page.goto(portal + "/provider/enrolments")
    await LoginPage(provider_page).log_in(member.email)
    await expect(provider_page.get_by_role("heading", level=1)).to_have_text("Borgernes valg af jer")
    await expect(provider_page.locator("#incoming + div")).to_contain_text("Camilla Borger")
    await provider_page.get_by_role("button", name=f"Accepter {reference}").click()
    await expect(provider_page.get_by_text(f"Valget {reference} er accepteret.")).to_be_visible()
    await provider_page.get_by_role("button", name=f"Marker som startet {reference}").click()
    await expect(provider_page.get_by_text(f"Forløbet {reference} er markeret som startet.")).to_be_visible()
    await provider_context.close()

    # the citizen sees the status and tells how it went
    await page.goto(f"{portal}/me/enrolments/{reference}")
    await expect(page.locator(".receipt")).to_contain_text("I gang")
    await page.get_by_role("link", name="Fortæl hvordan det gik").click()
    await page.get_by_label("5 – Ja, meget").check()
    await page.get_by_label("Fortæl gerne mere (frivilligt)").fill("Min mentor hjalp mig med at finde et job.")
    await page.get_by_role("button", name="Send dit svar").click()
    await expect(page.get_by_text("Tak! Dit svar er gemt.")).to_be_visible()
    await expect(page.get_by_text("Din tekst venter på at blive læst af myndigheden.")).to_be_visible()

    # the authority publishes the text
    authority_context = await browser.new_context(locale="da-DK")
    authority_page = await authority_context.new_page()
    await authority_page.goto(portal + "/authority/reviews")
    await LoginPage(authority_page).log_in(authority.email)
    await expect(authority_page.locator(".moderation-list")).to_contain_text("Min mentor hjalp mig med at finde et job.")
    await authority_page.get_by_role("button", name="Offentliggør (Jobvejen Aarhus)").click()
    await expect(authority_page.get_by_text("Teksten er offentliggjort")).to_be_visible()
    await authority_context.close()

    # visible on the provider's page, and the average reached the search index
    await page.goto(f"{portal}/providers/{chosen['slug']}")
    await expect(page.locator(".review-list")).to_contain_text("Min mentor hjalp mig med at finde et job.")
    await _expect_reviews(deliver, chosen["id"], count=1, avg=5.0)
    await search.search("8000", "Dagpengemodtagere")
    card = page.locator(".result-card", has_text="Jobvejen Aarhus")
    await expect(card).to_contain_text("5,0 af 5 (1 svar)")
