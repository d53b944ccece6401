"""Shared parts of the benchmarks: a throw-away environment (temp dir, SQLite database, our own
Meilisearch, the portal under uvicorn), percentiles, HTTP over kept-alive connections, and
bench/RESULTS.md.

The environment variables are set *before* anything imports `marketplace.piccolo_conf` (the
database engine is chosen at import time from MARKETPLACE_DATABASE_URL); `BenchEnv` refuses to run
when that already happened, so a benchmark can never write into the developer's own database.
"""
from __future__ import annotations

import asyncio
import http.client
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS = BENCH_DIR / "RESULTS.md"
INDEX_UID = "providers"
TMP_PREFIX = "marketplace-bench-"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- numbers -----------------------------------------------------------------------------------------
def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# -- machine and results file ------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg": load,
    }


def machine_line(extra: str = "") -> str:
    m = machine()
    return (f"{m['date']} · nproc {m['nproc']} · CPU {m['cpu']} · Python {m['python']} · "
            f"load average at start {m['loadavg']}" + (f" · {extra}" if extra else ""))


def append_results(title: str, body: str) -> None:
    """Append one section to bench/RESULTS.md (created with a header when missing)."""
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nAppended by the scripts in `bench/` (newest last). Timings are ratios measured "
            "in the same run where a comparison exists; absolute numbers depend on the machine and its load.\n"
        )
    with RESULTS.open("a") as f:
        f.write(f"\n## {title}\n\n{body.rstrip()}\n")
    say(f"==> appended to {RESULTS.relative_to(PROJECT_DIR)}")


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- HTTP over one kept-alive connection ------------------------------------------------------------
class Http:
    """One persistent HTTP/1.1 connection (the same client for portal and Meilisearch, so the
    client's own cost is the same on both sides of a ratio). Reconnects when the server closes."""

    def __init__(self, base: str, headers: dict[str, str] | None = None, timeout: float = 30) -> None:
        host_port = base.removeprefix("http://").rstrip("/")
        self.host, port = host_port.split(":")
        self.port = int(port)
        self.timeout = timeout
        self.headers = headers or {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("connection", "").lower() == "close":
                    self.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def wait_http_ok(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Poll `url` until it answers 200 (a readiness condition, with a deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


# -- processes -----------------------------------------------------------------------------------------
def stop_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group we started (start_new_session=True: pgid == pid), SIGKILL if it
    does not exit in time. Only ever this group."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


# -- the environment -------------------------------------------------------------------------------
@dataclass
class BenchEnv:
    """A temp dir with a fresh SQLite database (or an empty one named by `database_url`), our own
    Meilisearch on loopback, and optionally the portal under uvicorn. Use as a context manager; it
    stops exactly what it started and removes the temp dir (unless `keep`)."""

    providers: int
    seed: int
    database_url: str | None = None
    keep: bool = False
    meili_env: dict[str, str] = field(default_factory=dict)  # e.g. MEILI_MAX_INDEXING_MEMORY
    tmp: Path = field(init=False)
    meili: Any = field(init=False, default=None)
    portals: list[subprocess.Popen] = field(init=False, default_factory=list)
    data_seconds: float = field(init=False, default=0.0)
    index_seconds: float = field(init=False, default=0.0)
    counts: dict[str, int] = field(init=False, default_factory=dict)

    def __enter__(self) -> "BenchEnv":
        self.tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
        if "marketplace.piccolo_conf" in sys.modules:
            self._repoint_engine()
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _repoint_engine(self) -> None:
        """A second environment in the same process (run_all): the engine was made at import time
        for an earlier bench database; point it at this one. Never away from anything else."""
        from piccolo.engine.sqlite import SQLiteEngine

        from marketplace.piccolo_conf import DB

        if not (isinstance(DB, SQLiteEngine) and Path(DB.path).parent.name.startswith(TMP_PREFIX)
                and self.database_url is None):
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise RuntimeError("marketplace.piccolo_conf was imported before the bench environment was set up")
        DB.path = str(self.tmp / "bench.sqlite3")

    def _start(self) -> None:
        os.environ["PICCOLO_CONF"] = "marketplace.piccolo_conf"
        os.environ["MARKETPLACE_DATA_DIR"] = str(self.tmp)
        os.environ["MARKETPLACE_DATABASE_URL"] = self.database_url or f"sqlite:///{self.tmp / 'bench.sqlite3'}"
        saved = {k: os.environ.get(k) for k in self.meili_env}
        os.environ.update(self.meili_env)  # Meilisearch reads MEILI_* options from its environment
        from search.server import MeiliServer

        say(f"==> Meilisearch in {self.tmp}")
        try:
            for attempt in range(3):  # a free port can be taken by someone else before Meilisearch binds it
                self.meili = MeiliServer(data_dir=self.tmp / f"meili{attempt}")
                try:
                    self.meili.start()
                    break
                except RuntimeError:
                    log = self.tmp / f"meili{attempt}" / "meilisearch.log"
                    say(f"    Meilisearch did not start: {log.read_text(errors='replace')[-600:] if log.exists() else '?'}")
                    self.meili = None
                    if attempt == 2:
                        raise
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        os.environ.update(MEILI_URL=self.meili.url, MEILI_MASTER_KEY=self.meili.master_key,
                          MEILI_INDEX=INDEX_UID, MEILI_TARGET="bench")
        from marketplace.settings import get_settings

        get_settings.cache_clear()
        from bench import data

        t0 = time.perf_counter()
        self.counts = asyncio.run(data.prepare_database(self.providers, self.seed, progress=_progress))
        self.data_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        asyncio.run(data.index_database(self.engine()))
        self.index_seconds = time.perf_counter() - t0
        say(f"    data {self.data_seconds:.1f} s, first index {self.index_seconds:.1f} s: {self.counts}")

    def engine(self) -> Any:
        from search.client import SearchEngine

        return SearchEngine(self.meili.url, self.meili.master_key, INDEX_UID, target_name="bench")

    @property
    def meili_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.meili.master_key}", "Content-Type": "application/json"}

    def start_portal(self, workers: int = 1, timeout: float = 90) -> str:
        """The production way: `uvicorn marketplace.asgi:app`, access log off. Returns its base URL."""
        from search.server import free_port

        port = free_port()
        log = open(self.tmp / f"portal-{port}.log", "ab")
        cmd = [sys.executable, "-m", "uvicorn", "marketplace.asgi:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.portals.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_http_ok(f"{base}/health", timeout, proc)
        say(f"==> portal pid {proc.pid} on {base} ({workers} worker{'s' if workers > 1 else ''})")
        return base

    def stop_portal(self, base: str) -> None:
        port = base.rsplit(":", 1)[1]
        for proc in list(self.portals):
            if proc.args[proc.args.index("--port") + 1] == port:
                stop_group(proc)
                self.portals.remove(proc)

    def __exit__(self, *exc: Any) -> None:
        for proc in self.portals:
            stop_group(proc)
        self.portals.clear()
        if self.meili is not None:
            self.meili.stop()
        if self.keep:
            say(f"==> kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _progress(phase: str, done: int, total: int) -> None:
    if done >= total:
        say(f"    {phase}: {total}")

