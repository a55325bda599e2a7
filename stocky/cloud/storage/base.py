"""What every object storage backend offers, and the keys they accept.

One interface for every file the product keeps: product images, caja backups, update
artifacts and installers. Small objects go in and out as bytes (`put`, `get`); large ones
never sit whole in memory (`put_file`, `put_stream`, `get_file`, `stream`). Both backends
(the local folder, S3) behave the same: missing objects read as None (or `ObjectNotFound`
from `stream`), keys are validated before any I/O, and `list` walks a prefix.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

# Image extensions (the catalog picks one by the upload's magic bytes).
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# Every extension a key may end with, longest first so ".db.gz" wins over ".gz"-less ".db".
FILE_TYPES: dict[str, str] = {
    **CONTENT_TYPES,
    # Caja backups (SQLite files, plain or compressed).
    "db.gz": "application/gzip",
    "db": "application/vnd.sqlite3",
    # Update artifacts (tufup archives and patches, TUF metadata).
    "tar.gz": "application/gzip",
    "json": "application/json",
    "patch": "application/octet-stream",
    # Installers.
    "deb": "application/vnd.debian.binary-package",
    "AppImage": "application/vnd.appimage",
    "exe": "application/vnd.microsoft.portable-executable",
    "dmg": "application/x-apple-diskimage",
    "zip": "application/zip",
}
_EXTENSIONS = sorted(FILE_TYPES, key=len, reverse=True)
# Keys are made by the cloud (never taken verbatim from a client): slash-separated segments
# of [A-Za-z0-9._-] that start with a letter, digit, "_" or "-" (so never "." or ".."), with
# no ".." anywhere, ending in a known extension: a key can never climb out of its prefix.
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}"
KEY_PATTERN = re.compile(rf"^{_SEGMENT}(?:/{_SEGMENT})*$")
PREFIX_PATTERN = re.compile(rf"^(?:{_SEGMENT}/)*$")
MAX_KEY_LENGTH = 900  # S3 allows 1024 bytes, less the configured prefix
# An object never changes under its key (keys carry a hash of the content or a version).
IMMUTABLE = "private, max-age=31536000, immutable"
CHUNK = 1024 * 1024


def extension(key: str) -> str | None:
    """The known extension `key` ends with ("db.gz", "png", ...), or None."""
    name = key.rsplit("/", 1)[-1]
    for ext in _EXTENSIONS:
        if name.endswith("." + ext) and len(name) > len(ext) + 1:
            return ext
    return None


def valid_key(key: str) -> bool:
    return (
        len(key) <= MAX_KEY_LENGTH
        and ".." not in key
        and KEY_PATTERN.fullmatch(key) is not None
        and extension(key) is not None
    )


def valid_prefix(prefix: str) -> bool:
    """ "" or whole folders ending with "/" ("t/backups/"): what `list` accepts."""
    return (
        len(prefix) <= MAX_KEY_LENGTH
        and ".." not in prefix
        and bool(PREFIX_PATTERN.fullmatch(prefix))
    )


def check_key(key: str) -> str:
    if not valid_key(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    if not valid_prefix(prefix):
        raise ValueError(f"not a storage prefix: {prefix!r}")
    return prefix


def content_type_for(key: str) -> str:
    ext = extension(key)
    return FILE_TYPES[ext] if ext is not None else "application/octet-stream"


class ObjectNotFound(LookupError):
    """Raised by `stream` for a key with no object (the other reads answer None)."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """An object's metadata. `sha256` is known only from the put that wrote it."""

    key: str
    size: int
    content_type: str
    modified: datetime | None = None
    sha256: str | None = None


# Called from a worker thread with the number of bytes just moved (Rich's progress is
# thread-safe, so `lambda n: progress.advance(task, n)` fits).
Progress = Callable[[int], None]


class ObjectStorage(Protocol):
    """Objects by key in one folder or bucket prefix; a URL a browser can load."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def put_file(
        self,
        key: str,
        path: Path,
        content_type: str | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        """Upload a file without reading it whole; answers its size and sha256."""
        ...

    async def put_stream(
        self,
        key: str,
        chunks: Iterable[bytes],
        content_type: str | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        """Upload what a (synchronous, run in a worker thread) iterator yields."""
        ...

    async def get(self, key: str) -> bytes | None: ...

    async def get_file(
        self, key: str, dest: Path, progress: Progress | None = None
    ) -> ObjectInfo | None:
        """Download to `dest` (written aside and renamed); None if there is no object."""
        ...

    def stream(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; raises ObjectNotFound before the first one."""
        ...

    async def head(self, key: str) -> ObjectInfo | None:
        """Size, content type and modification time, or None if there is no object."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object whose key starts with `prefix` (whole folders), sorted by key."""
        ...

    async def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str:
        """A URL for the object that works without credentials, for a bounded time.
        Non-image objects download as a file named by the key's last segment."""
        ...
