"""Outcome tests write NationalResult rows too; empty that table after each test (the session's
table list predates it). Deleting an OutcomeImport cascades to its rows already; this catches the rest."""
from __future__ import annotations

from typing import AsyncIterator

import pytest

from marketplace.outcomes.tables import NationalResult


@pytest.fixture(autouse=True)
async def empty_national_results(database: None) -> AsyncIterator[None]:
    yield
    await NationalResult.delete(force=True)
