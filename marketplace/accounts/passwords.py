"""Password hashing with argon2id (argon2-cffi's `PasswordHasher`, its current recommended
parameters). Hashing and verifying are CPU- and memory-heavy: the async helpers run them in a
thread, never on the event loop.

    hashed = await hash_password("korrekt hest batteri hæfteklamme")
    ok, new_hash = await verify_password(hashed, typed)   # new_hash: rehashed when parameters changed
"""
from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from litestar.concurrency import sync_to_thread

from marketplace.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1024  # longer input is refused before hashing (hashing megabytes is a cheap DoS)

HASHER = PasswordHasher()  # argon2id with the library's recommended (RFC 9106 low-memory) parameters


def check_strength(password: str, *, email: str = "") -> None:
    """Refuse weak passwords with a message that says what to do."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            "password",
            f"Adgangskoden skal være mindst {MIN_LENGTH} tegn – fx tre eller fire ord i en sætning.",
            f"The password must be at least {MIN_LENGTH} characters – e.g. three or four words in a sentence.",
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput("password", f"Adgangskoden må højst være {MAX_LENGTH} tegn.",
                           f"The password must be at most {MAX_LENGTH} characters.")
    if email and password.strip().lower() == email.strip().lower():
        raise InvalidInput("password", "Adgangskoden må ikke være din e-mail-adresse.",
                           "The password must not be your e-mail address.")


def hash_password_sync(password: str) -> str:
    """An argon2id hash ("$argon2id$v=19$m=…,t=…,p=…$salt$hash")."""
    return HASHER.hash(password)


async def hash_password(password: str) -> str:
    """`hash_password_sync` in a worker thread."""
    return await sync_to_thread(hash_password_sync, password)


def verify_password_sync(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, new hash or None). The new hash is given when the stored one was made with other
    parameters than today's, so the caller can store it."""
    if not stored_hash or len(password) > MAX_LENGTH:
        _burn()  # the same cost as a real verification
        return False, None
    try:
        HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (HASHER.hash(password) if HASHER.check_needs_rehash(stored_hash) else None)


async def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """`verify_password_sync` in a worker thread."""
    return await sync_to_thread(verify_password_sync, stored_hash, password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def _burn() -> None:
    """Verify against a dummy hash: an unknown account costs as much time as a known one."""
    try:
        HASHER.verify(_dummy_hash(), secrets.token_urlsafe(16))
    except VerifyMismatchError:
        pass


async def burn_verification() -> None:
    """`_burn` in a worker thread (for refusals that never reach a real hash)."""
    await sync_to_thread(_burn)
