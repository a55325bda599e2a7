"""Ed25519 signing keys for tokens: kept in the data dir (or given in settings), rotatable.

Tokens are signed with the newest key; every key in the ring stays in the JWKS, so tokens
signed before a rotation verify until they expire. Cajas hold only the public keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_GLOB = "signing-*.pem"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A stable id derived from the public key (RFC 7638-style thumbprint, shortened)."""
    return _b64url(hashlib.sha256(public_bytes(key)).digest())[:16]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey
    created: float

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, Any]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": self.kid,
            "x": _b64url(public_bytes(self.public)),
        }


def _load_pem(pem: bytes, created: float) -> SigningKey:
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ValueError("the token signing key must be an Ed25519 private key")
    return SigningKey(key_id(private.public_key()), private, created)


class KeyRing:
    """The signing keys, newest last."""

    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.keys = sorted(keys, key=lambda k: k.created)
        self._by_kid = {k.kid: k for k in self.keys}

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        key = self._by_kid.get(kid)
        return key.public if key else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk() for k in self.keys]}

    @classmethod
    def from_pem(cls, pem: str) -> KeyRing:
        return cls([_load_pem(pem.encode(), 0.0)])

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> KeyRing:
        """Load every key in keys_dir, creating the first one if there is none."""
        keys_dir.mkdir(parents=True, exist_ok=True)
        if not any(keys_dir.glob(KEY_GLOB)):
            rotate(keys_dir)
        return cls([_load_pem(p.read_bytes(), p.stat().st_mtime) for p in keys_dir.glob(KEY_GLOB)])


def rotate(keys_dir: Path) -> SigningKey:
    """Add a new signing key; older keys keep verifying the tokens they signed."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    kid = key_id(private.public_key())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = keys_dir / f"signing-{kid}.pem"
    # Write then rename, so a concurrent reader never sees half a key.
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    tmp.rename(path)
    return SigningKey(kid, private, path.stat().st_mtime)
