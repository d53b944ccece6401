"""Login and logout pages, and the landing page of each role's area (/me, /provider, /authority).

The areas' landing pages are minimal on purpose: they prove the guards and show who is logged in.
The engineers who build an area replace its handler here (or drop it from `ROUTE_HANDLERS`) and keep
`guards=[requires_…]` on their controllers; `area_check` closes the areas in any case.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.middleware.csrf import generate_csrf_token
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from marketplace.accounts import services
from marketplace.accounts.auth import LoginFailed, LoginProvider, PasswordLogin
from marketplace.accounts.guards import (
    get_current_user, requires_authority, requires_citizen, requires_provider, role_of,
)
from marketplace.accounts.sessions import HOME_BY_ROLE, end_session, start_session
from marketplace.accounts.tables import User
from marketplace.providers.tables import Provider
from marketplace.web.i18n import lang_of, translate

LOGIN_PROVIDER: LoginProvider = PasswordLogin()


def safe_next(value: str | None) -> str | None:
    """`value` when it is a relative path on this site (never another host, never the login pages)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "/logout")):
        return None
    return value


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's IP address (uvicorn puts the proxy's X-Forwarded-For here when trusted)."""
    return request.client.host if request.client else "unknown"


def fresh_csrf_cookie(request: Request[Any, Any, Any]) -> list[Cookie]:
    """A new CSRF token at login, like the new session id."""
    config = request.app.csrf_config
    if config is None:
        return []
    return [Cookie(key=config.cookie_name, value=generate_csrf_token(config.secret), path=config.cookie_path,
                   secure=config.cookie_secure, httponly=config.cookie_httponly, samesite=config.cookie_samesite,
                   domain=config.cookie_domain)]


def _login_page(*, email: str = "", next_path: str | None = None, errors: dict[str, str] | None = None,
                failed: bool = False, logged_out: bool = False, status: int = 200) -> Template:
    errors = errors or {}
    return Template("pages/login.html", status_code=status, context={
        "email": email, "next": next_path or "", "field_errors": errors, "errors": list(errors.items()),
        "failed": failed, "logged_out": logged_out,
    })


class LoginPageController(Controller):
    """/login and /logout."""

    include_in_schema = False

    @get("/login", name="accounts:login")
    async def login_form(self, next: FromQuery[str | None] = None, out: FromQuery[str | None] = None) -> Template:
        """The login form (e-mail and password)."""
        return _login_page(next_path=safe_next(next), logged_out=out == "1")

    @post("/login", name="accounts:login_submit")
    async def login(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Check the credentials; on success a new session and a 303 to `next` or the role's area."""
        form = await request.form()
        email = str(form.get("email") or "").strip()
        password = str(form.get("password") or "")
        next_path = safe_next(str(form.get("next") or ""))
        lang = lang_of(request)
        errors: dict[str, str] = {}
        if not email:
            errors["email"] = translate("login.email_missing", lang)
        if not password:
            errors["password"] = translate("login.password_missing", lang)
        if errors:
            return _login_page(email=email, next_path=next_path, errors=errors, status=400)
        try:
            user = await LOGIN_PROVIDER.authenticate(email, password, client_address(request))
        except LoginFailed as exc:
            return _login_page(email=email, next_path=next_path, errors={"email": exc.message(lang)},
                               failed=True, status=400)
        start_session(request, user)
        target = next_path or HOME_BY_ROLE.get(role_of(user), "/")
        return Redirect(target, status_code=303, cookies=fresh_csrf_cookie(request))

    @get("/logout", name="accounts:logout_confirm")
    async def logout_confirm(self) -> Template:
        """A small form that asks before logging out (logging out is a POST)."""
        return Template("pages/logout.html")

    @post("/logout", name="accounts:logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session (row deleted, cookie cleared) and say so on the login page."""
        user = await get_current_user(request)
        if user is not None:
            await services.record_logout(user)
        end_session(request)
        return Redirect("/login?out=1", status_code=303)


def _area_page(area: str, user: User, provider_name: str | None = None) -> Template:
    return Template("pages/area.html", context={"area": area, "user": user, "provider_name": provider_name})


@get("/me", name="me:home", guards=[requires_citizen], include_in_schema=False)
async def citizen_home(current_user: NamedDependency[User]) -> Template:
    """The citizen's own page."""
    return _area_page("citizen", current_user)


@get("/provider", name="provider:home", guards=[requires_provider], include_in_schema=False)
async def provider_home(current_user: NamedDependency[User]) -> Template:
    """The provider area's front page."""
    row = await Provider.select(Provider.name).where(Provider.id == current_user.provider).first()
    return _area_page("provider", current_user, row["name"] if row else None)


@get("/authority", name="authority:home", guards=[requires_authority], include_in_schema=False)
async def authority_home(current_user: NamedDependency[User]) -> Template:
    """The authority's back office front page."""
    return _area_page("authority", current_user)
