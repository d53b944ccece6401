"""Browser tests: the portal as a real server process (uvicorn, the production entry point) on this
run's database and a fresh index, driven by Debian's Chromium through Playwright."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from typing import AsyncIterator, Iterator

import pytest

from search.client import SearchEngine
from tests.waiting import wait_until
from search.server import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def _healthy(url: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"portal exited with {process.returncode}")
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture
def portal(engine: SearchEngine, meili) -> Iterator[str]:
    """The portal served by uvicorn in a subprocess, searching this test's index (its outbox
    worker delivers to it)."""
    port = free_port()
    env = {
        **os.environ,
        "MEILI_URL": meili.url, "MEILI_MASTER_KEY": meili.key, "MEILI_INDEX": engine.index_uid,
        "MEILI_TARGET": f"browser-{engine.index_uid}", "MARKETPLACE_OUTBOX_POLL": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "marketplace.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        env=env, stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url, process), timeout=60, what="the portal's /health")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
