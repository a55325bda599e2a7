"""HMAC-signed, expiring URLs for the local folder: an <img src> carries no bearer token.

Expiries are rounded up to a window (`ttl_s`), so the same image gets the same URL for a
while and the browser's cache serves it across page loads; a URL lives between `ttl_s`
and twice that. One HMAC-SHA256 per URL: a catalog page of 50 rows signs in microseconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives import serialization

from stocky.cloud.auth.keys import KeyRing

_CONTEXT = b"stocky.media-url\0"


def derive_secret(material: bytes) -> bytes:
    """A secret for media URLs only, from other material (a setting or a token key)."""
    return hashlib.sha256(_CONTEXT + material).digest()


def key_ring_secrets(keys: KeyRing) -> Callable[[], Sequence[bytes]]:
    """The ring's keys as media secrets, newest first: URLs signed before a rotation stay
    valid until they expire, as long as the old key is still in the ring."""
    cache: dict[str, bytes] = {}

    def secrets() -> Sequence[bytes]:
        out = []
        for key in reversed(keys.keys):
            secret = cache.get(key.kid)
            if secret is None:
                raw = key.private.private_bytes(
                    serialization.Encoding.Raw,
                    serialization.PrivateFormat.Raw,
                    serialization.NoEncryption(),
                )
                secret = cache[key.kid] = derive_secret(raw)
            out.append(secret)
        return out

    return secrets


class UrlSigner:
    def __init__(self, secrets: Callable[[], Sequence[bytes]], ttl_s: int) -> None:
        self._secrets = secrets
        self.ttl_s = ttl_s

    def expiry(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        return (int(now) // self.ttl_s + 2) * self.ttl_s

    @staticmethod
    def _mac(secret: bytes, key: str, exp: int) -> str:
        digest = hmac.new(secret, f"{key}\n{exp}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def query(self, key: str, now: float | None = None) -> str:
        exp = self.expiry(now)
        return f"exp={exp}&sig={self._mac(self._secrets()[0], key, exp)}"

    def verify(self, key: str, exp: int, sig: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if exp < now:
            return False
        given = sig.encode()
        return any(
            hmac.compare_digest(self._mac(secret, key, exp).encode(), given)
            for secret in self._secrets()
        )
