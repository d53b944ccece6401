"""Static assets under content-hashed URLs, cached for a year.

    AssetManifest({"app": STATIC_DIR, "dkfds": DKFDS_DIR})   built once at start-up
    manifest.url("dkfds/css/dkfds-borgerdk.min.css")          → /static/v/<digest>/dkfds/css/dkfds-borgerdk.min.css
    {{ asset("app/site.css") }}                               the same, in a template (Jinja global)
    asset_route(manifest)                                     GET /static/v/{digest}/{file_path:path}

The digest belongs to a whole root (a SHA-256 over every file's relative path and content under it),
not to one file: the design system's CSS refers to its fonts and icons relatively (`../fonts/…`,
`../img/…`), and a shared digest keeps those relative URLs inside the same hashed tree. A change to
any file under a root gives every URL of that root a new digest, so a browser never mixes old and
new files. Hashed responses carry `Cache-Control: public, max-age=31536000, immutable`; a request
with a digest that is not the current one gets 404 (it names a version this server does not have).

The unhashed mounts (/static/app/…, /static/dkfds/…) stay for links from outside and keep a short
cache lifetime (`SHORT_CACHE`).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePath

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.file_system import BaseLocalFileSystem
from litestar.params import FromPath
from litestar.response.file import ASGIFileResponse
from litestar.static_files.base import StaticFiles

PREFIX = "/static/v"
YEAR = 365 * 24 * 3600
IMMUTABLE = CacheControlHeader(public=True, max_age=YEAR, immutable=True)
SHORT_CACHE = CacheControlHeader(public=True, max_age=300)
DIGEST_LENGTH = 12
SKIPPED_DIRS = {"scss"}  # sources we never serve; they do not change what a browser gets


_digest_cache: dict[Path, tuple[tuple, str]] = {}


def _served_files(root: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        files.extend(Path(dirpath, name) for name in sorted(filenames))
    return files


def tree_digest(root: Path) -> str:
    """A short hex digest of every served file under `root` (relative path and bytes).

    Hashing the design system's 17 MB takes a noticeable moment, so the digest is kept per process
    while no file's size or modification time has changed (each app built in a test run reuses it)."""
    files = _served_files(root)
    signature = tuple((f.as_posix(), st.st_size, st.st_mtime_ns) for f in files for st in (f.stat(),))
    cached = _digest_cache.get(root.resolve())
    if cached and cached[0] == signature:
        return cached[1]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as file:
            digest.update(hashlib.file_digest(file, "sha256").digest())
    result = digest.hexdigest()[:DIGEST_LENGTH]
    _digest_cache[root.resolve()] = (signature, result)
    return result


class AssetManifest:
    """Logical asset paths ("<root>/<path under it>") → content-hashed URLs."""

    def __init__(self, roots: dict[str, Path]) -> None:
        for name, directory in roots.items():
            if "/" in name or not name:
                raise ValueError(f"asset root name {name!r}: a single path segment is needed")
            if not Path(directory).is_dir():
                raise ValueError(f"asset root {name!r}: {directory} is not a directory")
        self.roots = {name: Path(directory) for name, directory in roots.items()}
        self.digests = {name: tree_digest(directory) for name, directory in self.roots.items()}
        self._urls: dict[str, str] = {}
        self._files = {
            name: StaticFiles(is_html_mode=False, directories=[directory], file_system=BaseLocalFileSystem(),
                              headers={IMMUTABLE.HEADER_NAME: IMMUTABLE.to_header()})
            for name, directory in self.roots.items()
        }

    def url(self, logical: str) -> str:
        """The hashed URL of `logical` (e.g. "app/site.css"); a path that names no existing file is
        a programming error and fails loudly at render time. Worked out once per path (the digests
        are fixed for the process's life)."""
        url = self._urls.get(logical)
        if url is None:
            url = self._urls[logical] = self._url(logical)
        return url

    def _url(self, logical: str) -> str:
        root, _, rest = logical.partition("/")
        if root not in self.roots:
            raise ValueError(f"asset {logical!r}: unknown root {root!r} (known: {', '.join(sorted(self.roots))})")
        if not rest or not (self.roots[root] / rest).is_file():
            raise ValueError(f"asset {logical!r}: no such file under {self.roots[root]}")
        return f"{PREFIX}/{self.digests[root]}/{root}/{rest}"

    async def response(self, digest: str, file_path: str) -> ASGIFileResponse:
        root, _, rest = file_path.lstrip("/").partition("/")
        if root not in self.roots or digest != self.digests[root] or not rest:
            raise NotFoundException()
        return await self._files[root].handle(path=rest, is_head_response=False)


def asset_route(manifest: AssetManifest):  # noqa: ANN201 - a Litestar route handler
    """The route that serves hashed assets with a year's immutable caching."""

    @get(f"{PREFIX}/{{digest:str}}/{{file_path:path}}", name="asset", include_in_schema=False,
         cache_control=IMMUTABLE)
    async def serve_asset(digest: FromPath[str], file_path: FromPath[PurePath]) -> ASGIFileResponse:
        return await manifest.response(digest, file_path.as_posix())

    return serve_asset
