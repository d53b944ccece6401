"""`marketplace create-user`: the password from the first line of standard input (no terminal),
weak passwords refused, an audit entry written; the new user can log in."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from factories import make_provider

from marketplace.accounts.tables import User
from marketplace.audit.tables import AuditEntry

from .support import login

MARKETPLACE = str(Path(sys.executable).with_name("marketplace"))


async def run_cli(*args: str, stdin: str) -> tuple[int, str]:
    """Run the installed `marketplace` command on this run's database (the environment carries it)."""
    process = await asyncio.create_subprocess_exec(
        MARKETPLACE, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env=dict(os.environ),
    )
    out, _ = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
    return process.returncode or 0, out.decode()


async def test_create_user_reads_the_password_from_stdin_and_the_user_can_log_in(client) -> None:
    password = "lang nok adgangskode til myndigheden"
    code, out = await run_cli("create-user", "--role", "authority", "--email", "Myndighed@Test.Invalid",
                              "--name", "Mette Myndighed", stdin=password + "\nanden linje ignoreres\n")

    assert code == 0, out
    assert "myndighed@test.invalid" in out
    user = await User.objects().where(User.email == "myndighed@test.invalid").first()
    assert user.role == "authority" and user.display_name == "Mette Myndighed"
    entry = await AuditEntry.select().where(AuditEntry.action == "user.created").first().output(load_json=True)
    assert entry["actor_label"] == "cli" and entry["actor_id"] is None
    assert password not in str(entry)

    response = await login(client, "myndighed@test.invalid", password=password)
    assert response.status_code == 303 and response.headers["location"] == "/authority"


async def test_create_user_refuses_a_password_shorter_than_12_characters() -> None:
    code, out = await run_cli("create-user", "--role", "authority", "--email", "kort@test.invalid", stdin="kort\n")

    assert code != 0
    assert "mindst 12 tegn" in out
    assert await User.count() == 0


async def test_a_provider_user_names_its_provider_by_cvr() -> None:
    provider = await make_provider()
    missing, out = await run_cli("create-user", "--role", "provider", "--email", "p@test.invalid",
                                 stdin="lang nok adgangskode\n")
    assert missing != 0 and "--provider-cvr" in out

    code, out = await run_cli("create-user", "--role", "provider", "--email", "p@test.invalid",
                              "--provider-cvr", provider["cvr"], stdin="lang nok adgangskode\n")
    assert code == 0, out
    user = await User.objects().where(User.email == "p@test.invalid").first()
    assert user.provider == provider["id"]


async def test_create_user_refuses_an_email_already_in_use() -> None:
    args = ("create-user", "--role", "citizen", "--email", "dobbelt@test.invalid")
    assert (await run_cli(*args, stdin="lang nok adgangskode\n"))[0] == 0
    code, out = await run_cli(*args, stdin="lang nok adgangskode\n")
    assert code != 0 and "findes allerede" in out
