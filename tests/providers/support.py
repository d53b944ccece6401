"""Helpers for the provider self-service tests: a logged-in member of a provider, forms posted as a
browser posts them (with the CSRF token), and the authority's decisions through its real use cases."""
from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import httpx
from factories import make_provider

from marketplace.accounts.tables import User
from marketplace.providers import decisions, standards
from marketplace.providers.tables import ListingRevision
from tests.accounts.support import csrf_token, login, make_user


async def member(client: httpx.AsyncClient, provider: dict[str, Any] | None = None, **provider_overrides: Any) -> User:
    """Log `client` in as a member of `provider` (a fresh approved provider when none is given)."""
    if provider is None:
        provider = await make_provider(**provider_overrides)
    user = await make_user("provider", provider_id=provider["id"])
    response = await login(client, user.email)
    assert response.status_code == 303, response.text
    return user


async def post(client: httpx.AsyncClient, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> httpx.Response:
    """POST a form with the CSRF token, as a browser does."""
    token = await csrf_token(client)
    items = list(data.items()) if isinstance(data, dict) else list(data)
    form: dict[str, list[str]] = {}
    for key, value in items:
        values = value if isinstance(value, (list, tuple, set)) else [value]
        form.setdefault(key, []).extend(str(v) for v in values)
    form["_csrf_token"] = [token]
    return await client.post(path, data=form)


class _Form(HTMLParser):
    """Inputs (checked boxes and radios only), selected options and textareas, by name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") == "submit":
                return
            self.values.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self.values.setdefault(self._textarea, []).append(text[1:] if text.startswith("\n") else text)
            self._textarea = None


def form_values(page: str) -> dict[str, list[str]]:
    """What a page's form(s) would submit, by name (textareas included)."""
    reader = _Form()
    reader.feed(page)
    return reader.values


async def editor_form(client: httpx.AsyncClient) -> dict[str, list[str]]:
    """What the editor's form would submit as it is shown (hidden fields included)."""
    response = await client.get("/provider/listing")
    assert response.status_code == 200, response.text
    values = form_values(response.text)
    values.pop("_csrf_token", None)
    values.pop("action", None)
    return values


def as_pairs(values: dict[str, list[str]], **changes: Any) -> list[tuple[str, str]]:
    """A form's values with some fields replaced (a list for repeated fields, None to remove)."""
    merged: dict[str, list[str]] = {k: list(v) for k, v in values.items()}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, (list, tuple, set)):
            merged[key] = [str(v) for v in value]
        else:
            merged[key] = [str(value)]
    return [(k, v) for k, vs in merged.items() for v in vs]


def complete_listing(**changes: Any) -> dict[str, Any]:
    """A complete, valid editor form for a listing that is not public yet (capacity and contact
    included)."""
    form: dict[str, Any] = {
        "description": "Vi hjælper ledige i Aarhus videre med samtaler, praktik og en fast kontaktperson.",
        "method": "Vi starter med en samtale om ønsker og erfaringer. Derefter lægger vi en plan sammen, "
                  "finder en praktikplads og følger op hver uge, indtil borgeren er i job.",
        "municipality": ["751"],
        "target_group": ["dagpenge"], "years_dagpenge": "4",
        "service": ["mentor"], "price_mentor": "12500", "weeks_mentor": "10",
        "language": ["da"],
        "office_address_1": "Vestergade 12", "office_postcode_1": "8000",
        "capacity": "open", "waiting_weeks": "", "first_contact_days": "5",
        "contact_email": "kontakt@aktoer.example", "contact_phone": "70 10 20 30", "contact_website": "",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


async def revisions_of(provider_id: int) -> list[dict[str, Any]]:
    """Every revision of a provider, oldest first."""
    return await ListingRevision.select().where(ListingRevision.provider == provider_id).order_by(
        ListingRevision.number).output(load_json=True)


async def authority() -> User:
    return await make_user("authority")


async def reject(revision_id: int, reason: str = "Prisen for mentorstøtte er ikke begrundet.") -> None:
    """The authority rejects a submitted revision (its real use case)."""
    row = await ListingRevision.select(ListingRevision.version).where(ListingRevision.id == revision_id).first()
    await decisions.reject_revision(revision_id, by=await authority(), reason=reason, expected_version=row["version"])


async def approve(revision_id: int) -> None:
    """The authority approves a submitted revision (its real use case)."""
    row = await ListingRevision.select(ListingRevision.version).where(ListingRevision.id == revision_id).first()
    checklist = {s.slug: True for s in standards.STANDARDS}
    await decisions.approve_revision(revision_id, by=await authority(), checklist=checklist,
                                     expected_version=row["version"])
