"""The `marketplace` command (the public contract in DESIGN.md).

    marketplace run           the portal with everything it needs, on the embedded defaults
    marketplace seed-demo     demo data (only into an empty database)
    marketplace reindex       build a fresh search index from the database and swap it in
    marketplace migrate       apply database migrations
    marketplace create-user   a user (authority, citizen or provider member) with a password
    marketplace import-outcomes FILE.csv   import finished courses (all or nothing), recompute results
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Any, Callable, Iterator

import click

from marketplace.settings import get_settings


def _say(da: str, en: str) -> None:
    click.echo(f"{da} / {en}", err=True)


def _phase_progress() -> Callable[[str, int, int], None]:
    """A progress reporter for long steps: one line per phase, updated in place on a terminal;
    elsewhere (a log, a pipe) a line at the start, at each further tenth and at the end."""
    printed: dict[str, int] = {}  # phase → the last tenth printed (not on a terminal)

    def report(phase: str, done: int, total: int) -> None:
        tty = sys.stderr.isatty()
        tenth = 10 * done // max(total, 1)
        if not tty and done < total and done != 0 and tenth <= printed.get(phase, -1):
            return
        printed[phase] = tenth
        pct = 100 * done // max(total, 1)
        click.echo(f"  {phase}: {done}/{total} ({pct} %)", err=True, nl=False)
        click.echo("\n" if done >= total or not tty else "\r", err=True, nl=False)
    return report


@contextlib.contextmanager
def search_server() -> Iterator[Any]:
    """MEILI_URL when given; otherwise start the embedded Meilisearch and stop it afterwards."""
    settings = get_settings()
    if not settings.meili_embedded:
        yield None
        return
    from search.server import MeiliServer

    server = MeiliServer(data_dir=settings.data_dir / "meilisearch")
    _say("Starter Meilisearch", "Starting Meilisearch")
    server.start()
    os.environ["MEILI_URL"], os.environ["MEILI_MASTER_KEY"] = server.url, server.master_key
    os.environ["MEILI_TARGET"] = "embedded"  # the port changes per run; the delivery cursor must not
    get_settings.cache_clear()
    try:
        yield server
    finally:
        _say("Stopper Meilisearch", "Stopping Meilisearch")
        server.stop()


def _engine():
    from search.client import SearchEngine

    s = get_settings()
    return SearchEngine(s.meili_url, s.meili_master_key, s.meili_index, target_name=s.meili_target or None)


async def _with_db(coro_fn: Callable[[], Any]) -> Any:
    from marketplace.db import close_database, open_database

    await open_database()
    try:
        return await coro_fn()
    finally:
        await close_database()


async def _sync_index(full: bool) -> None:
    """Bring the index up to date: a full rebuild when asked or when the index looks wrong,
    else deliver the outbox backlog."""
    from search import sync

    engine = _engine()
    if full or await sync.rebuild_reason(engine):
        _say("Bygger søgeindeks", "Building the search index")
        report = _phase_progress()
        n = await sync.rebuild(engine, progress=lambda d, t: report("indeks/index", d, t))
        _say(f"{n} aktører i indekset", f"{n} providers indexed")
    delivered = await sync.drain_all(engine)
    if delivered:
        _say(f"{delivered} ændringer leveret til søgningen", f"{delivered} changes delivered to search")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Godkendte aktører – the approved-provider marketplace portal."""


@main.command()
@click.option("--demo/--no-demo", default=True, show_default=True, help="Load demo data into an empty database.")
@click.option("--workers", default=1, show_default=True, help="Server processes (uvicorn workers).")
def run(demo: bool, workers: int) -> None:
    """Run the portal with everything it needs, on the embedded defaults."""
    import uvicorn

    from marketplace.bootstrap import prepare_database

    # uvicorn re-raises SIGTERM after its graceful shutdown; make that a normal exit so the
    # Meilisearch we started is stopped by search_server()'s cleanup.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    settings = get_settings()
    _say("Forbereder databasen", "Preparing the database")
    counts = asyncio.run(_with_db(lambda: prepare_database(demo=demo, progress=_phase_progress())))
    if counts:
        _say(f"Demodata indlæst: {counts}", f"Demo data loaded: {counts}")
    with search_server():
        asyncio.run(_with_db(lambda: _sync_index(full=False)))
        _say(f"Portalen kører på http://{settings.host}:{settings.port}  (Ctrl-C stopper)",
             f"The portal runs on http://{settings.host}:{settings.port}  (Ctrl-C stops)")
        if workers > 1:
            uvicorn.run("marketplace.asgi:app", host=settings.host, port=settings.port, workers=workers,
                        log_level="warning", access_log=False)
        else:
            from marketplace.app import create_app

            uvicorn.run(create_app(), host=settings.host, port=settings.port, log_level="warning", access_log=False)


