"""Stored XSS through the real forms: every text field a user can write (provider registration, the
listing editor, the authority's reasons and notes, the citizen's sign-up and profile, experiences,
the provider's reply and refusals, outcome-import reports) carries markup, and every page that shows
it must show it only escaped: no injected tag, no `on…=` attribute, links only to http(s), mailto,
tel or this site. Each field is also found back (unescaped text) on some page, so a field that is
never shown cannot pass unnoticed."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from factories import index_all, make_provider, next_cvr

from marketplace.accounts.tables import User
from marketplace.providers.tables import ListingRevision, Provider
from marketplace.reviews.services import text_hash
from marketplace.reviews.tables import Review
from tests.accounts.support import PASSWORD, make_user
from tests.authority.support import ALL_MET
from tests.enrolments.support import as_user, make_enrolment, post
from tests.outcomes.outcome_files import course, write_outcomes
from tests.providers.support import editor_form

SAFE_SCHEMES = {"", "http", "https", "mailto", "tel"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data"}


def payload(tag: str) -> str:
    """Markup that breaks out of text, of a quoted attribute, and a javascript: link, named by `tag`."""
    return f'"><script>alert("{tag}")</script><img src=x onerror=alert("{tag}")><a href="javascript:alert(1)">{tag}</a>'


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES:
                scheme = urlsplit(re.sub(r"[\x00-\x20]", "", value).lower()).scheme
                if scheme not in SAFE_SCHEMES and not (scheme == "data" and tag == "img" and name == "src"):
                    self.problems.append(f"<{tag} {name}={value[:60]!r}>")
        if tag == "script":
            if not dict(attrs).get("src"):
                self.problems.append("inline <script>")
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"script content {data.strip()[:60]!r}")


def assert_escaped(body: str, where: str) -> None:
    """No injected markup in a page: no raw payload, no event-handler attribute, no inline script, no
    link or form target with a scheme other than http(s), mailto, tel (or a data: image)."""
    assert "<script>alert" not in body and "<img src=x" not in body, where
    reader = _Page()
    reader.feed(body)
    reader.close()
    assert not reader.problems, (where, reader.problems[:5])


class Pages:
    """Fetches pages, checks each, and remembers which payloads were shown (as text) where."""

    def __init__(self, client: httpx.AsyncClient, tags: list[str]) -> None:
        self.client, self.tags, self.seen = client, tags, {t: [] for t in tags}

    def check(self, response: httpx.Response, where: str) -> httpx.Response:
        assert response.status_code < 500, (where, response.status_code)
        if response.headers.get("content-type", "").startswith("text/html"):
            assert_escaped(response.text, where)
            text = html.unescape(response.text)
            for tag in self.tags:
                if payload(tag) in text:
                    self.seen[tag].append(where)
        return response

    async def get(self, path: str, status: int = 200) -> httpx.Response:
        response = self.check(await self.client.get(path), f"GET {path}")
        assert response.status_code == status, (path, response.status_code)
        return response

    async def post(self, path: str, data: dict | list, status: int | tuple[int, ...] = 303) -> httpx.Response:
        response = self.check(await post_pairs(self.client, path, data), f"POST {path}")
        expected = status if isinstance(status, tuple) else (status,)
        assert response.status_code in expected, (path, response.status_code, response.text[-2000:])
        return response

    def assert_every_payload_shown(self) -> None:
        unseen = [t for t, where in self.seen.items() if not [w for w in where if w.startswith("GET")]]
        assert not unseen, f"never shown on a page: {unseen}"


async def post_pairs(client: httpx.AsyncClient, path: str, data: dict | list) -> httpx.Response:
    """POST a form (repeated fields as lists) with the CSRF token, as a browser does."""
    if isinstance(data, dict):
        data = [(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs])]
    return await post(client, path, dict(_grouped(data)))


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(str(value))
    return out


def test_the_checker_finds_markup_that_was_not_escaped() -> None:
    for raw in ('<p><script>alert("x")</script></p>', '<p>"><img src=x onerror=alert(1)></p>',
                '<div title="" onmouseover="alert(1)">x</div>', '<a href=" JaVaScRiPt:alert(1)">x</a>',
                '<form action="javascript:alert(1)"></form>', "<script>var a = 1;</script>",
                '<a href="data:text/html,<b>x</b>">x</a>'):
        with pytest.raises(AssertionError):
            assert_escaped(raw, "sample")
    assert_escaped(f"<p>{html.escape(payload('x'))}</p><script src=\"/static/app/a.js\"></script>"
                   '<a href="https://a.dk/?q=1">x</a><a href="mailto:a@b.dk">x</a><img src="data:image/png;base64,AA">',
                   "escaped sample")


async def test_markup_written_straight_into_listing_fields_is_escaped_on_every_page(client, engine) -> None:
    """Fields no form lets through unchecked (office city, contact e-mail and phone, a javascript:
    website), as an import or an older version could have stored them."""
    provider = await make_provider(
        name=f"Aktør {payload('name')}", description=f"Beskrivelse {payload('description')}",
        method=f"Metode {payload('method')}",
        offices=[{"address": f"Vej {payload('address')}", "postcode": "8000", "city": f"Aarhus {payload('city')}",
                  "lat": 56.15, "lon": 10.2}],
        contact={"email": f"x{payload('email')}@example.dk", "phone": f"+45 {payload('phone')}",
                 "website": "javascript:alert(1)"},
    )
    other = await make_provider()
    await index_all(engine)
    pages = Pages(client, ["name", "description", "method", "address", "city"])
    # the CSV files are data (text/csv, nosniff), not markup
    for path in (f"/providers/{provider['slug']}", "/?municipality=751", f"/compare?ids={provider['id']},{other['id']}"):
        await pages.get(path)  # the javascript: website is no link (the checker reads every href)
    pages.assert_every_payload_shown()


def _listing(tag_description: str, tag_method: str, tag_address: str, website: str) -> dict[str, list[str] | str]:
    return {
        "description": f"Vi hjælper ledige videre med samtaler og praktik. {payload(tag_description)}",
        "method": "Vi starter med en samtale om ønsker og erfaringer og lægger en plan sammen, "
                  f"som vi følger op hver uge. {payload(tag_method)}",
        "municipality": ["751"], "target_group": ["dagpenge"], "years_dagpenge": "4",
        "service": ["mentor"], "price_mentor": "12500", "weeks_mentor": "10", "language": ["da"],
        "office_address_1": f"Vestergade 12 {payload(tag_address)}", "office_postcode_1": "8000",
        "capacity": "open", "waiting_weeks": "", "first_contact_days": "5",
        "contact_email": "kontakt@aktoer.example", "contact_phone": "70 10 20 30", "contact_website": website,
    }


async def _provider_version(provider_id: int) -> str:
    return str((await Provider.select(Provider.version).where(Provider.id == provider_id).first())["version"])


async def test_provider_and_authority_fields_are_escaped_on_every_page(client, engine) -> None:
    tags = ["org-name", "member-name", "description", "method", "address", "reject-reason", "approve-note",
            "suspend-reason", "reinstate-reason"]
    pages = Pages(client, tags)
    cvr = next_cvr()
    registration = {
        "cvr": cvr, "name": f"Aktør {payload('org-name')}", "type": "privat",
        "contact_email": "kontakt@aktoer.example", "contact_phone": "86 12 34 56",
        "member_name": f"Mette {payload('member-name')}", "member_email": "mette@aktoer.example",
        "password": PASSWORD, "password_repeat": PASSWORD,
    }
    await pages.get("/registrer")
    # a refused registration shows what was typed: escaped
    await pages.post("/registrer", {**registration, "contact_phone": payload("phone")}, status=400)
    await pages.post("/registrer", registration)
    provider = await Provider.select().where(Provider.cvr == cvr).first()
    member = await User.objects().where(User.email == "mette@aktoer.example").first()
    await pages.get("/provider")

    # the editor: a javascript: website is refused (and shown escaped), then the listing is submitted
    hidden = await editor_form(client)
    keep = {"revision_id": hidden["revision_id"], "version": hidden["version"]}
    listing = _listing("description", "method", "address", "javascript:alert(1)")
    await pages.post("/provider/listing", {**listing, **keep}, status=400)
    listing["contact_website"] = 'https://aktoer.example/"><script>alert("website")</script>'
    await pages.post("/provider/listing", {**listing, **keep}, status=(303, 400))  # kept or refused: escaped either way
    keep = {k: v for k, v in (await editor_form(client)).items() if k in ("revision_id", "version")}
    listing["contact_website"] = "https://aktoer.example/om-os"
    await pages.post("/provider/listing", {**listing, **keep, "action": "submit"})
    await pages.get("/provider/listing")
    [revision] = await ListingRevision.select().where(ListingRevision.provider == provider["id"])

    # the authority reads the queue and the diff, rejects with a reason
    await as_user(client, await make_user("authority"))
    await pages.get("/authority/queue")
    await pages.get(f"/authority/revisions/{revision['id']}")
    await pages.post(f"/authority/revisions/{revision['id']}/reject",
                     {"standard": list(ALL_MET)[:1], "version": str(revision["version"]), "reason": ""}, status=400)
    await pages.post(f"/authority/revisions/{revision['id']}/reject",
                     {"standard": list(ALL_MET), "version": str(revision["version"]),
                      "reason": f"Prisen er ikke begrundet. {payload('reject-reason')}"})

    # the provider sees the reason and submits again
    await as_user(client, member)
    await pages.get("/provider")
    await pages.get("/provider/listing")
    values = await editor_form(client)
    await pages.post("/provider/listing", {**values, "action": "submit"})
    second = await ListingRevision.select().where(ListingRevision.provider == provider["id"],
                                                  ListingRevision.status == "submitted").first()

    # the authority approves with a note, suspends and reinstates with reasons
    await as_user(client, await make_user("authority"))
    await pages.get(f"/authority/revisions/{second['id']}")
    await pages.post(f"/authority/revisions/{second['id']}/approve",
                     {"standard": list(ALL_MET), "version": str(second["version"]),
                      "reason": f"Godkendt. {payload('approve-note')}"})
    for action, tag in (("suspend", "suspend-reason"), ("reinstate", "reinstate-reason")):
        await pages.post(f"/authority/providers/{provider['id']}/{action}",
                         {"version": await _provider_version(provider["id"]), "reason": f"Begrundelse {payload(tag)}"})
    for path in ("/authority", "/authority/queue", "/authority/providers", f"/authority/providers/{provider['id']}",
                 f"/authority/revisions/{revision['id']}", f"/authority/revisions/{second['id']}", "/authority/audit"):
        await pages.get(path)

    # the public pages and the provider's own area
    await index_all(engine)
    other = await make_provider()
    await index_all(engine)
    slug = (await Provider.select(Provider.slug).where(Provider.id == provider["id"]).first())["slug"]
    for path in (f"/providers/{slug}", "/?municipality=751", "/?q=Aktør", f"/compare?ids={provider['id']},{other['id']}"):
        await pages.get(path)
    await as_user(client, member)
    for path in ("/provider", "/provider/listing", "/provider/capacity", "/provider/reviews", "/provider/enrolments"):
        await pages.get(path)
    pages.assert_every_payload_shown()


async def test_citizen_review_reply_and_moderation_fields_are_escaped_on_every_page(client, engine) -> None:
    tags = ["citizen-name", "review", "review-rejected", "moderation-reason", "reply", "decline-reason"]
    pages = Pages(client, tags)
    provider = await make_provider(name="Jobvejen", target_groups=[
        {"slug": slug, "years": 3} for slug in ("dagpenge", "sygedagpenge", "jobafklaring")])
    await pages.get("/signup")
    await pages.post("/signup", {"name": f"Bo {payload('citizen-name')}", "email": "bo@example.dk",
                                 "password": PASSWORD, "password_again": PASSWORD})
    citizen = await User.objects().where(User.email == "bo@example.dk").first()
    # the profile refuses values that are no postcode, target group or age band, and shows them escaped
    await pages.post("/me/profile", {"postcode": payload("postcode"), "municipality": payload("municipality"),
                                     "target_group": payload("target-group"), "age_band": payload("age")}, status=400)
    await pages.post("/me/profile", {"postcode": "8000", "municipality": "", "target_group": "dagpenge",
                                     "age_band": "30-39"})
    # one active choice per target group
    published = await make_enrolment(citizen.id, provider["id"], status="started")
    rejected = await make_enrolment(citizen.id, provider["id"], status="ended", target_group="sygedagpenge")
    declined = await make_enrolment(citizen.id, provider["id"], status="chosen", target_group="jobafklaring")
    await pages.post(f"/me/enrolments/{published}/review", {"rating": "4", "text": f"God hjælp. {payload('review')}"})
    await pages.post(f"/me/enrolments/{rejected}/review", {"rating": "2", "text": f"Navne. {payload('review-rejected')}"})

    await as_user(client, await make_user("authority"))
    await pages.get("/authority/reviews")
    for row in await Review.select().order_by(Review.id):
        verdict = "approve" if "God hjælp" in row["text"] else "reject"
        data = {"text_hash": text_hash(row["text"])}
        if verdict == "reject":
            data["reason"] = f"Teksten nævner en person. {payload('moderation-reason')}"
        await pages.post(f"/authority/reviews/{row['id']}/{verdict}", data)

    await as_user(client, await make_user("provider", provider_id=provider["id"]))
    await pages.get("/provider/reviews")
    review = await Review.select().where(Review.text_status == "published").first()
    await pages.post(f"/provider/reviews/{review['id']}/reply", {"reply": f"Tak! {payload('reply')}"})
    await pages.get(f"/provider/enrolments/{declined}/decline")
    await pages.post(f"/provider/enrolments/{declined}/decline", {"reason": f"Ingen plads. {payload('decline-reason')}"})
    for path in ("/provider", "/provider/reviews", "/provider/enrolments"):
        await pages.get(path)

    await as_user(client, await make_user("authority"))
    for path in ("/authority/reviews", "/authority/audit", f"/authority/providers/{provider['id']}"):
        await pages.get(path)

    await as_user(client, citizen)
    for path in ("/me", "/me/profile", "/me/enrolments", f"/me/enrolments/{published}", f"/me/enrolments/{declined}",
                 f"/me/enrolments/{published}/review", f"/me/enrolments/{rejected}/review"):
        await pages.get(path)
    await index_all(engine)
    other = await make_provider()
    await index_all(engine)
    for path in (f"/providers/{provider['slug']}", f"/compare?ids={provider['id']},{other['id']}"):
        await pages.get(path)
    pages.assert_every_payload_shown()


def short_payload(n: int) -> str:
    """Markup short enough to be echoed whole in an import report (values are cut at 40 characters)."""
    return f'"><script>alert({n})</script>' if n % 2 else f'<img src=x onerror=alert({n})>'


async def test_an_outcome_report_shows_bad_values_and_the_file_name_escaped(client, tmp_path: Path) -> None:
    fields = ["course_id", "target_group", "municipality", "age_band", "start_date", "status_3m"]
    pages = Pages(client, [])
    provider = await make_provider()
    await as_user(client, await make_user("authority"))
    rows = [course(n, provider["cvr"], **{field: short_payload(n)}) for n, field in enumerate(fields, start=1)]
    path = write_outcomes(tmp_path / "outcomes.csv", rows)
    name = f'"><img src=x onerror=alert(0)>.csv'
    token = client.cookies["csrftoken"]
    response = pages.check(await client.post("/authority/outcomes", data={"_csrf_token": token},
                                             files={"file": (name, path.read_bytes(), "text/csv")}),
                           "POST /authority/outcomes")
    assert response.status_code == 400, response.status_code
    assert "Filen blev afvist" in response.text
    shown = html.unescape(response.text)
    missing = [f for n, f in enumerate(fields, start=1) if short_payload(n) not in shown]
    assert not missing and name in shown, f"bad values not in the report: {missing}"
    listing = await pages.get("/authority/outcomes")
    jobs = re.findall(r'href="(/authority/outcomes/jobs/[^"]+)"', listing.text)
    for link in jobs:
        await pages.get(html.unescape(link), status=400)
