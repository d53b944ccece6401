"""Login: one interface, so MitID / NemLog-in (OIDC) can replace local passwords later without
touching the rest. Everything after login (sessions, guards, `current_user`) only sees a `User`.

    LoginProvider        the protocol: authenticate(email, password, address) -> User
    PasswordLogin        local e-mail + argon2id password, rate-limited

The seam for MitID is `marketplace.accounts.sessions.start_session(request, user)`: an OIDC callback
handler that has resolved the `User` (e.g. by the NemLog-in subject) calls it exactly as the
password form does, and nothing after it changes. The login page uses the module-level
`marketplace.accounts.controllers.LOGIN_PROVIDER`.

The answer to a failed login is always the same `LoginFailed` ("Forkert e-mail eller adgangskode.")
whether the account is unknown, inactive, has no password, the password is wrong or the attempt is
refused by the rate limit; and it takes about as long (an unknown account is checked against a dummy
hash). Rate limit: at most `max_per_account` failures per e-mail and `max_per_address` failures per
client address within `window` (default 5 and 20 per 15 minutes). Each attempt is counted *before*
its password is checked, so a burst of parallel guesses cannot slip past the limit; a successful
login clears the failures of its account. Successes and failures are audited.

`PasswordLogin.change_password` gives a logged-in user a new password. The current one is checked
as a login attempt under the same limits, so a stolen session is no way to guess it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol

from marketplace.accounts.passwords import burn_verification, check_strength, hash_password, verify_password
from marketplace.accounts.services import normalise_email
from marketplace.accounts.tables import LoginAttempt, User
from marketplace.audit import services as audit
from marketplace.db import write_transaction
from marketplace.errors import DomainError, InvalidInput, collect

FAILED_DA = "Forkert e-mail eller adgangskode."
FAILED_EN = "Wrong e-mail or password."


class LoginFailed(DomainError):
    """The one answer to every failed login."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__(FAILED_DA, FAILED_EN)


class LoginProvider(Protocol):
    """Something that turns what the visitor presented into a `User`, or raises `LoginFailed`."""

    async def authenticate(self, email: str, password: str, address: str) -> User:
        """The active user these credentials belong to; `LoginFailed` otherwise. `address` is the
        client's IP address (rate limiting and the audit log)."""
        ...


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _label(email: str) -> str:
    """What the audit log may say about a typed e-mail (a password typed into the e-mail field
    must not end up in the log)."""
    return email[:254] if "@" in email and " " not in email else "(ugyldig e-mail)"


class PasswordLogin:
    """Local accounts: e-mail and an argon2id password hash, rate-limited per account and address."""

    def __init__(
        self, *, max_per_account: int = 5, max_per_address: int = 20, window: timedelta = timedelta(minutes=15)
    ) -> None:
        self.max_per_account = max_per_account
        self.max_per_address = max_per_address
        self.window = window

    async def _reserve_attempt(self, email: str, address: str) -> bool:
        """Count this attempt as a failure unless it turns out right; False when over the limit."""
        since = _now() - self.window
        async with write_transaction():
            await LoginAttempt.delete().where(LoginAttempt.at < since)
            per_account = await LoginAttempt.count().where(LoginAttempt.email == email)
            per_address = await LoginAttempt.count().where(LoginAttempt.address == address)
            if per_account >= self.max_per_account or per_address >= self.max_per_address:
                return False
            await LoginAttempt(email=email, address=address, at=_now()).save()
        return True

    async def authenticate(self, email: str, password: str, address: str) -> User:
        """See `LoginProvider.authenticate`."""
        email = normalise_email(email)[:254]
        address = (address or "unknown")[:64]
        allowed = await self._reserve_attempt(email, address)
        user = await User.objects().where(User.email == email).first()
        ok, new_hash = await self._verify(user, password, allowed)
        if not ok or user is None:
            reason = ("rate_limited" if not allowed else "unknown_user" if user is None else "inactive"
                      if not user.active else "no_password" if not user.password_hash else "wrong_password")
            async with write_transaction():
                await audit.record(None, "login.failed", "user", user.id if user else None,
                                   after={"email": _label(email), "address": address, "reason": reason},
                                   actor_label=_label(email))
            raise LoginFailed()
        async with write_transaction():
            await LoginAttempt.delete().where(LoginAttempt.email == email)
            values = {User.last_login_at: _now()}
            if new_hash:
                values[User.password_hash] = new_hash
            await User.update(values).where(User.id == user.id)  # type: ignore[arg-type]
            await audit.record(user, "login.succeeded", "user", user.id,
                               after={"address": address, "parameters_upgraded": bool(new_hash)})
        if new_hash:
            user.password_hash = new_hash
        return user

    @staticmethod
    async def _verify(user: User | None, password: str, allowed: bool) -> tuple[bool, str | None]:
        """(right, new hash or None) for an attempt already counted; an attempt that cannot succeed
        (over the limit, unknown or inactive user, no password) costs as much as one that can."""
        if allowed and user is not None and user.active and user.password_hash:
            return await verify_password(user.password_hash, password)
        await burn_verification()
        return False, None

    async def change_password(self, user: User, *, current: str, new: str, repeat: str, address: str) -> User:
        """Give a logged-in user a new password. The current one must be right (rate-limited as a
        login), the new one strong (`check_strength`), different and typed twice alike; every problem
        is reported at once (InvalidInputs on `current_password`, `new_password`, `new_password_repeat`)
        and nothing changes. Audited (`password.changed`; `password.change_failed` for a wrong current
        password). Returns the user with the new hash: sessions started with the old one end at their
        next request (`sessions.password_fingerprint`), so the caller starts a fresh one."""
        address = (address or "unknown")[:64]
        email = normalise_email(user.email)[:254]
        current_ok, _ = await self._verify(user, current, await self._reserve_attempt(email, address))
        async with write_transaction():
            if current_ok:  # as after a successful login: the attempt was not a failure
                await LoginAttempt.delete().where(LoginAttempt.email == email)
            else:
                await audit.record(user, "password.change_failed", "user", user.id,
                                   after={"address": address, "reason": "wrong_current_password"})
        problems: list[InvalidInput] = []
        if not current_ok:
            problems.append(InvalidInput(
                "current_password", "Den nuværende adgangskode er forkert. Efter for mange forkerte forsøg skal du "
                "vente et kvarter.", "The current password is wrong. After too many wrong attempts you must wait "
                "a quarter of an hour."))
        try:
            check_strength(new, email=user.email)
        except InvalidInput as exc:
            problems.append(InvalidInput("new_password", exc.da, exc.en))
        else:
            if new == current:
                problems.append(InvalidInput("new_password", "Vælg en anden adgangskode end den nuværende.",
                                             "Choose a password other than the current one."))
        if new != repeat:
            problems.append(InvalidInput("new_password_repeat", "Skriv den samme nye adgangskode to gange.",
                                         "Type the same new password twice."))
        collect(*problems)
        new_hash = await hash_password(new)
        async with write_transaction():
            await User.update({User.password_hash: new_hash}).where(User.id == user.id)  # type: ignore[arg-type]
            await audit.record(user, "password.changed", "user", user.id, after={"address": address})
        user.password_hash = new_hash
        return user
