"""What every object storage backend offers, and the keys they accept."""

from __future__ import annotations

import re
from typing import Protocol

# Keys are made by the cloud (never taken from a client): slash-separated segments of
# [A-Za-z0-9_-] and a short extension, so a key can never climb out of a folder or prefix.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*\.[a-z0-9]{2,5}$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# An object never changes under its key (keys carry a hash of the content).
IMMUTABLE = "private, max-age=31536000, immutable"


def valid_key(key: str) -> bool:
    return KEY_PATTERN.fullmatch(key) is not None


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


class ObjectStorage(Protocol):
    """Put, read and delete whole objects by key; hand out a URL a browser can load."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str:
        """A URL for the object that works without credentials, for a bounded time."""
        ...
