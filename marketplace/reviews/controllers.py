"""Pages for experiences (oplevelser): the citizen's answer, the authority's moderation, the
provider's reply.

    /me/enrolments/{ref}/review          "Følte du dig hjulpet?" 1–5 and optional text (create / edit)
    /providers/{slug}/review             from a provider page: to the citizen's review form there
    /authority/reviews                   texts waiting for moderation: publish or reject with a reason
    /provider/reviews                    the provider's reviews and its one public reply to each

Every change is a POST (CSRF) with a 303 redirect; bad input re-renders the page with the typed
values and the DKFDS error summary.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from marketplace.accounts.guards import requires_authority, requires_citizen, requires_provider
from marketplace.accounts.tables import User
from marketplace.enrolments.forms import text_of
from marketplace.errors import InvalidInput, error_context
from marketplace.reviews import services
from marketplace.web.i18n import lang_of


def _review_context(page: services.ReviewForm, form: dict[str, Any] | None = None) -> dict[str, Any]:
    review = page.review
    typed = form or {"rating": str(review["rating"]) if review else "", "text": review["text"] if review else ""}
    return {"page": page, "e": page.enrolment, "review": review, "form": typed, "errors": [], "field_errors": {},
            "max_chars": services.MAX_TEXT_CHARS}


class CitizenReviewController(Controller):
    """The citizen's answer about one of their own started enrolments."""

    path = "/me/enrolments/{reference:str}/review"
    guards = [requires_citizen]
    include_in_schema = False

    @get("/", name="me:review")
    async def form(self, reference: FromPath[str], current_user: NamedDependency[User],
                   saved: FromQuery[str | None] = None) -> Template:
        """The form: empty the first time, the saved answer afterwards (editable)."""
        page = await services.review_form(current_user.id, reference)
        return Template("pages/me/review.html", context={**_review_context(page), "saved": saved == "1"},
                        status_code=200 if page.can_review else 409)

    @post("/", name="me:review_create")
    async def create(self, request: Request[Any, Any, Any], reference: FromPath[str],
                     current_user: NamedDependency[User]) -> Template | Redirect:
        """Save the first answer."""
        return await _save(request, reference, current_user, services.write_review)

    @post("/edit", name="me:review_edit")
    async def edit(self, request: Request[Any, Any, Any], reference: FromPath[str],
                   current_user: NamedDependency[User]) -> Template | Redirect:
        """Change the answer (a changed text goes back to moderation)."""
        return await _save(request, reference, current_user, services.edit_review)


async def _save(request: Request[Any, Any, Any], reference: str, user: User, use_case: Any) -> Template | Redirect:
    form = await request.form()
    typed = {"rating": text_of(form, "rating", 10), "text": str(form.get("text") or "")[: services.MAX_TEXT_CHARS * 2]}
    try:
        await use_case(user, reference, rating=typed["rating"], text=typed["text"])
    except InvalidInput as exc:
        page = await services.review_form(user.id, reference)
        return Template("pages/me/review.html", status_code=400, context={
            **_review_context(page, typed), "saved": False, **error_context(exc, lang_of(request))})
    except services.RateLimited as exc:
        page = await services.review_form(user.id, reference)
        return Template("pages/me/review.html", status_code=429, context={
            **_review_context(page, typed), "saved": False, "limited": exc.message(lang_of(request))})
    return Redirect(f"/me/enrolments/{reference}/review?saved=1", status_code=303)


@get("/providers/{slug:str}/review", name="reviews:for_provider", guards=[requires_citizen], include_in_schema=False)
async def review_for_provider(slug: FromPath[str], current_user: NamedDependency[User]) -> Template | Redirect:
    """From a provider's page: the citizen's review form for their newest started course there, or
    a page that says when one can tell about a provider."""
    reference = await services.latest_reviewable(current_user.id, slug)
    if reference:
        return Redirect(f"/me/enrolments/{reference}/review")
    return Template("pages/me/review_none.html", context={"slug": slug[:120]}, status_code=409)


class AuthorityReviewController(Controller):
    """/authority/reviews: texts waiting for moderation."""

    path = "/authority/reviews"
    guards = [requires_authority]
    include_in_schema = False

    @get("/", name="authority:reviews")
    async def queue(self, done: FromQuery[str | None] = None) -> Template:
        """Pending texts, oldest first, each with "publish" and "reject with a reason"."""
        return Template("pages/authority/reviews.html", context={
            "pending": await services.pending_reviews(), "done": done if done in ("approved", "rejected") else None,
            "errors": [], "field_errors": {}, "form": {}})

    @post("/{review_id:int}/approve", name="authority:review_approve")
    async def approve(self, request: Request[Any, Any, Any], review_id: FromPath[int],
                      current_user: NamedDependency[User]) -> Redirect:
        """Publish the text the moderator read."""
        form = await request.form()
        await services.approve_text(current_user, review_id, text_of(form, "text_hash", 64))
        return Redirect("/authority/reviews?done=approved", status_code=303)

    @post("/{review_id:int}/reject", name="authority:review_reject")
    async def reject(self, request: Request[Any, Any, Any], review_id: FromPath[int],
                     current_user: NamedDependency[User]) -> Template | Redirect:
        """Reject the text with a reason the citizen sees."""
        form = await request.form()
        reason = text_of(form, "reason", 2000)
        try:
            await services.reject_text(current_user, review_id, text_of(form, "text_hash", 64), reason)
        except InvalidInput as exc:
            return Template("pages/authority/reviews.html", status_code=400, context={
                "pending": await services.pending_reviews(), "done": None, "form": {f"reason-{review_id}": reason},
                **error_context(exc, lang_of(request))})
        return Redirect("/authority/reviews?done=rejected", status_code=303)


class ProviderReviewController(Controller):
    """/provider/reviews: the provider's reviews and replies."""

    path = "/provider/reviews"
    guards = [requires_provider]
    include_in_schema = False

    @get("/", name="provider:reviews")
    async def list_reviews(self, current_user: NamedDependency[User], done: FromQuery[str | None] = None) -> Template:
        """Ratings, published texts, and a reply form where no reply has been given."""
        return Template("pages/provider_area/reviews.html", context={
            "reviews": await services.provider_reviews(current_user, int(current_user.provider)),
            "done": done == "replied", "errors": [], "field_errors": {}, "form": {}})

    @post("/{review_id:int}/reply", name="provider:review_reply")
    async def reply(self, request: Request[Any, Any, Any], review_id: FromPath[int],
                    current_user: NamedDependency[User]) -> Template | Redirect:
        """The one public reply."""
        form = await request.form()
        text = str(form.get("reply") or "")[: services.MAX_TEXT_CHARS * 2]
        try:
            await services.reply(current_user, review_id, text)
        except InvalidInput as exc:
            return Template("pages/provider_area/reviews.html", status_code=400, context={
                "reviews": await services.provider_reviews(current_user, int(current_user.provider)), "done": False,
                "form": {f"reply-{review_id}": text}, **error_context(exc, lang_of(request))})
        return Redirect("/provider/reviews?done=replied", status_code=303)
