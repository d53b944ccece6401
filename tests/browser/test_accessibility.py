"""axe-core in headless Chromium on every page of the portal, for each role: 0 violations at WCAG 2.1
AA (tags wcag2a, wcag2aa, wcag21a, wcag21aa). The pages are the GET pages of marketplace/routes.py with
something on them: search with results, without results and with errors, a provider page, compare,
the choose flow, the citizen's, the provider's and the authority's pages, login, sign-up,
registration, the method page and the error pages; the search page in English too."""
from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from marketplace.outcomes.tables import NationalResult
from tests.browser.delivery import Delivery
from tests.browser.a11y import World, axe_violations, build_world, log_in

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
async def empty_national_results(database: None) -> AsyncIterator[None]:
    """Importing outcomes writes national results, a table the per-test clean-up does not know."""
    yield
    await NationalResult.delete(force=True)


def pages_for(role: str, w: World) -> list[tuple[str, int]]:
    """(path, expected status) of every page `role` can reach, with the objects of the world."""
    a, b = w.a, w.b
    public = [
        ("/", 200),
        ("/?postcode=8000&target_group=dagpenge", 200),
        ("/?q=zzqxw+vvkkj", 200),
        ("/?postcode=12&radius_km=7", 400),
        ("/?postcode=99&sort=random&page=0", 400),  # several errors at once, one of them without a field
        ("/?page=90", 200),  # past the last page
        (f"/providers/{a['slug']}", 200),
        (f"/providers/{a['slug']}?target_group=dagpenge&age_band=30-39", 200),
        (f"/compare?ids={a['id']},{b['id']}&postcode=8000", 200),
        ("/compare", 400),
        ("/metode", 200),
        ("/findes-ikke", 404),
        ("/providers/findes-ikke", 404),
    ]
    if role == "anonymous":
        return [*public, ("/login", 200), ("/signup", 200), ("/registrer", 200),
                (f"/providers/{a['slug']}/choose?target_group=dagpenge", 200)]  # → the login page
    if role == "citizen":
        return [*public, ("/me", 200), ("/me/profile", 200), ("/me/enrolments", 200),
                (f"/me/enrolments/{w.started}", 200), (f"/me/enrolments/{w.started}/review", 200),
                (f"/me/enrolments/{w.started}/switch", 200), (f"/me/enrolments/{w.chosen}", 200),
                (f"/me/enrolments/{w.chosen}/cancel", 200), ("/account/password", 200),
                (f"/providers/{b['slug']}/choose?target_group=fleksjob&service=mentor", 200),
                (f"/providers/{b['slug']}/review", 409), ("/authority", 403), ("/logout", 200)]
    if role == "provider":
        return [("/", 200), (f"/providers/{a['slug']}", 200), ("/provider", 200), ("/provider/listing", 200),
                ("/provider/capacity", 200), ("/provider/enrolments", 200),
                (f"/provider/enrolments/{w.chosen}/decline", 200), ("/provider/reviews", 200), ("/me", 403)]
    assert role == "authority"
    return [("/", 200), ("/authority", 200), ("/authority/queue", 200), (f"/authority/revisions/{w.revision}", 200),
            ("/authority/providers", 200), (f"/authority/providers/{a['id']}", 200), ("/authority/reviews", 200),
            ("/authority/audit", 200), ("/authority/outcomes", 200), ("/authority/results", 200),
            (f"/providers/{a['slug']}", 200), ("/provider", 403)]


@pytest.mark.parametrize("role", ["anonymous", "citizen", "provider", "authority"])
async def test_every_page_has_no_wcag_21_aa_violations(role: str, portal: str, browser: Browser,
                                                      deliver: Delivery, tmp_path: Path) -> None:
    world = await build_world(deliver, tmp_path)
    context = await browser.new_context(locale="da-DK", bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(15_000)
    if role != "anonymous":
        await log_in(page, portal, world.users[role].email)
    found: dict[str, list] = {}
    for path, status in pages_for(role, world):
        response = await page.goto(portal + path)
        assert response is not None and response.status == status, (path, response and response.status)
        if violations := await axe_violations(page):
            found[path] = violations
    if role == "authority":  # an outcome import's summary, and the report on a rejected file
        for name, csv in (("summary", world.outcomes_csv), ("rejected", world.bad_outcomes_csv)):
            await page.goto(portal + "/authority/outcomes")
            await page.locator("#file").set_input_files(csv)
            async with page.expect_navigation():
                await page.get_by_role("button", name="Kontrollér og indlæs").click()
            await expect(page.locator("h1")).to_be_visible()
            if violations := await axe_violations(page):
                found[f"POST /authority/outcomes ({name})"] = violations
    if role == "anonymous":  # a phone's width: tables scroll, the layout is one column
        await page.set_viewport_size({"width": 375, "height": 800})
        for path in ("/?postcode=8000&target_group=dagpenge", f"/providers/{world.a['slug']}",
                     f"/compare?ids={world.a['id']},{world.b['id']}&postcode=8000"):
            await page.goto(portal + path)
            if violations := await axe_violations(page):
                found[f"{path} (375 px)"] = violations
        await page.set_viewport_size({"width": 1280, "height": 900})
    if role == "anonymous":  # the search page in English
        await page.goto(portal + "/sprog/en?next=/%3Fpostcode%3D8000")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        if violations := await axe_violations(page):
            found["/ (English)"] = violations
    await context.close()
    assert found == {}, "\n".join(
        f"{path}: {v['id']} ({v['impact']}) {v['help']}\n    " + "\n    ".join(v["nodes"])
        for path, vs in found.items() for v in vs)


async def test_the_check_finds_a_violation_when_there_is_one(portal: str, browser: Browser) -> None:
    """The harness itself: an image without a text alternative and a field without a label on the
    search page are reported."""
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    await page.goto(portal + "/")
    assert await axe_violations(page) == []
    await page.evaluate("""() => {
        const main = document.querySelector("main");
        main.insertAdjacentHTML("beforeend", '<img src="/static/app/fonts/x.png"><input type="text" name="x">');
    }""")
    found = {v["id"] for v in await axe_violations(page)}
    await context.close()
    assert {"image-alt", "label"} <= found, found
