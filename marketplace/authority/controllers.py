"""The authority's back office pages (all behind `requires_authority`):

    GET  /authority                              front page: counts and links
    GET  /authority/queue                        pending revisions, oldest first
    GET  /authority/revisions/{id}               diff against the public revision, checklist, decide
    POST /authority/revisions/{id}/approve       → 303 to the queue
    POST /authority/revisions/{id}/reject        → 303 to the queue
    GET  /authority/providers                    providers with status
    GET  /authority/providers/{id}               one provider: revisions, decisions, actions
    POST /authority/providers/{id}/suspend|revoke|reinstate   → 303 to the provider
    GET  /authority/audit                        the audit log, filtered and paginated (read-only)

Each handler is one service call. A refused form (InvalidInput) is shown again with what was typed
and an error summary (400); a decision somebody else made first (Conflict) is shown with the current
state and the message (409).
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from marketplace.accounts.guards import requires_authority
from marketplace.accounts.tables import User
from marketplace.authority import services
from marketplace.errors import Conflict, InvalidInput
from marketplace.providers import decisions, standards
from marketplace.web.i18n import lang_of


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


async def _revision_page(request: Request[Any, Any, Any], revision_id: int, *, ticked: list[str] | None = None,
                         reason: str = "", error: InvalidInput | None = None, conflict: Conflict | None = None,
                         status: int = 200) -> Template:
    lang = lang_of(request)
    review = await services.revision_review(revision_id)
    errors = [(error.field, error.message(lang))] if error else []
    return Template("pages/authority/revision.html", status_code=status, context={
        "lang": lang, "review": review, "standards": standards.STANDARDS, "ticked": set(ticked or []),
        "reason": reason, "errors": errors, "field_errors": dict(errors),
        "conflict": conflict.message(lang) if conflict else None,
    })


async def _provider_page(request: Request[Any, Any, Any], provider_id: int, *, reason: str = "",
                         error: InvalidInput | None = None, conflict: Conflict | None = None,
                         decided: dict[str, Any] | None = None, status: int = 200) -> Template:
    lang = lang_of(request)
    errors = [(error.field, error.message(lang))] if error else []
    detail = await services.provider_detail(provider_id)
    actions = [c for c in decisions.STATUS_CHANGES.values() if detail.provider["status"] in c.allowed_from]
    return Template("pages/authority/provider.html", status_code=status, context={
        "lang": lang, "detail": detail, "reason": reason, "errors": errors, "field_errors": dict(errors),
        "conflict": conflict.message(lang) if conflict else None, "decided": decided, "actions": actions,
    })


class AuthorityPageController(Controller):
    """The authority's back office: queue, review and decisions, providers, audit log."""

    path = "/authority"
    guards = [requires_authority]
    include_in_schema = False

    @get("/", name="authority:home")
    async def home(self, current_user: NamedDependency[User]) -> Template:
        """Front page: what waits (pending revisions, stale listings, flagged results) and links."""
        return Template("pages/authority/home.html", context={
            "area": "authority", "user": current_user, "counts": await services.home_counts(),
        })

    @get("/queue", name="authority:queue")
    async def queue(self, decided: FromQuery[int | None] = None) -> Template:
        """Pending revisions, oldest first; after a decision, says which."""
        summary = await services.decision_summary(decided) if decided else None
        return Template("pages/authority/queue.html", context={
            "queue": await services.pending_revisions(), "decided": summary,
        })

    @get("/revisions/{revision_id:int}", name="authority:revision")
    async def revision(self, request: Request[Any, Any, Any], revision_id: FromPath[int]) -> Template:
        """A revision: field-by-field diff against the public revision, the checklist, decide."""
        return await _revision_page(request, revision_id)

    @post("/revisions/{revision_id:int}/approve", name="authority:revision_approve")
    async def approve(self, request: Request[Any, Any, Any], revision_id: FromPath[int],
                      current_user: NamedDependency[User]) -> Template | Redirect:
        """Approve on a fully confirmed checklist (303 to the queue)."""
        form = await request.form()
        ticked = [str(v) for v in form.getall("standard")] if "standard" in form else []
        reason = str(form.get("reason") or "")
        try:
            decision = await decisions.approve_revision(
                revision_id, by=current_user, checklist=standards.parse_checklist(ticked),
                expected_version=_int(form.get("version")), note=reason)
        except InvalidInput as exc:
            return await _revision_page(request, revision_id, ticked=ticked, reason=reason, error=exc, status=400)
        except Conflict as exc:
            return await _revision_page(request, revision_id, ticked=ticked, reason=reason, conflict=exc, status=409)
        return Redirect(f"/authority/queue?decided={decision['id']}", status_code=303)

    @post("/revisions/{revision_id:int}/reject", name="authority:revision_reject")
    async def reject(self, request: Request[Any, Any, Any], revision_id: FromPath[int],
                     current_user: NamedDependency[User]) -> Template | Redirect:
        """Reject with a required reason (303 to the queue)."""
        form = await request.form()
        ticked = [str(v) for v in form.getall("standard")] if "standard" in form else []
        reason = str(form.get("reason") or "")
        try:
            decision = await decisions.reject_revision(
                revision_id, by=current_user, reason=reason, expected_version=_int(form.get("version")),
                checklist=standards.parse_checklist(ticked))
        except InvalidInput as exc:
            return await _revision_page(request, revision_id, ticked=ticked, reason=reason, error=exc, status=400)
        except Conflict as exc:
            return await _revision_page(request, revision_id, ticked=ticked, reason=reason, conflict=exc, status=409)
        return Redirect(f"/authority/queue?decided={decision['id']}", status_code=303)

    @get("/providers", name="authority:providers")
    async def providers(self, status: FromQuery[str | None] = None, q: FromQuery[str | None] = None,
                        stale: FromQuery[str | None] = None, page: FromQuery[str | None] = None) -> Template:
        """Providers with their status, filterable by status, name / CVR and stale listings."""
        listing = await services.provider_list(status=status or "", q=q or "", stale=bool(stale),
                                               page=_int(page, 1))
        return Template("pages/authority/providers.html", context={
            "listing": listing, "statuses": services.PROVIDER_STATUSES,
        })

    @get("/providers/{provider_id:int}", name="authority:provider")
    async def provider(self, request: Request[Any, Any, Any], provider_id: FromPath[int],
                       decided: FromQuery[int | None] = None) -> Template:
        """One provider: status, revisions, decision history and the status actions."""
        summary = await services.decision_summary(decided) if decided else None
        if summary is not None and summary["provider.id"] != provider_id:
            summary = None
        return await _provider_page(request, provider_id, decided=summary)

    async def _status_change(self, request: Request[Any, Any, Any], provider_id: int, user: User,
                             action: str) -> Template | Redirect:
        form = await request.form()
        reason = str(form.get("reason") or "")
        use_case = {"suspend": decisions.suspend_provider, "revoke": decisions.revoke_provider,
                    "reinstate": decisions.reinstate_provider}[action]
        try:
            decision = await use_case(provider_id, by=user, reason=reason, expected_version=_int(form.get("version")))
        except InvalidInput as exc:
            return await _provider_page(request, provider_id, reason=reason, error=exc, status=400)
        except Conflict as exc:
            return await _provider_page(request, provider_id, reason=reason, conflict=exc, status=409)
        return Redirect(f"/authority/providers/{provider_id}?decided={decision['id']}", status_code=303)

    @post("/providers/{provider_id:int}/suspend", name="authority:provider_suspend")
    async def suspend(self, request: Request[Any, Any, Any], provider_id: FromPath[int],
                      current_user: NamedDependency[User]) -> Template | Redirect:
        """Suspend an active provider with a reason (303 back to the provider)."""
        return await self._status_change(request, provider_id, current_user, "suspend")

    @post("/providers/{provider_id:int}/revoke", name="authority:provider_revoke")
    async def revoke(self, request: Request[Any, Any, Any], provider_id: FromPath[int],
                     current_user: NamedDependency[User]) -> Template | Redirect:
        """Revoke a provider's approval with a reason (303 back to the provider)."""
        return await self._status_change(request, provider_id, current_user, "revoke")

    @post("/providers/{provider_id:int}/reinstate", name="authority:provider_reinstate")
    async def reinstate(self, request: Request[Any, Any, Any], provider_id: FromPath[int],
                        current_user: NamedDependency[User]) -> Template | Redirect:
        """Reinstate a suspended or revoked provider with a reason (303 back to the provider)."""
        return await self._status_change(request, provider_id, current_user, "reinstate")

    @get("/audit", name="authority:audit")
    async def audit(self, request: Request[Any, Any, Any]) -> Template:
        """The audit log, newest first, filtered by action, actor, object and dates (read-only)."""
        query = {k: request.query_params.get(k) or "" for k in (*services.AUDIT_FIELDS, "page")}
        audit_filter, problems = services.parse_audit_filter(query)
        lang = lang_of(request)
        errors = [(e.field, e.message(lang)) for e in problems]
        page = await services.audit_page(audit_filter, page=_int(query["page"], 1))
        return Template("pages/authority/audit.html", status_code=400 if errors else 200, context={
            "page": page, "filter": audit_filter, "errors": errors, "field_errors": dict(errors),
        })
