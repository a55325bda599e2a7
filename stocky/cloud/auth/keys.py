"""Ed25519 signing keys for tokens: kept in the data dir (or given in settings), rotatable.

Tokens are signed with the newest key; every key in the ring stays in the JWKS, so tokens
signed before a rotation verify until they expire. Cajas hold only the public keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
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
    """The signing keys, newest last.

    A ring loaded from a keys directory follows it: when `stocky cloud rotate-keys` adds
    or retires a key, every running process picks the change up on its next token (one
    stat of the directory per use), so a rotation needs no restart.
    """

    def __init__(self, keys: list[SigningKey], source: Path | None = None) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._set(keys)
        self._source = source
        self._stamp = _dir_stamp(source) if source is not None else None

    def _set(self, keys: list[SigningKey]) -> None:
        self._keys = sorted(keys, key=lambda k: k.created)
        self._by_kid = {k.kid: k for k in self._keys}

    def _follow_source(self) -> None:
        if self._source is None:
            return
        stamp = _dir_stamp(self._source)
        if stamp == self._stamp:
            return
        keys = _read_keys(self._source)
        if keys:  # a directory emptied by hand keeps the last good ring rather than none
            self._set(keys)
        self._stamp = stamp

    @property
    def keys(self) -> list[SigningKey]:
        self._follow_source()
        return self._keys

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        self._follow_source()
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
        return cls(_read_keys(keys_dir), source=keys_dir)


def _dir_stamp(keys_dir: Path) -> frozenset[str]:
    # Key files are immutable once renamed into place, so the set of names is the state
    # (a directory's mtime can miss two changes within one clock tick).
    try:
        return frozenset(p.name for p in keys_dir.glob(KEY_GLOB))
    except FileNotFoundError:
        return frozenset()


def _read_keys(keys_dir: Path) -> list[SigningKey]:
    keys = []
    for path in keys_dir.glob(KEY_GLOB):
        try:
            keys.append(_load_pem(path.read_bytes(), path.stat().st_mtime))
        except FileNotFoundError:  # retired between the listing and the read
            continue
    return keys


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
    # The file's mtime orders the ring: make the new key strictly the newest, even when
    # two rotations fall within one clock tick.
    newest = max((p.stat().st_mtime_ns for p in keys_dir.glob(KEY_GLOB)), default=0)
    stamp = max(time.time_ns(), newest + 1_000)
    os.utime(tmp, ns=(stamp, stamp))
    tmp.rename(path)
    return SigningKey(kid, private, path.stat().st_mtime)


@dataclass(frozen=True)
class KeyState:
    key: SigningKey
    # When a newer key took over signing; None for the key that signs now.
    superseded_at: float | None


def key_states(keys_dir: Path) -> list[KeyState]:
    """Every key in keys_dir, oldest first, with when its successor took over."""
    keys = sorted(_read_keys(keys_dir), key=lambda k: k.created)
    return [
        KeyState(key, keys[i + 1].created if i + 1 < len(keys) else None)
        for i, key in enumerate(keys)
    ]


def retire(keys_dir: Path, *, token_lifetime_s: float, now: float) -> list[SigningKey]:
    """Delete the keys no live token can need: superseded longer ago than a token lives.

    The newest key is never retired, so the ring always has a key to sign with.
    """
    retired = []
    for state in key_states(keys_dir):
        if state.superseded_at is not None and state.superseded_at + token_lifetime_s < now:
            (keys_dir / f"signing-{state.key.kid}.pem").unlink(missing_ok=True)
            retired.append(state.key)
    return retired
