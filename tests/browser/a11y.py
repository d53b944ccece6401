"""Helpers for the accessibility and weight tests: a small world with something on every page, axe-core
(npm, node_modules/axe-core) run inside the page, logging in through the real form."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from factories import make_provider
from playwright.async_api import Page, expect

from marketplace.accounts.tables import User
from marketplace.db import write_transaction
from marketplace.enrolments.tables import Enrolment
from marketplace.outcomes.importer import import_outcomes
from marketplace.reviews.tables import Review
from marketplace.settings import PROJECT_DIR
from tests.accounts.support import PASSWORD, make_user
from tests.authority.support import submit_revision
from tests.outcomes.outcome_files import course, mixed_courses, write_outcomes
from tests.browser.delivery import Delivery

AXE_JS = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass
class World:
    a: dict[str, Any]
    b: dict[str, Any]
    users: dict[str, User]
    started: str  # the citizen's started enrolment at A (review, switch)
    chosen: str  # the citizen's new choice of A (the provider may decline it)
    revision: int  # a pending change to A's listing
    outcomes_csv: Path  # a valid outcome file for A (the authority uploads it)
    bad_outcomes_csv: Path  # one with bad lines (the report names them)


async def build_world(deliver: Delivery, tmp_path: Path) -> World:
    """Two providers in Aarhus (A with results, reviews with text and a reply), a citizen with a
    started and a chosen enrolment at A, A's member, an authority user, a pending revision."""
    a = await make_provider(name="Jobvejen Aarhus", municipalities=[751], postcode="8000",
                            target_groups=[{"slug": "dagpenge", "years": 6}, {"slug": "sygedagpenge", "years": 2}],
                            reviews=[4, 5])
    b = await make_provider(name="Mentorhuset Aarhus", municipalities=[751], postcode="8000", capacity="waitlist",
                            waiting_weeks=2, target_groups=[{"slug": "dagpenge", "years": 2}])
    await import_outcomes(write_outcomes(tmp_path / "a.csv", mixed_courses(a["cvr"], 40)))
    users = {
        "citizen": await make_user("citizen", name="Camilla Borger"),
        "provider": await make_user("provider", provider_id=a["id"], name="Pia Aktør"),
        "authority": await make_user("authority", name="Mona Myndighed"),
    }
    citizen = users["citizen"]
    await User.update({User.municipality_code: 751, User.target_group: "dagpenge", User.age_band: "30-39"}).where(
        User.id == citizen.id)
    now = datetime.now(timezone.utc)
    async with write_transaction():
        await Enrolment(reference="A-000001", citizen=citizen.id, provider=a["id"], target_group="dagpenge",
                        service="mentor", status="started", started_at=now).save()
        await Enrolment(reference="A-000002", citizen=citizen.id, provider=a["id"], target_group="sygedagpenge",
                        service="mentor", status="chosen").save()
        for ref, group, status, reply in (("A-000003", "fleksjob", "pending", ""),
                                          ("A-000004", "ledighedsydelse", "published", "Tak for dine ord.")):
            ended = Enrolment(reference=ref, citizen=citizen.id, provider=a["id"], target_group=group,
                              service="mentor", status="ended", started_at=now, ended_at=now)
            await ended.save()
            await Review(enrolment=ended.id, provider=a["id"], rating=4, text="God hjælp til at søge job.",
                         text_status=status, reply=reply, reply_at=now if reply else None).save()
    revision = await submit_revision(a["id"], description="En ændring fra Jobvejen Aarhus.")
    await deliver.expect_documents(2)
    return World(a=a, b=b, users=users, started="A-000001", chosen="A-000002", revision=revision["id"],
                 outcomes_csv=write_outcomes(tmp_path / "upload.csv", mixed_courses(a["cvr"], 5, start=100)),
                 bad_outcomes_csv=write_outcomes(tmp_path / "bad.csv", [
                     course(200, a["cvr"], status_3m="maybe"), course(201, "12345678", end_date="2024-01-01")]))


async def log_in(page: Page, base_url: str, email: str) -> None:
    await page.goto(base_url + "/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Adgangskode").fill(PASSWORD)
    await page.get_by_role("button", name="Log ind").click()
    await expect(page).not_to_have_url(base_url + "/login")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (the context must bypass CSP:
    the portal's policy rightly refuses injected script)."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    return await page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(
                    n => n.target.join(" ") + " :: " + n.failureSummary.split("\\n").slice(1, 2).join(" ")),
            }));
        }""",
        WCAG_21_AA,
    )
