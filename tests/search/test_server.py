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


def test_its_log_does_not_grow_with_every_request(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MEILI_LOG_LEVEL", raising=False)
    server = MeiliServer(data_dir=tmp_path / "meili")
    server.start()
    try:
        for _ in range(20):
            with urllib.request.urlopen(f"{server.url}/health", timeout=10) as resp:
                assert resp.status == 200
    finally:
        server.stop()
    log = (tmp_path / "meili" / "meilisearch.log").read_text(errors="replace")
    assert "HTTP request" not in log


def test_the_log_level_can_be_raised_for_debugging(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEILI_LOG_LEVEL", "INFO")
    server = MeiliServer(data_dir=tmp_path / "meili")
    server.start()
    try:
        with urllib.request.urlopen(f"{server.url}/health", timeout=10) as resp:
            assert resp.status == 200
    finally:
        server.stop()
    assert "HTTP request" in (tmp_path / "meili" / "meilisearch.log").read_text(errors="replace")
