"""Who may do what: the logged-in user, role guards and object checks.

Guards (Litestar guards: put them on a controller or handler, `guards=[requires_authority]`):

    requires_login       anyone logged in
    requires_citizen     role citizen
    requires_provider    role provider, and a member of some provider
    requires_authority   role authority

App-wide safety net (`area_check`, the app's `before_request`): /me…, /provider…, /authority… (and
/api/me…, /api/provider…, /api/authority…) need the matching role even when a controller forgets
its own guard.

Anonymous → `NotAuthorizedException` (pages: redirect to /login?next=…; /api: 401 JSON).
Wrong role → `PermissionDeniedException` (403 page / JSON).

Dependencies (registered app-wide in `create_app`):

    current_user: User            the logged-in user (raises NotAuthorizedException otherwise)
    optional_user: User | None    the logged-in user or None

Object checks, for services and controllers: `require_own_provider(user, provider_id)`.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from marketplace.accounts.sessions import password_fingerprint, session_data
from marketplace.accounts.tables import User
from marketplace.errors import Forbidden
from marketplace.web.security import refuse_oversized_body

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]

_USER = "marketplace.user"  # the request's user, loaded once, in the ASGI scope
_MISSING = object()

# Path prefix → the role its pages and API need. A prefix matches itself and everything below it
# ("/provider" and "/provider/listing", never "/providers/…").
AREAS: dict[str, str] = {
    "/me": User.Role.citizen.value,
    "/provider": User.Role.provider.value,
    "/authority": User.Role.authority.value,
    "/api/me": User.Role.citizen.value,
    "/api/provider": User.Role.provider.value,
    "/api/authority": User.Role.authority.value,
}


def role_of(user: User) -> str:
    """The user's role as a plain string."""
    return str(getattr(user.role, "value", user.role))


async def get_current_user(connection: ASGIConnection) -> User | None:
    """The logged-in, active user of this request, or None. Read from the database once per
    request. A session whose user was deactivated, changed role or changed password is ended."""
    cached = connection.scope.get(_USER, _MISSING)  # type: ignore[call-overload]
    if cached is not _MISSING:
        return cached  # type: ignore[no-any-return]
    session = session_data(connection)
    uid = session.get("uid")
    user: User | None = None
    if isinstance(uid, int):
        user = await User.objects().where(User.id == uid).first()
        if (user is None or not user.active or role_of(user) != session.get("role")
                or session.get("pw") != password_fingerprint(user)):  # the password changed since login
            user = None
            connection.clear_session()
    connection.scope[_USER] = user  # type: ignore[literal-required]
    return user


def _deny_anonymous() -> NotAuthorizedException:
    return NotAuthorizedException(detail="Log ind for at fortsætte. / Log in to continue.")


def _deny_role() -> PermissionDeniedException:
    return PermissionDeniedException(detail="Du har ikke adgang. / You do not have access.")


async def _require(connection: ASGIConnection, roles: tuple[str, ...]) -> User:
    user = await get_current_user(connection)
    if user is None:
        raise _deny_anonymous()
    role = role_of(user)
    if roles and role not in roles:
        raise _deny_role()
    if role == User.Role.provider.value and user.provider is None:
        raise _deny_role()  # a provider account not (or no longer) attached to a provider
    return user


def requires_role(*roles: str) -> Guard:
    """A guard that lets only the given roles through (anonymous → 401, other roles → 403)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        await _require(connection, roles)

    guard.__name__ = f"requires_{'_or_'.join(roles) or 'login'}"
    return guard


requires_login = requires_role()
requires_citizen = requires_role(User.Role.citizen.value)
requires_provider = requires_role(User.Role.provider.value)
requires_authority = requires_role(User.Role.authority.value)


def area_of(path: str) -> str | None:
    """The role that `path`'s area needs, or None for public paths."""
    for prefix, role in AREAS.items():
        if path == prefix or path.startswith(prefix + "/"):
            return role
    return None


async def area_check(request: Request[Any, Any, Any]) -> None:
    """App-wide, before every route handler: the role areas are closed to everyone else, whatever
    their controllers say; and a body announced over the route's limit is refused (413) on every
    route. It is the app's `before_request` rather than an app-wide guard: Litestar runs it at the
    same point (after the handler's own guards, before the body is read or a dependency resolved),
    but calls each guard with a copy of the route handler, ~15 µs on every request. No layer may
    set a `before_request` of its own, which would replace this one (a test checks every route)."""
    role = area_of(request.scope["path"])
    if role is not None:
        await _require(request, (role,))
    refuse_oversized_body(request, request.route_handler)


def require_own_provider(user: User, provider_id: int, *, allow_authority: bool = False) -> None:
    """Object check: `user` is a member of provider `provider_id` (or, with `allow_authority`, an
    authority user). Raises `Forbidden` (403) otherwise."""
    if allow_authority and role_of(user) == User.Role.authority.value:
        return
    if role_of(user) == User.Role.provider.value and user.provider is not None and int(user.provider) == int(provider_id):
        return
    raise Forbidden("Du har ikke adgang til denne aktør.", "You do not have access to this provider.")


async def provide_current_user(request: Request[Any, Any, Any]) -> User:
    """Dependency `current_user`: the logged-in user; anonymous → NotAuthorizedException."""
    user = await get_current_user(request)
    if user is None:
        raise _deny_anonymous()
    return user


async def provide_optional_user(request: Request[Any, Any, Any]) -> User | None:
    """Dependency `optional_user`: the logged-in user or None."""
    return await get_current_user(request)
