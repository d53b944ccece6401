"""HTTP for the provider self-service: registration (public) and the provider area (members only).

    GET  /registrer               the registration form (public)
    POST /registrer               register the organisation and its first member → 303 /provider
    GET  /provider                overview: public listing, draft / submitted revision, the latest
                                  decision and its reason, freshness
    POST /provider/confirm        "the information is correct" → 303 /provider
    GET  /provider/listing        the listing editor (the draft revision)
    POST /provider/listing        save the draft (action=submit: and send it for approval) → 303
    POST /provider/listing/submit send the saved draft for approval → 303 /provider
    GET  /provider/capacity       capacity and contact (live without re-approval, see listing.py)
    POST /provider/capacity       save them → 303 /provider

Every /provider handler has `requires_provider` and works only on the member's own provider (the use
cases in `listing.py` scope every query to `user.provider` and refuse ids of other providers).
Forms are POST + redirect 303; a refused form is shown again with what was typed, an error summary
and inline errors (400), a save that lost a race with the message and the typed values (409).
Each handler is a form parse (`forms.py`) and one use case call.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from marketplace.accounts.controllers import fresh_csrf_cookie
from marketplace.accounts.guards import requires_provider
from marketplace.accounts.sessions import start_session
from marketplace.accounts.tables import User
from marketplace.errors import Conflict, InvalidInput
from marketplace.providers import forms, listing
from marketplace.providers.forms import FormErrors, FormInvalid
from marketplace.providers.freshness import CONFIRM_EVERY_DAYS, REMIND_DAYS_BEFORE
from marketplace.reference import PROVIDER_TYPES
from marketplace.reference.catalog import CAPACITIES
from marketplace.web.i18n import lang_of

NOTICES = {  # ?done=… after a redirect → the text key of the success message
    "registered": "pa.done.registered", "saved": "pa.done.saved", "submitted": "pa.done.submitted",
    "confirmed": "pa.done.confirmed", "withdrawn": "pa.done.withdrawn", "capacity": "pa.done.capacity",
    "capacity_confirmed": "pa.done.capacity_confirmed",
}


async def _raw(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    """The submitted form as name → every value."""
    form = await request.form()
    return {key: [str(v) for v in form.getall(key)] for key in form.keys()}


def _posted_revision(raw: dict[str, list[str]]) -> dict[str, int | None]:
    """The revision id and version a form was built from (its hidden fields)."""
    return {"revision_id": forms.int_or_none(forms.first(raw, "revision_id")),
            "version": forms.int_or_none(forms.first(raw, "version"))}


def _errors_context(errors: FormErrors | None, lang: str) -> dict[str, Any]:
    errors = errors or FormErrors()
    return {"errors": errors.summary(lang), "field_errors": errors.by_field(lang)}


# -- registration ------------------------------------------------------------------------------------
def _register_page(request: Request[Any, Any, Any], values: forms.RegistrationValues | None = None,
                   errors: FormErrors | None = None, status: int = 200) -> Template:
    lang = lang_of(request)
    return Template("pages/register.html", status_code=status, context={
        "lang": lang, "form": values or forms.RegistrationValues(), **_errors_context(errors, lang),
        "type_options": [("", "–")] + [(slug, item.text(lang)) for slug, item in PROVIDER_TYPES.items()],
    })


class RegistrationPageController(Controller):
    """/registrer: an organisation registers itself and its first member."""

    path = "/registrer"
    include_in_schema = False

    @get("/", name="providers:register")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        """The registration form."""
        return _register_page(request)

    @post("/", name="providers:register_submit")
    async def register(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Register, log the new member in (new session id) and go to the provider area."""
        values = forms.registration_values_from_form(await _raw(request))
        registration, errors = forms.validate_registration(values)
        if registration is None:
            return _register_page(request, values, errors, status=400)
        try:
            _, user = await listing.register_provider(registration)
        except InvalidInput as exc:
            errors.add_error(exc)
            return _register_page(request, values, errors, status=400)
        start_session(request, user)
        return Redirect("/provider?done=registered", status_code=303, cookies=fresh_csrf_cookie(request))


# -- the provider area -------------------------------------------------------------------------------
async def _overview_page(request: Request[Any, Any, Any], user: User, *, done: str | None = None,
                         problem: str | None = None, status: int = 200) -> Template:
    lang = lang_of(request)
    overview = await listing.provider_overview(user)
    return Template("pages/provider_area/overview.html", status_code=status, context={
        "lang": lang, "user": user, "ov": overview, "notice": NOTICES.get(done or ""), "problem": problem,
        "confirm_days": CONFIRM_EVERY_DAYS, "remind_days": REMIND_DAYS_BEFORE,
    })


async def _editor_page(request: Request[Any, Any, Any], user: User, *, values: forms.ListingValues | None = None,
                       errors: FormErrors | None = None, hidden: tuple[int | None, int | None] | None = None,
                       problem: str | None = None, done: str | None = None, status: int = 200) -> Template:
    """The editor. Without `values` it shows the revision it starts from; `hidden` overrides the
    revision id and version the form carries (a refused form keeps the ones it was sent with)."""
    lang = lang_of(request)
    state = await listing.editor_state(user)
    if values is None:
        values = forms.listing_values_from_revision(state.base) if state.base else forms.ListingValues(first_contact_days="5")
    base_id, version = hidden if hidden is not None else (
        (state.base["id"], state.base["version"]) if state.base and state.mode != "locked" else (None, 0))
    return Template("pages/provider_area/listing.html", status_code=status, context={
        "lang": lang, "user": user, "state": state, "form": values, **_errors_context(errors, lang),
        "revision_id": base_id or "", "version": version or 0, "problem": problem, "notice": NOTICES.get(done or ""),
        "coverage_groups": forms.coverage_groups(), "capacity_options": [(s, c.text(lang)) for s, c in CAPACITIES.items()],
        "limits": forms,
    })


