"""Objects as files under one folder; the cloud serves them at /media/{key} (signed)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import anyio.to_thread

from stocky.cloud.storage.base import valid_key
from stocky.cloud.storage.signing import UrlSigner

MEDIA_PATH = "/media"


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

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._checked(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: a reader never sees half a file.
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)

        await anyio.to_thread.run_sync(write)

    async def get(self, key: str) -> bytes | None:
        path = self._checked(key)

        def read() -> bytes | None:
            try:
                return path.read_bytes()
            except FileNotFoundError:
                return None

        return await anyio.to_thread.run_sync(read)

    async def delete(self, key: str) -> None:
        path = self._checked(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    def url(self, key: str) -> str:
        return f"{self._prefix}{key}?{self.signer.query(key)}"
