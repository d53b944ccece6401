"""Search → compare → choose with the keyboard alone (Tab, Enter, Space; a visible focus on every
stop; the skip link first), the same journey with JavaScript off, and the weight of a cold first
visit to the search page measured in the browser (bytes transferred per response)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from factories import make_provider
from playwright.async_api import Browser, Locator, Page, expect

from marketplace.accounts.tables import User
from tests.accounts.support import PASSWORD, make_user
from tests.browser.delivery import Delivery

pytestmark = pytest.mark.browser

KB = 1024
SEARCH = "/?postcode=8000&target_group=dagpenge"


async def two_providers_and_a_citizen(deliver: Delivery) -> User:
    for name, years in (("Jobvejen Aarhus", 6), ("Mentorhuset Aarhus", 2)):
        await make_provider(name=name, municipalities=[751], postcode="8000",
                            target_groups=[{"slug": "dagpenge", "years": years}])
    citizen = await make_user("citizen", name="Camilla Borger")
    await User.update({User.municipality_code: 751, User.target_group: "dagpenge", User.age_band: "30-39"}).where(
        User.id == citizen.id)
    await deliver.expect_documents(2)
    return citizen


async def focus_ring(page: Page) -> dict[str, Any]:
    """What marks the focused element: its outline and box-shadow as computed."""
    return await page.evaluate("""() => {
        const el = document.activeElement, s = getComputedStyle(el);
        return {tag: el.tagName, text: (el.innerText || el.value || el.name || "").slice(0, 60),
                outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1,
                shadow: s.boxShadow !== "none"};
    }""")


async def tab_to(page: Page, target: Locator, *, limit: int = 150) -> int:
    """Press Tab until `target` has the focus (at most `limit` times); every element passed on the
    way must show a visible focus. Returns the number of presses."""
    await expect(target).to_have_count(1)
    for presses in range(1, limit + 1):
        await page.keyboard.press("Tab")
        ring = await focus_ring(page)
        assert ring["outline"] or ring["shadow"], f"no visible focus on {ring}"
        if await target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"{target} not reached with {limit} presses of Tab")


async def test_search_compare_choose_with_the_keyboard_alone(portal: str, page: Page, deliver: Delivery) -> None:
    citizen = await two_providers_and_a_citizen(deliver)
    await page.goto(portal + "/")

    # the skip link is the first stop, visible when focused, and takes the focus to the content
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Gå til indhold")
    await expect(skip).to_be_focused()
    # DKFDS slides the link in when it gets the focus: wait for it to be wholly on screen
    await expect(skip).to_be_in_viewport(ratio=1)
    box = await skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 10, box
    assert (await focus_ring(page))["outline"]
    await page.keyboard.press("Enter")
    await expect(page.locator("#main-content")).to_be_focused()

    # search: postcode typed, target group picked with the arrow keys, Enter submits
    await tab_to(page, page.get_by_label("Postnummer"))
    await page.keyboard.type("8000")
    await tab_to(page, page.get_by_label("Din situation (målgruppe)"))
    while await page.get_by_label("Din situation (målgruppe)").input_value() != "dagpenge":
        await page.keyboard.press("ArrowDown")
    await tab_to(page, page.get_by_role("button", name="Søg", exact=True))
    await page.keyboard.press("Enter")
    await expect(page.locator("#results-title")).to_have_text("2 aktører fundet")

    # tick two providers for comparison with Space, compare with Enter
    for name in ("Jobvejen Aarhus", "Mentorhuset Aarhus"):
        box_ = page.get_by_role("checkbox", name=f"Sammenlign {name}")
        await tab_to(page, box_)
        await page.keyboard.press("Space")
        await expect(box_).to_be_checked()
    await tab_to(page, page.get_by_role("button", name="Sammenlign valgte"))
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/compare\?"))
    await expect(page.locator(".compare-table thead th a")).to_have_count(2)

    # choose: the link, the login form, the confirmation
    await tab_to(page, page.get_by_role("link", name="Vælg denne aktør Jobvejen Aarhus"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Log ind")
    await tab_to(page, page.get_by_label("E-mail"))
    await page.keyboard.type(citizen.email)
    await tab_to(page, page.get_by_label("Adgangskode"))
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vælg Jobvejen Aarhus")
    await tab_to(page, page.get_by_role("button", name="Bekræft valg af Jobvejen Aarhus"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("Du har valgt Jobvejen Aarhus")).to_be_visible()


async def test_search_compare_choose_with_javascript_off(portal: str, browser: Browser, deliver: Delivery) -> None:
    citizen = await two_providers_and_a_citizen(deliver)
    context = await browser.new_context(locale="da-DK", java_script_enabled=False)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(portal + "/")
    assert await page.evaluate("1 + 1") == 2  # Playwright's own evaluation still works ...
    assert await page.locator("html.no-js").count() == 1  # ... but the page's scripts did not run
    await page.get_by_label("Postnummer").fill("8000")
    await page.get_by_label("Din situation (målgruppe)").select_option(label="Dagpengemodtagere")
    await page.get_by_role("button", name="Søg", exact=True).click()
    await expect(page.locator("#results-title")).to_have_text("2 aktører fundet")
    await page.get_by_role("checkbox", name="Sammenlign Jobvejen Aarhus").check()
    await page.get_by_role("checkbox", name="Sammenlign Mentorhuset Aarhus").check()
    await page.get_by_role("button", name="Sammenlign valgte").click()
    await expect(page.locator(".compare-table thead th a")).to_have_count(2)
    await page.get_by_role("link", name="Vælg denne aktør Mentorhuset Aarhus").click()
    await page.get_by_label("E-mail").fill(citizen.email)
    await page.get_by_label("Adgangskode").fill(PASSWORD)
    await page.get_by_role("button", name="Log ind").click()
    await page.get_by_role("button", name="Bekræft valg af Mentorhuset Aarhus").click()
    await expect(page.get_by_text("Du har valgt Mentorhuset Aarhus")).to_be_visible()
    await context.close()


async def test_a_cold_first_visit_to_the_search_page_is_light(portal: str, browser: Browser,
                                                               deliver: Delivery) -> None:
    """A full page of results (20 of 24 providers); every response's transferred bytes as the
    browser counts them (headers and the body as sent, compressed)."""
    for n in range(24):
        await make_provider(name=f"Aktør {n:02d} med et ret langt navn ApS", municipalities=[751], postcode="8000",
                            target_groups=[{"slug": "dagpenge", "years": 1 + n % 9}], reviews=[4] if n % 3 else None,
                            results={"courses": 40, "success_rate": 0.5, "score": 1.1, "stars": 1 + n % 5})
    await deliver.expect_documents(24)
    context = await browser.new_context(locale="da-DK")  # a fresh profile: nothing cached
    page = await context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    await page.goto(portal + SEARCH, wait_until="networkidle")
    await expect(page.locator(".result-card")).to_have_count(20)
    await page.evaluate("document.fonts.ready.then(() => true)")
    assert await page.locator(".result-card .stars").count() >= 10  # ★, a character outside Latin-1

    sizes: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for response in responses:
        measured = await response.request.sizes()
        sizes[response.url] = measured["responseBodySize"] + measured["responseHeadersSize"]
        kinds[response.url] = response.request.resource_type
        if kinds[response.url] in ("document", "script", "stylesheet") and measured["responseBodySize"] > KB:
            assert response.headers.get("content-encoding") == "gzip", response.url  # text goes compressed
    await context.close()

    report = "\n".join(f"{kinds[u]:10} {s / KB:7.1f} KB  {u}" for u, s in sizes.items())
    html = sum(s for u, s in sizes.items() if kinds[u] == "document")
    js = sum(s for u, s in sizes.items() if kinds[u] == "script")
    fonts = [u for u in sizes if kinds[u] == "font"]
    total = sum(sizes.values())
    assert fonts, "no font was fetched: the measurement must include them\n" + report
    assert all("/app/fonts/" in u and u.endswith("-Latin1.woff2") for u in fonts), \
        "a complete font was fetched (a character outside our Latin-1 subsets, such as ★?)\n" + report
    assert html <= 60 * KB, report
    assert js <= 25 * KB, report
    assert total <= 300 * KB, report
    print(f"\nfirst visit to {SEARCH}: HTML {html / KB:.1f} KB, JS {js / KB:.1f} KB, "
          f"{len(fonts)} fonts, total {total / KB:.1f} KB\n{report}")
