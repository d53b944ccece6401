"""Account use cases: creating users (the CLI today, provider registration later).

    user = await create_user(email="a@kommune.dk", password=…, role="authority", display_name="Anna",
                             actor=None, actor_label="cli")
"""
from __future__ import annotations

from marketplace.accounts.passwords import check_strength, hash_password
from marketplace.accounts.tables import User
from marketplace.audit import services as audit
from marketplace.db import write_transaction
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.providers.tables import Provider

ROLES = tuple(role.value for role in User.Role)


def normalise_email(email: str) -> str:
    """E-mail addresses are compared and stored trimmed and lower-case."""
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    """The normalised address, or InvalidInput when it cannot be an e-mail address."""
    email = normalise_email(email)
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise InvalidInput("email", "Indtast en gyldig e-mail-adresse – fx navn@kommune.dk.",
                           "Enter a valid e-mail address – e.g. name@example.dk.")
    return email


async def provider_id_for_cvr(cvr: str) -> int:
    """The id of the provider with this CVR number; NotFound otherwise."""
    row = await Provider.select(Provider.id).where(Provider.cvr == cvr.strip()).first()
    if row is None:
        raise NotFound(f"Ingen aktør med CVR-nummer {cvr}.", f"No provider with CVR number {cvr}.")
    return int(row["id"])


async def create_user(
    *,
    email: str,
    password: str,
    role: str,
    display_name: str = "",
    provider_id: int | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> User:
    """Create an active user with an argon2id password hash and audit it (`user.created`).
    Provider members need `provider_id`; other roles must not have one. Refuses weak passwords
    (InvalidInput on `password`) and an e-mail already in use (Conflict)."""
    email = check_email(email)
    if role not in ROLES:
        raise InvalidInput("role", f"Ukendt rolle: {role}.", f"Unknown role: {role}.")
    if (role == User.Role.provider.value) != (provider_id is not None):
        raise InvalidInput("provider", "En aktør-bruger skal høre til én aktør (og kun aktør-brugere).",
                           "A provider user must belong to one provider (and only provider users).")
    check_strength(password, email=email)
    password_hash = await hash_password(password)
    async with write_transaction():
        if await User.exists().where(User.email == email):
            raise Conflict(f"Der findes allerede en bruger med e-mail {email}.",
                           f"A user with e-mail {email} already exists.")
        user = User(email=email, password_hash=password_hash, role=role, display_name=display_name.strip(),
                    provider=provider_id, active=True)
        await user.save()
        await audit.record(actor, "user.created", "user", user.id, after={
            "email": email, "role": role, "display_name": user.display_name, "provider": provider_id,
        }, actor_label=actor_label)
    return user


async def record_logout(user: User) -> None:
    """Audit a logout (`logout`)."""
    async with write_transaction():
        await audit.record(user, "logout", "user", user.id)
