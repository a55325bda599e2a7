"""Objects as files under one folder; the cloud serves them at /media/{key} (signed)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread

from stocky.cloud.storage.base import (
    CHUNK,
    ObjectInfo,
    ObjectNotFound,
    Progress,
    check_prefix,
    content_type_for,
    valid_key,
)
from stocky.cloud.storage.signing import UrlSigner

MEDIA_PATH = "/media"


def _file_chunks(path: Path, chunk_size: int = CHUNK) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(chunk_size):
            yield chunk


def _aside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def write_atomically(
    path: Path, chunks: Iterable[bytes], progress: Progress | None = None
) -> tuple[int, str]:
    """Write chunks aside and rename (a reader never sees half a file): (size, sha256)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _aside(path)
    digest = hashlib.sha256()
    size = 0
    try:
        with tmp.open("wb") as f:
            for chunk in chunks:
                f.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(len(chunk))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


class LocalStorage:
    def __init__(self, root: Path, signer: UrlSigner, base_url: str = "") -> None:
        self.root = root
        self.signer = signer
        # "" gives root-relative URLs (/media/...), right for a page the cloud serves itself.
        self._prefix = base_url.rstrip("/") + MEDIA_PATH + "/"

    def path(self, key: str) -> Path | None:
        """The file of a key, or None for a key the cloud would never make."""
        return self.root / key if valid_key(key) else None

    def _checked(self, key: str) -> Path:
        path = self.path(key)
        if path is None:
            raise ValueError(f"not a storage key: {key!r}")
        return path

    def _info(self, key: str, path: Path) -> ObjectInfo | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        return ObjectInfo(
            key, stat.st_size, content_type_for(key), datetime.fromtimestamp(stat.st_mtime, UTC)
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._checked(key)
        await anyio.to_thread.run_sync(lambda: write_atomically(path, [data]))

    async def put_stream(
        self,
        key: str,
        chunks: Iterable[bytes],
        content_type: str | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        path = self._checked(key)
        size, sha = await anyio.to_thread.run_sync(lambda: write_atomically(path, chunks, progress))
        return ObjectInfo(key, size, content_type or content_type_for(key), None, sha)

    async def put_file(
        self,
        key: str,
        path: Path,
        content_type: str | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        self._checked(key)
        if not path.is_file():
            raise FileNotFoundError(path)
        return await self.put_stream(key, _file_chunks(path), content_type, progress)

    async def get(self, key: str) -> bytes | None:
        path = self._checked(key)

        def read() -> bytes | None:
            try:
                return path.read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                return None

        return await anyio.to_thread.run_sync(read)

    async def get_file(
        self, key: str, dest: Path, progress: Progress | None = None
    ) -> ObjectInfo | None:
        path = self._checked(key)

        def copy() -> ObjectInfo | None:
            try:
                src = path.open("rb")
            except (FileNotFoundError, IsADirectoryError):
                return None
            with src:
                size, sha = write_atomically(dest, iter(lambda: src.read(CHUNK), b""), progress)
            return ObjectInfo(key, size, content_type_for(key), None, sha)

        return await anyio.to_thread.run_sync(copy)

    async def stream(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        path = self._checked(key)
        try:
            f = await anyio.to_thread.run_sync(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectNotFound(key) from None
        try:
            while chunk := await anyio.to_thread.run_sync(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    async def head(self, key: str) -> ObjectInfo | None:
        path = self._checked(key)
        return await anyio.to_thread.run_sync(self._info, key, path)

    async def exists(self, key: str) -> bool:
        return await self.head(key) is not None

    async def list(self, prefix: str = "") -> list[ObjectInfo]:
        check_prefix(prefix)
        base = self.root / prefix if prefix else self.root

        def walk() -> list[ObjectInfo]:
            out: list[ObjectInfo] = []
            if not base.is_dir():
                return out
            for dirpath, _dirs, files in os.walk(base):
                for name in files:
                    full = Path(dirpath) / name
                    key = full.relative_to(self.root).as_posix()
                    # Files written aside (".name.tmp") and strays are not objects.
                    if not valid_key(key):
                        continue
                    info = self._info(key, full)
                    if info is not None:
                        out.append(info)
            return sorted(out, key=lambda o: o.key)

        return await anyio.to_thread.run_sync(walk)

    async def delete(self, key: str) -> None:
        path = self._checked(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    def url(self, key: str) -> str:
        return f"{self._prefix}{key}?{self.signer.query(key)}"
