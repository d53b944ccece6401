"""The embedded Meilisearch (search.server.MeiliServer)."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from search.server import MeiliServer


def test_a_master_key_starting_with_a_dash_is_passed_as_the_key(tmp_path: Path) -> None:
    # secrets.token_urlsafe draws "-" as the first character once in 64 keys; given as a separate
    # argument, Meilisearch read it as an unknown option and exited with 2.
    key = "-Bkey-that-starts-with-a-dash-0123456789"
    server = MeiliServer(data_dir=tmp_path / "meili", master_key=key)
    server.start()
    try:
        request = urllib.request.Request(f"{server.url}/keys", headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 200
            assert "results" in json.loads(resp.read())
    finally:
        server.stop()