async def _capacity_page(request: Request[Any, Any, Any], user: User, *, values: forms.CapacityValues | None = None,
                         errors: FormErrors | None = None, problem: str | None = None, status: int = 200) -> Template:
    lang = lang_of(request)
    public = await listing.public_revision(user)
    if values is None:
        values = forms.capacity_values_from_revision(public) if public else forms.CapacityValues()
    return Template("pages/provider_area/capacity.html", status_code=status, context={
        "lang": lang, "user": user, "public": public, "form": values, **_errors_context(errors, lang),
        "problem": problem, "capacity_options": [(s, c.text(lang)) for s, c in CAPACITIES.items()],
    })


class ProviderAreaController(Controller):
    """/provider: a provider member maintains its own provider's listing."""

    path = "/provider"
    guards = [requires_provider]
    include_in_schema = False

    @get("/", name="provider:home")
    async def overview(self, request: Request[Any, Any, Any], current_user: NamedDependency[User],
                       done: FromQuery[str | None] = None) -> Template:
        """Status of the public listing and of the revision in progress, the latest decision, freshness."""
        return await _overview_page(request, current_user, done=done)

    @post("/confirm", name="provider:confirm")
    async def confirm(self, request: Request[Any, Any, Any], current_user: NamedDependency[User]) -> Template | Redirect:
        """Confirm that the public listing is still correct (one click)."""
        try:
            await listing.confirm_listing(current_user)
        except Conflict as exc:
            return await _overview_page(request, current_user, problem=exc.message(lang_of(request)), status=409)
        return Redirect("/provider?done=confirmed", status_code=303)

    @get("/listing", name="provider:listing")
    async def editor(self, request: Request[Any, Any, Any], current_user: NamedDependency[User],
                     done: FromQuery[str | None] = None) -> Template:
        """The listing editor, filled from the draft (or the revision a new draft starts from)."""
        return await _editor_page(request, current_user, done=done)

    @post("/listing", name="provider:listing_save")
    async def save(self, request: Request[Any, Any, Any], current_user: NamedDependency[User]) -> Template | Redirect:
        """Save the draft; with action=submit also send it for approval."""
        raw = await _raw(request)
        lang = lang_of(request)
        values = forms.listing_values_from_form(raw)
        posted = tuple(_posted_revision(raw).values())
        submit = forms.first(raw, "action") == "submit"
        state = await listing.editor_state(current_user)
        content, errors = forms.validate_listing(values, exempt_fields=state.exempt_fields)
        if content is None:
            return await _editor_page(request, current_user, values=values, errors=errors, hidden=posted, status=400)
        try:
            await listing.save_draft(current_user, content, base_id=posted[0], version=posted[1], submit=submit)
        except FormInvalid as exc:
            return await _editor_page(request, current_user, values=values, errors=exc.errors, hidden=posted, status=400)
        except Conflict as exc:
            # Keep what was typed; carry the current revision and version so a deliberate save goes through.
            return await _editor_page(request, current_user, values=values, problem=exc.message(lang), status=409)
        if submit:
            return Redirect("/provider?done=submitted", status_code=303)
        return Redirect("/provider/listing?done=saved", status_code=303)

    @post("/listing/submit", name="provider:listing_submit")
    async def submit(self, request: Request[Any, Any, Any], current_user: NamedDependency[User]) -> Template | Redirect:
        """Send the saved draft for approval; an incomplete draft is shown in the editor with its errors."""
        raw = await _raw(request)
        try:
            await listing.submit_revision(current_user, **_posted_revision(raw))
        except FormInvalid as exc:
            return await _editor_page(request, current_user, errors=exc.errors, status=400)
        except Conflict as exc:
            return await _overview_page(request, current_user, problem=exc.message(lang_of(request)), status=409)
        return Redirect("/provider?done=submitted", status_code=303)

    @post("/listing/withdraw", name="provider:listing_withdraw")
    async def withdraw(self, request: Request[Any, Any, Any], current_user: NamedDependency[User]) -> Template | Redirect:
        """Take the revision waiting for approval back to a draft (before the authority decides it)."""
        raw = await _raw(request)
        try:
            await listing.withdraw_revision(current_user, **_posted_revision(raw))
        except Conflict as exc:
            return await _overview_page(request, current_user, problem=exc.message(lang_of(request)), status=409)
        return Redirect("/provider/listing?done=withdrawn", status_code=303)

    @get("/capacity", name="provider:capacity")
    async def capacity_form(self, request: Request[Any, Any, Any], current_user: NamedDependency[User]) -> Template:
        """Capacity and contact of the public listing."""
        return await _capacity_page(request, current_user)

    @post("/capacity", name="provider:capacity_save")
    async def capacity_save(self, request: Request[Any, Any, Any], current_user: NamedDependency[User]) -> Template | Redirect:
        """Change capacity and contact on the public listing at once (no re-approval)."""
        raw = await _raw(request)
        values = forms.capacity_values_from_form(raw)
        checked, errors = forms.validate_capacity(values)
        if checked is None:
            return await _capacity_page(request, current_user, values=values, errors=errors, status=400)
        try:
            await listing.update_capacity(current_user, checked, revision_id=forms.int_or_none(forms.first(raw, "revision_id")),
                                          version=forms.int_or_none(forms.first(raw, "version")), confirm=values.confirm)
        except Conflict as exc:
            return await _capacity_page(request, current_user, values=values, problem=exc.message(lang_of(request)),
                                        status=409)
        return Redirect("/provider?done=" + ("capacity_confirmed" if values.confirm else "capacity"), status_code=303)