@main.command("seed-demo")
def seed_demo_cmd() -> None:
    """Load the demo data (deterministic) into an empty database."""
    from marketplace.bootstrap import prepare_database

    counts = asyncio.run(_with_db(lambda: prepare_database(demo=True, progress=_phase_progress())))
    if counts is None:
        _say("Databasen har allerede aktører – intet ændret", "The database already has providers – nothing changed")
    else:
        _say(f"Demodata indlæst: {counts}", f"Demo data loaded: {counts}")


@main.command()
def reindex() -> None:
    """Build a fresh search index from the database and swap it in (no downtime)."""
    with search_server():
        asyncio.run(_with_db(lambda: _sync_index(full=True)))


@main.command()
def migrate() -> None:
    """Apply the database migrations."""
    from marketplace.bootstrap import migrate as run_migrations

    asyncio.run(_with_db(run_migrations))
    _say("Databasen er opdateret", "The database is up to date")


@main.command("import-outcomes")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--check", is_flag=True, help="Only check the file and report; apply nothing.")
def import_outcomes_cmd(file: str, check: bool) -> None:
    """Import finished courses from a UTF-8 CSV (all or nothing) and recompute the results.

    Bad lines are listed (line, field, message) and nothing is applied: exit code 1. Results
    reach the search index through the outbox (the running portal delivers them)."""
    from marketplace.errors import DomainError
    from marketplace.outcomes.importer import (
        OutcomeFileRejected, format_report, import_outcomes, validate_outcome_file,
    )

    progress = _phase_progress()
    try:
        if check:
            report = asyncio.run(_with_db(lambda: validate_outcome_file(file, progress=progress)))
            if not report.ok:
                raise OutcomeFileRejected(report)
            click.echo(f"Filen er i orden: {report.rows} forløb / The file is valid: {report.rows} courses")
            return
        summary = asyncio.run(_with_db(lambda: import_outcomes(file, actor_label="cli", progress=progress)))
    except OutcomeFileRejected as exc:
        click.echo(f"{exc.da} / {exc.en}")
        for line in format_report(exc.report):
            click.echo(line)
        sys.exit(1)
    except DomainError as exc:
        click.echo(f"{exc.da} / {exc.en}")
        sys.exit(1)
    click.echo(f"Indlæst / imported (import {summary.import_id}): {summary.rows} rækker/rows – "
               f"{summary.new} nye/new, {summary.changed} rettede/changed, {summary.unchanged} uændrede/unchanged")
    if summary.providers_recomputed is None:
        click.echo("Ingen ændringer – resultaterne er ikke genberegnet / No changes – results not recomputed")
    else:
        click.echo(f"Resultater genberegnet for {summary.providers_recomputed} aktører / "
                   f"results recomputed for {summary.providers_recomputed} providers")


def _read_password() -> str:
    """Twice, hidden, on a terminal; else the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Adgangskode / Password", hide_input=True,
                            confirmation_prompt="Gentag adgangskoden / Repeat the password")
    return sys.stdin.readline().rstrip("\r\n")


@main.command("create-user")
@click.option("--role", type=click.Choice(["authority", "citizen", "provider"]), required=True,
              help="The user's one role.")
@click.option("--email", required=True, help="Login name (stored lower-case).")
@click.option("--name", "display_name", default="", help="Name shown in the portal.")
@click.option("--provider-cvr", default=None, help="CVR number of the provider (role provider only).")
def create_user_cmd(role: str, email: str, display_name: str, provider_cvr: str | None) -> None:
    """Create a user. The password is asked twice on a terminal, else read from the first line of
    standard input (at least 12 characters). The creation is written to the audit log."""
    from marketplace.accounts.passwords import check_strength
    from marketplace.accounts.services import check_email, create_user, provider_id_for_cvr
    from marketplace.errors import DomainError

    if (role == "provider") != bool(provider_cvr):
        raise click.UsageError("--provider-cvr hører til --role provider (og er krævet der) / "
                               "--provider-cvr goes with --role provider (and is required there)")
    try:
        email = check_email(email)
        password = _read_password()
        check_strength(password, email=email)
    except DomainError as exc:
        raise click.ClickException(f"{exc.da} / {exc.en}") from None

    async def create() -> object:
        provider_id = await provider_id_for_cvr(provider_cvr) if provider_cvr else None
        return await create_user(email=email, password=password, role=role, display_name=display_name,
                                 provider_id=provider_id, actor=None, actor_label="cli")

    try:
        user = asyncio.run(_with_db(create))
    except DomainError as exc:
        raise click.ClickException(f"{exc.da} / {exc.en}") from None
    _say(f"Bruger oprettet: {email} ({role}, id {user.id})",  # type: ignore[attr-defined]
         f"User created: {email} ({role}, id {user.id})")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
