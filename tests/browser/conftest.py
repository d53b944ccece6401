"""Browser tests: the portal as a real server process (uvicorn, the production entry point) on this
run's database and a fresh index, driven by Debian's Chromium through Playwright."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import IO, AsyncIterator, Iterator

import pytest

from search.client import SearchEngine
from search.server import free_port
from tests.browser.delivery import Delivery, portal_target

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


READY_LINE = "Uvicorn running on"  # uvicorn logs it once the lifespan started and the socket listens
STARTUP_SECONDS = 60


class _Log:
    """Copies the portal's log to this process's stderr (pytest shows it with a failure) and
    tells when uvicorn listens, or when the log ended first (the process exited)."""

    def __init__(self, stream: IO[str]) -> None:
        self.listening = False
        self.settled = threading.Event()  # set at READY_LINE or at the end of the log
        threading.Thread(target=self._forward, args=(stream,), daemon=True).start()

    def _forward(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                sys.stderr.write(line)
                if READY_LINE in line:
                    self.listening = True
                    self.settled.set()
        finally:
            self.settled.set()


@pytest.fixture
def portal(engine: SearchEngine, meili) -> Iterator[str]:
    """The portal served by uvicorn in a subprocess, searching this test's index (its outbox
    worker delivers to it); ready when uvicorn says it listens."""
    port = free_port()
    env = {
        **os.environ,
        "MEILI_URL": meili.url, "MEILI_MASTER_KEY": meili.key, "MEILI_INDEX": engine.index_uid,
        "MEILI_TARGET": portal_target(engine), "MARKETPLACE_OUTBOX_POLL": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "marketplace.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "info", "--no-access-log"],
        env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    log = _Log(process.stderr)
    try:
        if not log.settled.wait(STARTUP_SECONDS):
            raise RuntimeError(f"the portal did not start listening within {STARTUP_SECONDS} s")
        if not log.listening:
            raise RuntimeError(f"the portal exited with {process.wait(15)} before listening (its log is above)")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def deliver(engine: SearchEngine, meili) -> Delivery:
    """`await deliver()` brings the index up to date as the served portal's outbox worker does
    (tests/browser/delivery.py)."""
    return Delivery(engine, meili.key)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """Headless Debian Chromium (Playwright's async API, on the test's event loop)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
async def page(browser) -> AsyncIterator[object]:
    context = await browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    pg = await context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    await context.close()
