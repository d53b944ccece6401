"""Citizen and provider pages for accounts, choices and switches.

    /signup                                   a citizen account (then logged in, like /login does)
    /me, /me/profile                          the citizen's page and profile (default filters)
    /providers/{slug}/choose                  confirm page and POST: choose a provider → receipt
    /me/enrolments, /me/enrolments/{ref}      the citizen's choices and a receipt
    /me/enrolments/{ref}/switch               switch to another provider (?to=slug)
    /me/enrolments/{ref}/cancel               take back a choice before the course starts
    /provider/enrolments                      incoming choices; accept, decline, start, end

Every change is a POST (CSRF checked by the app) answered with a 303 redirect; forms come back with
what was typed and the DKFDS error summary. Each handler is one service call plus the page.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from marketplace.accounts.auth import LoginFailed
from marketplace.accounts import controllers as login_pages
from marketplace.accounts.controllers import fresh_csrf_cookie, client_address, safe_next
from marketplace.accounts.guards import get_current_user, requires_citizen, requires_provider, role_of
from marketplace.accounts.sessions import HOME_BY_ROLE, start_session
from marketplace.accounts.tables import User
from marketplace.enrolments import citizens, services
from marketplace.enrolments.forms import text_of
from marketplace.errors import Conflict, InvalidInput, error_context
from marketplace.reference import AGE_BANDS
from marketplace.reviews import services as reviews
from marketplace.web.i18n import lang_of
from marketplace.web.search_form import municipality_groups


def _lang(request: Request[Any, Any, Any]) -> str:
    return lang_of(request)


def _choice_lists() -> dict[str, Any]:
    return {"municipality_groups": municipality_groups(), "AGE_BANDS": AGE_BANDS}


# -- sign-up and profile -----------------------------------------------------------------------------
class CitizenAccountController(Controller):
    """Sign-up, the citizen's page and profile."""

    include_in_schema = False

    @get("/signup", name="me:signup")
    async def signup_form(self, request: Request[Any, Any, Any],
                          next: FromQuery[str | None] = None) -> Template | Redirect:
        """The sign-up form (name, e-mail, password twice). No CPR number."""
        user = await get_current_user(request)
        if user is not None:
            return Redirect(HOME_BY_ROLE.get(role_of(user), "/"))
        return Template("pages/me/signup.html", context={"form": {}, "next": safe_next(next) or "", "errors": [],
                                                          "field_errors": {}})

    @post("/signup", name="me:signup_submit")
    async def signup(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Create the account, then log in through the login interface (a new session id and a new
        CSRF token) and go on to the profile, or to `next`."""
        form = await request.form()
        typed = {"name": text_of(form, "name", 300), "email": text_of(form, "email", 300)}
        next_path = safe_next(text_of(form, "next", 500)) or ""
        password = str(form.get("password") or "")
        try:
            user = await citizens.sign_up(name=typed["name"], email=typed["email"], password=password,
                                          password_again=str(form.get("password_again") or ""))
        except InvalidInput as exc:
            return Template("pages/me/signup.html", status_code=400, context={
                "form": typed, "next": next_path, **error_context(exc, _lang(request))})
        try:
            user = await login_pages.LOGIN_PROVIDER.authenticate(user.email, password, client_address(request))
        except LoginFailed:  # e.g. the address is over the login rate limit: the account exists
            return Redirect("/login?" + urlencode({"next": next_path or "/me/profile"}), status_code=303)
        start_session(request, user)
        target = next_path or "/me/profile?new=1"
        return Redirect(target, status_code=303, cookies=fresh_csrf_cookie(request))

    @get("/me", name="me:home", guards=[requires_citizen])
    async def home(self, current_user: NamedDependency[User]) -> Template:
        """The citizen's page: active choices with their status, and the profile."""
        rows = await services.citizen_enrolments(current_user.id)
        by_enrolment = await reviews.reviews_by_enrolment([r["id"] for r in rows])
        return Template("pages/me/home.html", context={
            "area": "citizen", "user": current_user, "enrolments": rows, "reviews": by_enrolment,
            "active": [r for r in rows if r["status"] in services.ACTIVE], "can_review": reviews.can_review,
        })

    @get("/me/profile", name="me:profile", guards=[requires_citizen])
    async def profile_form(self, current_user: NamedDependency[User], new: FromQuery[str | None] = None,
                           saved: FromQuery[str | None] = None) -> Template:
        """Where the citizen lives, the target group and the age band (used as default filters)."""
        form = {"municipality": str(current_user.municipality_code or ""), "postcode": "",
                "target_group": current_user.target_group or "", "age_band": current_user.age_band or ""}
        return Template("pages/me/profile.html", context={
            "form": form, "errors": [], "field_errors": {}, "new": new == "1", "saved": saved == "1",
            **_choice_lists()})

    @post("/me/profile", name="me:profile_submit", guards=[requires_citizen])
    async def profile(self, request: Request[Any, Any, Any],
                      current_user: NamedDependency[User]) -> Template | Redirect:
        """Save the profile."""
        form = await request.form()
        typed = {k: text_of(form, k, 100) for k in ("municipality", "postcode", "target_group", "age_band")}
        try:
            await citizens.update_profile(current_user, **typed)
        except InvalidInput as exc:
            return Template("pages/me/profile.html", status_code=400, context={
                "form": typed, "new": False, "saved": False, **_choice_lists(), **error_context(exc, _lang(request))})
        return Redirect("/me/profile?saved=1", status_code=303)


# -- choosing ----------------------------------------------------------------------------------------
def _choose_context(offer: services.Offer, user: User, form: dict[str, str]) -> dict[str, Any]:
    defaults = citizens.profile_defaults(user)
    profile_tg = defaults["target_group"]
    return {
        "offer": offer, "form": form, "errors": [], "field_errors": {}, "refusal": offer.refusal,
        "profile_tg_not_served": bool(profile_tg) and profile_tg not in offer.target_groups,
        "profile_tg": profile_tg, "active": None, **_choice_lists(),
    }


class ChooseController(Controller):
    """/providers/{slug}/choose: the confirm page and the choice."""

    path = "/providers/{slug:str}/choose"
    guards = [requires_citizen]
    include_in_schema = False

    @get("/", name="choose:confirm")
    async def confirm(self, slug: FromPath[str], current_user: NamedDependency[User],
                      target_group: FromQuery[str | None] = None) -> Template:
        """What choosing means, the provider's waiting time and first-contact date, and the form; or
        why the provider cannot be chosen."""
        offer = await services.offer_for(slug)
        defaults = citizens.profile_defaults(current_user)
        tgs = offer.target_groups
        tg = target_group if target_group in tgs else defaults["target_group"] if defaults["target_group"] in tgs else (
            tgs[0] if len(tgs) == 1 else "")
        form = {"target_group": tg, "service": offer.services[0]["slug"] if len(offer.services) == 1 else "",
                "municipality": str(defaults["municipality"] or "")}
        context = _choose_context(offer, current_user, form)
        if tg and offer.refusal is None:
            context["active"] = await services.active_enrolment(current_user.id, tg)
        return Template("pages/choose/confirm.html", context=context)

    @post("/", name="choose:submit")
    async def choose(self, request: Request[Any, Any, Any], slug: FromPath[str],
                     current_user: NamedDependency[User]) -> Template | Redirect:
        """Choose: a receipt (303) or the confirm page again with the reason it was not possible."""
        form = await request.form()
        typed = {k: text_of(form, k, 100) for k in ("target_group", "service", "municipality")}
        try:
            reference = await services.choose_provider(current_user, slug, **typed)
        except services.ChoiceRefused as exc:
            offer = await services.offer_for(slug)
            context = _choose_context(offer, current_user, typed)
            context["refusal"] = exc
            return Template("pages/choose/confirm.html", status_code=409, context=context)
        except InvalidInput as exc:
            offer = await services.offer_for(slug)
            context = _choose_context(offer, current_user, typed)
            context.update(error_context(exc, _lang(request)))
            return Template("pages/choose/confirm.html", status_code=400, context=context)
        return Redirect(f"/me/enrolments/{reference}?new=1", status_code=303)


# -- the citizen's choices ---------------------------------------------------------------------------
class CitizenEnrolmentController(Controller):
    """The citizen's choices, receipts, switches and cancellations."""

    path = "/me/enrolments"
    guards = [requires_citizen]
    include_in_schema = False

    @get("/", name="me:enrolments")
    async def list_enrolments(self, current_user: NamedDependency[User]) -> Template:
        """Every choice with its status, history included."""
        rows = await services.citizen_enrolments(current_user.id)
        return Template("pages/me/enrolments.html", context={
            "enrolments": rows, "reviews": await reviews.reviews_by_enrolment([r["id"] for r in rows]),
            "can_review": reviews.can_review})

    @get("/{reference:str}", name="me:receipt")
    async def receipt(self, reference: FromPath[str], current_user: NamedDependency[User],
                      new: FromQuery[str | None] = None, switched: FromQuery[str | None] = None,
                      cancelled: FromQuery[str | None] = None) -> Template:
        """The receipt of one of the citizen's own choices (someone else's is 404)."""
        row = await services.receipt(current_user.id, reference)
        review = (await reviews.reviews_by_enrolment([row["id"]])).get(row["id"])
        return Template("pages/me/receipt.html", context={
            "e": row, "review": review, "new": new == "1", "switched": switched == "1",
            "cancelled": cancelled == "1" and row["status"] == "cancelled", "active": row["status"] in services.ACTIVE,
            "cancellable": row["status"] in services.CANCELLABLE, "can_review": reviews.can_review(row)})

    @get("/{reference:str}/switch", name="me:switch")
    async def switch_form(self, reference: FromPath[str], current_user: NamedDependency[User],
                          to: FromQuery[str | None] = None) -> Template:
        """Switch provider: with `to`, the form for that provider; without, how to find one."""
        row = await services.receipt(current_user.id, reference)
        offer = await services.offer_for(to) if to else None
        defaults = citizens.profile_defaults(current_user)
        form = {"to": to or "", "service": offer.services[0]["slug"] if offer and len(offer.services) == 1 else "",
                "municipality": str(defaults["municipality"] or ""), "reason": ""}
        return Template("pages/me/switch.html", context=_switch_context(row, offer, form, current_user))

    @post("/{reference:str}/switch", name="me:switch_submit")
    async def switch(self, request: Request[Any, Any, Any], reference: FromPath[str],
                     current_user: NamedDependency[User]) -> Template | Redirect:
        """Switch: the old choice ends as `switched` (reason kept), the new one is `chosen`."""
        form = await request.form()
        typed = {k: text_of(form, k, 100) for k in ("to", "service", "municipality")}
        typed["reason"] = text_of(form, "reason", 2000)
        try:
            new_reference = await services.switch_provider(
                current_user, reference, to_slug=typed["to"], service=typed["service"],
                municipality=typed["municipality"], reason=typed["reason"])
        except services.ChoiceRefused as exc:
            row = await services.receipt(current_user.id, reference)
            context = _switch_context(row, await services.offer_for(typed["to"]), typed, current_user)
            context["refusal"] = exc
            return Template("pages/me/switch.html", status_code=409, context=context)
        except InvalidInput as exc:
            row = await services.receipt(current_user.id, reference)
            offer = await services.offer_for(typed["to"]) if typed["to"] else None
            context = _switch_context(row, offer, typed, current_user)
            context.update(error_context(exc, _lang(request)))
            return Template("pages/me/switch.html", status_code=400, context=context)
        return Redirect(f"/me/enrolments/{new_reference}?switched=1", status_code=303)

    @get("/{reference:str}/cancel", name="me:cancel")
    async def cancel_form(self, reference: FromPath[str], current_user: NamedDependency[User]) -> Template:
        """Take back a choice: what it means, an optional reason, and the button."""
        row = await services.receipt(current_user.id, reference)
        return Template("pages/me/cancel.html", context=_cancel_context(row, ""))

    @post("/{reference:str}/cancel", name="me:cancel_submit")
    async def cancel(self, request: Request[Any, Any, Any], reference: FromPath[str],
                     current_user: NamedDependency[User]) -> Template | Redirect:
        """Cancel: the choice becomes `cancelled` (reason kept when given); too late once started (409)."""
        form = await request.form()
        reason = text_of(form, "reason", 2000)
        try:
            await services.cancel_choice(current_user, reference, reason)
        except InvalidInput as exc:
            context = _cancel_context(await services.receipt(current_user.id, reference), reason)
            return Template("pages/me/cancel.html", status_code=400,
                            context={**context, **error_context(exc, _lang(request))})
        except Conflict as exc:  # started (or otherwise moved on) since the page was shown
            context = _cancel_context(await services.receipt(current_user.id, reference), reason)
            return Template("pages/me/cancel.html", status_code=409,
                            context={**context, "conflict": exc.message(_lang(request))})
        return Redirect(f"/me/enrolments/{reference}?cancelled=1", status_code=303)


def _cancel_context(row: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"e": row, "form": {"reason": reason}, "errors": [], "field_errors": {}, "conflict": None,
            "cancellable": row["status"] in services.CANCELLABLE}


def _switch_context(row: dict[str, Any], offer: services.Offer | None, form: dict[str, str],
                    user: User) -> dict[str, Any]:
    defaults = citizens.profile_defaults(user)
    search = {"target_group": row["target_group"]}
    if defaults["municipality"]:
        search["municipality"] = str(defaults["municipality"])
    return {
        "e": row, "offer": offer, "form": form, "errors": [], "field_errors": {},
        "refusal": offer.refusal if offer else None, "active": row["status"] in services.ACTIVE,
        "search_url": "/?" + urlencode(search), **_choice_lists(),
    }


# -- the provider's side -----------------------------------------------------------------------------
class ProviderEnrolmentController(Controller):
    """/provider/enrolments: the provider's incoming choices and what to do with them."""

    path = "/provider/enrolments"
    guards = [requires_provider]
    include_in_schema = False

    @get("/", name="provider:enrolments")
    async def list_enrolments(self, current_user: NamedDependency[User], done: FromQuery[str | None] = None,
                              ref: FromQuery[str | None] = None) -> Template:
        """Incoming (with those past the first-contact promise), accepted, started, and history."""
        lists = await services.provider_enrolments(current_user, int(current_user.provider))
        return Template("pages/provider_area/enrolments.html", context={
            "lists": lists, "done": done if done in services.TRANSITIONS else None, "ref": (ref or "")[:20],
            "today": services.today()})

    @post("/{reference:str}/accept", name="provider:enrolment_accept")
    async def accept(self, reference: FromPath[str], current_user: NamedDependency[User]) -> Redirect:
        """Accept a chosen enrolment."""
        await services.accept(current_user, reference)
        return _done("accept", reference)

    @get("/{reference:str}/decline", name="provider:enrolment_decline_form")
    async def decline_form(self, reference: FromPath[str], current_user: NamedDependency[User]) -> Template:
        """Ask for the reason before declining."""
        row = await services.provider_enrolment(current_user, reference)
        return Template("pages/provider_area/enrolments_decline.html", context={
            "e": row, "form": {"reason": ""}, "errors": [], "field_errors": {}})

    @post("/{reference:str}/decline", name="provider:enrolment_decline")
    async def decline(self, request: Request[Any, Any, Any], reference: FromPath[str],
                      current_user: NamedDependency[User]) -> Template | Redirect:
        """Decline with a reason (required; the citizen sees it)."""
        form = await request.form()
        reason = text_of(form, "reason", 2000)
        try:
            await services.decline(current_user, reference, reason)
        except InvalidInput as exc:
            row = await services.provider_enrolment(current_user, reference)
            return Template("pages/provider_area/enrolments_decline.html", status_code=400, context={
                "e": row, "form": {"reason": reason}, **error_context(exc, _lang(request))})
        return _done("decline", reference)

    @post("/{reference:str}/start", name="provider:enrolment_start")
    async def start(self, reference: FromPath[str], current_user: NamedDependency[User]) -> Redirect:
        """Mark an accepted enrolment as started."""
        await services.start(current_user, reference)
        return _done("start", reference)

    @post("/{reference:str}/end", name="provider:enrolment_end")
    async def end(self, reference: FromPath[str], current_user: NamedDependency[User]) -> Redirect:
        """Mark a started enrolment as ended."""
        await services.end(current_user, reference)
        return _done("end", reference)


def _done(action: str, reference: str) -> Redirect:
    return Redirect("/provider/enrolments?" + urlencode({"done": action, "ref": reference}), status_code=303)
