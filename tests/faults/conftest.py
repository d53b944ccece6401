"""A Meilisearch of the test's own for the fault tests, which stop and kill it (the session's
server must survive them); stopped at the end whatever happened."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from search.server import MeiliServer


@pytest.fixture
def own_meilisearch(tmp_path: Path) -> Iterator[MeiliServer]:
    server = MeiliServer(data_dir=tmp_path / "meili")
    server.start()
    try:
        yield server
    finally:
        server.stop()
