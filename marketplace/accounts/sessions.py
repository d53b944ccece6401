"""Server-side sessions in the database, with the rules Litestar's stock backend lacks:

- **Only a session that holds something is stored.** An anonymous visitor never gets a session row
  or a session cookie; `request.session` is just an empty dict.
- **A new session id at login** (`start_session`): the old id is deleted from the store and a fresh
  random one is issued, so a planted id is worthless (session fixation).
- **Idle and absolute timeouts, enforced on every request.** The backend keeps two timestamps in
  the session: `_created` (login) and `_seen` (last request, refreshed at most once a minute, so a
  busy visitor does not cost a database write per request). A session idle longer than
  `idle_timeout` or older than `absolute_timeout` is deleted and the request runs as anonymous.
  The row's `expires_at` is the earlier of the two limits, so the store also refuses it and
  `DatabaseStore.delete_expired()` can purge it.
- **Logout ends the session** (`end_session`): the row is deleted and the cookie expired.
- **A new password ends the other sessions**: a session holds a digest of the password hash it was
  started with (`password_fingerprint`), and one that no longer matches the user is ended.
- The cookie is HttpOnly, SameSite=Lax, a browser-session cookie (no Max-Age), and Secure when the
  `secure` setting is on or the request came over HTTPS.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import Message, ScopeSession

    from marketplace.accounts.tables import User

SESSION_COOKIE = "session"
RENEW_INTERVAL = 60  # seconds between writes that only move `_seen` forward
_META = "marketplace.session"  # per-request bookkeeping in the ASGI scope
HOME_BY_ROLE: dict[str, str] = {"citizen": "/me", "provider": "/provider", "authority": "/authority"}
"""Where each role lands after login: its area."""


@dataclass
class _Meta:
    cookie_id: str | None  # the id the browser sent, if any
    raw: bytes | None = None  # the stored bytes as loaded (to tell whether the session changed)
    stale: bool = False  # the cookie pointed at nothing valid: clear it
    rotate: bool = False  # issue a new id (login)


class DatabaseSessionBackend(ServerSideSessionBackend):
    """See the module docstring."""

    config: DatabaseSessionConfig

    def _is_expired(self, data: dict[str, Any], now: float) -> bool:
        created, seen = data.get("_created"), data.get("_seen")
        if not isinstance(created, (int, float)) or not isinstance(seen, (int, float)):
            return True
        return now - seen > self.config.idle_timeout or now - created > self.config.absolute_timeout

    def _remaining(self, data: dict[str, Any], now: float) -> int:
        left = min(self.config.idle_timeout, self.config.absolute_timeout - (now - data["_created"]))
        return max(1, int(left))

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        """The session the cookie names, unless it is missing, unreadable or timed out."""
        cookie_id = connection.cookies.get(self.config.key) or None
        meta = _Meta(cookie_id=None if cookie_id == "null" else cookie_id)
        connection.scope[_META] = meta  # type: ignore[literal-required]
        if meta.cookie_id is None:
            return {}
        store = self.config.get_store_from_app(connection.scope["app"])
        raw = await store.get(meta.cookie_id)
        data: Any = None
        if raw is not None:
            try:
                data = self.deserialize_data(raw)
            except Exception:  # unreadable: treat as gone
                data = None
        if not isinstance(data, dict) or self._is_expired(data, time.time()):
            if raw is not None:
                await store.delete(meta.cookie_id)
            meta.stale = True
            return {}
        meta.raw = raw
        return data

    def get_session_id(self, connection: ASGIConnection) -> str:
        meta: _Meta | None = connection.scope.get(_META)  # type: ignore[assignment]
        if meta is not None and meta.cookie_id and not meta.stale and not meta.rotate:
            return meta.cookie_id
        if meta is not None and meta.cookie_id is None and not meta.rotate:
            return ""  # anonymous: no id until the session holds something (store_in_message makes one)
        return connection.get_session_id() or self.generate_session_id()

    def _cookie(self, connection: ASGIConnection, value: str, **extra: Any) -> str:
        secure = self.config.secure or connection.scope.get("scheme") in ("https", "wss")
        return Cookie(
            key=self.config.key, value=value, path=self.config.path, domain=self.config.domain, secure=secure,
            httponly=True, samesite=self.config.samesite, **extra,
        ).to_header(header="")

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        """Write the session (when it holds something and changed or needs its `_seen` moved) and set
        or clear the cookie."""
        meta: _Meta = connection.scope.get(_META) or _Meta(cookie_id=None)  # type: ignore[assignment]
        store = self.config.get_store_from_app(connection.scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        if scope_session is Empty or not scope_session:
            if meta.cookie_id:
                if not meta.stale:
                    await store.delete(meta.cookie_id)
                headers.add("Set-Cookie", self._cookie(connection, "null", expires=0))
            return
        now = time.time()
        data = dict(scope_session)  # type: ignore[arg-type]
        new = meta.rotate or meta.stale or not meta.cookie_id
        if new:
            if meta.rotate and meta.cookie_id and not meta.stale:
                await store.delete(meta.cookie_id)
            session_id = self.generate_session_id()
            data["_created"] = now
        else:
            session_id = meta.cookie_id  # type: ignore[assignment]
            data.setdefault("_created", now)
            unchanged = self.serialize_data(data, connection.scope) == meta.raw
            if unchanged and now - float(data.get("_seen", 0)) < RENEW_INTERVAL:
                return
        data["_seen"] = now
        await store.set(session_id, self.serialize_data(data, connection.scope), expires_in=self._remaining(data, now))
        if new:
            headers.add("Set-Cookie", self._cookie(connection, session_id))


@dataclass
class DatabaseSessionConfig(ServerSideSessionConfig):
    """`ServerSideSessionConfig` with the timeouts (seconds) and `DatabaseSessionBackend`."""

    _backend_class = DatabaseSessionBackend  # type: ignore[assignment]

    idle_timeout: float = field(default=30 * 60)
    """A session unused this long ends."""
    absolute_timeout: float = field(default=8 * 3600)
    """A session this old (since login) ends, however busy."""


def password_fingerprint(user: User) -> str:
    """A short digest of the user's password hash, kept in the session: when the password changes,
    every session started with the old one stops matching and is ended (`guards.get_current_user`)."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def start_session(connection: ASGIConnection, user: User) -> None:
    """Log `user` in on this connection: the session gets a new id (the old one is deleted) and holds
    who is logged in. Call after a successful `authenticate` (or a password change)."""
    meta: _Meta | None = connection.scope.get(_META)  # type: ignore[assignment]
    if meta is not None:
        meta.rotate = True
    connection.set_session({
        "uid": user.id,
        "role": str(getattr(user.role, "value", user.role)),
        "name": user.display_name or user.email,
        "pw": password_fingerprint(user),
    })


def end_session(connection: ASGIConnection) -> None:
    """Log out: the session row is deleted and the cookie expired when the response is sent."""
    connection.clear_session()


def session_data(connection: ASGIConnection) -> dict[str, Any]:
    """The session as a dict ({} when there is none or the route has no session middleware)."""
    value = connection.scope.get("session")
    return value if isinstance(value, dict) else {}


def signed_in(connection: ASGIConnection | None) -> dict[str, str] | None:
    """Jinja global for the page header: {"name", "role", "home"} of the logged-in visitor, or None.
    Read from the session only (no database query); guards check the user for real."""
    if connection is None:
        return None
    data = session_data(connection)
    if not isinstance(data.get("uid"), int):
        return None
    role = str(data.get("role", ""))
    return {"name": str(data.get("name", "")), "role": role, "home": HOME_BY_ROLE.get(role, "/")}
