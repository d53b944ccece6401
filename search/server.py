"""The embedded Meilisearch: find the binary, start it on loopback, wait until healthy, stop it.

Used by `marketplace run` (when no MEILI_URL is given) and by the test suite.
"""
from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from marketplace.settings import PROJECT_DIR

CACHED_BINARY = PROJECT_DIR / ".cache" / "meilisearch" / "meilisearch-1.21.0"
FETCH_SCRIPT = PROJECT_DIR / "tools" / "fetch-meilisearch"
PR_SET_PDEATHSIG = 1


def find_binary() -> Path:
    """$MEILI_BIN, then `meilisearch` on PATH, then the verified cached download (fetched if missing)."""
    if os.environ.get("MEILI_BIN"):
        return Path(os.environ["MEILI_BIN"])
    on_path = shutil.which("meilisearch")
    if on_path:
        return Path(on_path)
    if not CACHED_BINARY.exists():
        out = subprocess.run([str(FETCH_SCRIPT)], check=True, stdout=subprocess.PIPE, text=True)
        return Path(out.stdout.strip().splitlines()[-1])
    return CACHED_BINARY


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM it when the portal dies, however it dies.
    (The signal follows the *thread* that started it: call `start()` from the main thread.)"""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux/glibc: stop() still runs on every orderly exit


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MeiliServer:
    """A Meilisearch process owned by this program.

    >>> server = MeiliServer(data_dir=Path("data/meili")); server.start(); ...; server.stop()
    """

    def __init__(self, *, data_dir: Path, port: int | None = None, master_key: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.master_key = master_key or secrets.token_urlsafe(24)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the process and return once /health answers; raise if it does not in time."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "meilisearch.log", "ab")
        self.process = subprocess.Popen(
            [
                str(find_binary()), "--db-path", str(self.data_dir / "db"), "--http-addr", f"127.0.0.1:{self.port}",
                f"--master-key={self.master_key}",  # one token: a key may start with "-"
                "--no-analytics", "--env", "development",
                "--dump-dir", str(self.data_dir / "dumps"), "--snapshot-dir", str(self.data_dir / "snapshots"),
            ],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            # Meilisearch sizes its indexing buffers from the machine's RAM by default; a fixed budget
            # keeps small updates (one approval) fast. MEILI_MAX_INDEXING_MEMORY overrides it.
            # Its log is a file that nobody rotates: at INFO it gains a line for every request (~300 bytes a
            # search, 300 MB a million searches), so warnings and errors only; MEILI_LOG_LEVEL overrides it.
            env={**os.environ, "MEILI_MAX_INDEXING_MEMORY": os.environ.get("MEILI_MAX_INDEXING_MEMORY", "1 GiB"),
                 "MEILI_LOG_LEVEL": os.environ.get("MEILI_LOG_LEVEL", "WARN")},
            start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop it cleanly
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Meilisearch exited with {self.process.returncode}; see {self.data_dir}/meilisearch.log")
            if self.healthy():
                return
            time.sleep(0.05)  # polling a readiness condition, with a deadline
        self.stop()
        raise RuntimeError(f"Meilisearch did not become healthy within {timeout:.0f} s")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL (for fault tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
