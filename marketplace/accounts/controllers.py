"""Login and logout pages, and /account/password for any logged-in user.

The role areas' landing pages live with their domains (/me in enrolments, /provider in providers'
self-service, /authority in authority), each with `guards=[requires_…]`; `area_check` closes the
areas in any case.
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
from marketplace.accounts.guards import get_current_user, requires_login, role_of
from marketplace.accounts.passwords import MAX_LENGTH
from marketplace.accounts.sessions import HOME_BY_ROLE, end_session, start_session
from marketplace.accounts.tables import User
from marketplace.errors import InvalidInput, NotFound, error_context
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


PASSWORD_FIELDS = ("current_password", "new_password", "new_password_repeat")


def _password_page(user: User, *, done: bool = False, errors: dict[str, Any] | None = None,
                   status: int = 200) -> Template:
    """The form; `errors` is `error_context` of a refused change."""
    return Template("pages/account_password.html", status_code=status, context={
        "user": user, "home": HOME_BY_ROLE.get(role_of(user), "/"), "done": done,
        **(errors or {"errors": [], "field_errors": {}}),
    })


class AccountController(Controller):
    """/account/password: any logged-in user changes their password (a password login only)."""

    path = "/account"
    guards = [requires_login]
    include_in_schema = False

    @get("/password", name="account:password")
    async def password_form(self, current_user: NamedDependency[User], done: FromQuery[str | None] = None) -> Template:
        """The form: the current password, the new one twice."""
        return _password_page(current_user, done=done == "1")

    @post("/password", name="account:password_submit")
    async def change_password(self, request: Request[Any, Any, Any], current_user: NamedDependency[User]) -> Template | Redirect:
        """Change it; the passwords are never sent back. The other sessions end, this one is renewed."""
        if not isinstance(LOGIN_PROVIDER, PasswordLogin):
            raise NotFound("Adgangskoder skiftes ikke her.", "Passwords are not changed here.")
        form = await request.form()
        typed = {name: str(form.get(name) or "")[:MAX_LENGTH + 1] for name in PASSWORD_FIELDS}
        try:
            user = await LOGIN_PROVIDER.change_password(
                current_user, current=typed["current_password"], new=typed["new_password"],
                repeat=typed["new_password_repeat"], address=client_address(request))
        except InvalidInput as exc:
            return _password_page(current_user, errors=error_context(exc, lang_of(request)), status=400)
        start_session(request, user)
        return Redirect("/account/password?done=1", status_code=303, cookies=fresh_csrf_cookie(request))

