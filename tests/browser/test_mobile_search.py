"""The search page on a phone: the filters come before the results, and a link leads past them."""
from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.delivery import Delivery
from tests.browser.test_keyboard_and_weight import SEARCH, two_providers_and_a_citizen

pytestmark = pytest.mark.browser


async def test_on_a_phone_a_link_skips_the_filters_to_the_results(portal: str, browser: Browser,
                                                                   deliver: Delivery) -> None:
    await two_providers_and_a_citizen(deliver)
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    try:
        page = await context.new_page()
        await page.goto(portal + SEARCH)
        heading = page.locator("#results-title")
        await expect(heading).not_to_be_in_viewport()  # below the search form and the filters

        jump = page.get_by_role("link", name="Spring filtrene over og se de 2 resultater")
        await jump.focus()
        await page.keyboard.press("Enter")
        await expect(heading).to_be_in_viewport()
        await expect(heading).to_be_focused()
        await expect(heading).to_have_text("2 aktører fundet")
    finally:
        await context.close()


async def test_where_filters_and_results_sit_side_by_side_the_link_is_not_shown(portal: str, browser: Browser,
                                                                               deliver: Delivery) -> None:
    await two_providers_and_a_citizen(deliver)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(portal + SEARCH)
        await expect(page.locator("#results-title")).to_have_text("2 aktører fundet")
        await expect(page.locator(".search-jump a")).to_be_hidden()
    finally:
        await context.close()


async def test_without_results_there_is_nothing_to_skip_to(portal: str, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    try:
        page = await context.new_page()
        await page.goto(portal + "/?q=ingenaktoerhedderdetteord")
        await expect(page.get_by_text("Ingen aktører")).to_have_count(1)
        await expect(page.locator(".search-jump")).to_have_count(0)
    finally:
        await context.close()
