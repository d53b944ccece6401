"""Passwords are argon2id hashes with today's parameters; old hashes are upgraded at login."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from marketplace.accounts.passwords import HASHER, check_strength, hash_password, verify_password
from marketplace.accounts.tables import User
from marketplace.errors import InvalidInput

from .support import PASSWORD, login, make_user


async def test_a_stored_password_is_an_argon2id_hash_with_the_current_parameters() -> None:
    user = await make_user("citizen")
    stored = await User.select(User.password_hash).where(User.id == user.id).first()
    p = HASHER
    assert stored["password_hash"].startswith(
        f"$argon2id$v=19$m={p.memory_cost},t={p.time_cost},p={p.parallelism}$"
    )
    assert PASSWORD not in stored["password_hash"]


async def test_verify_accepts_the_password_and_rejects_another() -> None:
    hashed = await hash_password(PASSWORD)
    assert await verify_password(hashed, PASSWORD) == (True, None)
    assert await verify_password(hashed, PASSWORD + "x") == (False, None)


async def test_login_rehashes_a_hash_made_with_old_parameters(client) -> None:
    user = await make_user("citizen")
    old_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    await User.update({User.password_hash: old_hash}).where(User.id == user.id)

    response = await login(client, user.email)

    assert response.status_code == 303
    new_hash = (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"]
    assert new_hash != old_hash
    assert not HASHER.check_needs_rehash(new_hash)
    assert HASHER.verify(new_hash, PASSWORD)


@pytest.mark.parametrize("password", ["kort", "elleve tegn"])
def test_passwords_shorter_than_12_characters_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_strength(password)
    assert exc.value.field == "password"
    assert "mindst 12 tegn" in exc.value.da
