"""Waiting for a condition with a deadline: for what no task uid or event announces (a server
process becoming healthy, another process's outbox worker delivering)."""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

POLL_SECONDS = 0.05


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition") -> None:
    """Return as soon as `condition()` is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_SECONDS)


async def until(condition: Callable[[], Awaitable[bool]], *, timeout: float = 10.0, what: str = "condition") -> None:
    """Await `condition()` until it is true; fail after `timeout` seconds (the async twin of wait_until)."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)
