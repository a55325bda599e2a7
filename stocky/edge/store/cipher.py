"""Encryption at rest of a caja's SQLite file with SQLCipher (issue 19, item 6).

Whether a file is encrypted is recorded next to it, in `caja.db.cipher.json`, so every opener
(writer, readers, backups, the CLI) knows to key it before anything else. The key is 256
random bits kept in the OS keyring; where no keyring works (a headless caja, a service
account) it is derived from a device secret file beside the db, readable only by its owner.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from stocky.edge.store.errors import StoreError

MARKER_SUFFIX: Final = ".cipher.json"
SECRET_SUFFIX: Final = ".secret"
KEYRING_SERVICE: Final = "stocky-caja"
# SQLCipher 4's settings, named explicitly on every connection: a later SQLCipher whose
# defaults change must still open the files this version wrote.
COMPATIBILITY: Final = 4
# New caja files are created encrypted when this is 1 (activation --encrypt sets it up
# per data dir; CI's encrypted pass sets it for every store the tests create).
ENCRYPT_NEW_ENV: Final = "STOCKY_EDGE_ENCRYPT"
# "off" skips the OS keyring, so the key comes from the device secret file.
KEYRING_ENV: Final = "STOCKY_EDGE_KEYRING"
# A caja's snapshots live in <data dir>/backups (stocky.edge.backup.snapshot).
BACKUPS_DIRNAME: Final = "backups"
_PLAIN_HEADER: Final = b"SQLite format 3\x00"
_HKDF_INFO: Final = b"stocky-caja sqlcipher key v1"

KeySource = Literal["keyring", "device-secret"]
State = Literal["encrypted", "migrating"]

_MESSAGES: Final = {
    "es": {
        "wrong_key": "la clave de cifrado de la caja no abre {name} (¿otra caja o clave perdida?)",
        "no_marker": "{name} está cifrada pero falta {marker}: sin él no se sabe qué clave usar",
        "plain_marked": "{marker} dice que {name} está cifrada, pero el archivo no lo está",
        "bad_marker": "{marker} no se puede leer: {error}",
        "keyring_missing": "la clave de {name} no está en el llavero del sistema ({service}, {id})",
        "keyring_failed": "el llavero del sistema no responde: {error}",
        "secret_missing": "falta {secret}, el secreto de esta caja que abre {name}",
        "no_sqlcipher": "esta caja está cifrada y falta sqlcipher3 (instale stocky[edge])",
    },
    "en": {
        "wrong_key": "the caja's encryption key does not open {name} (another caja? a lost key?)",
        "no_marker": "{name} is encrypted but {marker} is missing: without it no key applies",
        "plain_marked": "{marker} says {name} is encrypted, but the file is not",
        "bad_marker": "{marker} cannot be read: {error}",
        "keyring_missing": "the key of {name} is not in the OS keyring ({service}, {id})",
        "keyring_failed": "the OS keyring does not answer: {error}",
        "secret_missing": "{secret} is missing, this caja's secret that opens {name}",
        "no_sqlcipher": "this caja is encrypted and sqlcipher3 is missing (install stocky[edge])",
    },
}


class CipherError(StoreError):
    """The encrypted store cannot be opened (wrong or missing key, marker out of step)."""


def message(key: str, **values: object) -> str:
    """A cipher message in the caja's language (STOCKY_UI_LANGUAGE, Spanish by default)."""
    lang = os.environ.get("STOCKY_UI_LANGUAGE", "es")
    return _MESSAGES.get(lang, _MESSAGES["es"])[key].format(**values)


@dataclass(frozen=True, slots=True)
class Marker:
    store_id: str
    key_source: KeySource
    state: State = "encrypted"


@dataclass(frozen=True, slots=True)
class Cipher:
    key: bytes
    marker: Marker

    def __repr__(self) -> str:  # never the key
        return f"Cipher({self.marker!r})"

    def key_literal(self) -> str:
        """The raw-key literal: 64 hex digits, so SQLCipher skips its passphrase KDF."""
        return f"\"x'{self.key.hex()}'\""


def marker_path(db: Path) -> Path:
    return db.with_name(db.name + MARKER_SUFFIX)


def secret_path(db: Path) -> Path:
    return db.with_name(db.name + SECRET_SUFFIX)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable (a no-op where directories can't be)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def is_plain_sqlite(db: Path) -> bool | None:
    """True for a plain SQLite file, False for an encrypted one, None if absent or empty."""
    try:
        with db.open("rb") as file:
            header = file.read(len(_PLAIN_HEADER))
    except FileNotFoundError:
        return None
    if not header:
        return None
    return header == _PLAIN_HEADER


def read_marker(db: Path) -> Marker | None:
    path = marker_path(db)
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        found = Marker(str(data["store_id"]), data["key_source"], data.get("state", "encrypted"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CipherError(message("bad_marker", marker=path.name, error=exc)) from exc
    if found.key_source not in ("keyring", "device-secret") or found.state not in (
        "encrypted",
        "migrating",
    ):
        raise CipherError(message("bad_marker", marker=path.name, error=data))
    return found


def write_marker(db: Path, marker: Marker) -> None:
    """Replace the marker atomically and durably (temp file, fsync, rename, fsync dir)."""
    path = marker_path(db)
    data = {
        "format": 1,
        "store_id": marker.store_id,
        "key_source": marker.key_source,
        "state": marker.state,
        "cipher_compatibility": COMPATIBILITY,
    }
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _hkdf(secret: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) for one 32-byte output block."""
    prk = hmac.new(salt, secret, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def _keyring() -> Any | None:
    """The OS keyring if a real backend exists; None where keyring would only fail."""
    if os.environ.get(KEYRING_ENV, "").lower() in ("off", "0", "no"):
        return None
    try:
        import keyring
        from keyring.backends import chainer, fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def _write_secret(path: Path) -> bytes:
    secret = secrets.token_bytes(32)
    # O_EXCL: an existing secret may already key a file; never overwrite it silently.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secret)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return secret


def new_cipher(db: Path, state: State = "encrypted") -> Cipher:
    """A new random key for `db`, kept in the keyring (else a device secret file) and marked."""
    store_id = str(uuid.uuid4())
    key = secrets.token_bytes(32)
    backend = _keyring()
    marker: Marker | None = None
    if backend is not None:
        try:
            backend.set_password(KEYRING_SERVICE, store_id, key.hex())
            if backend.get_password(KEYRING_SERVICE, store_id) == key.hex():
                marker = Marker(store_id, "keyring", state)
        except Exception:  # a locked or broken keyring: the device secret still works
            marker = None
    if marker is None:
        secret_file = secret_path(db)
        with contextlib.suppress(FileNotFoundError):
            secret_file.unlink()  # only reached when no marker names it: a leftover
        secret = _write_secret(secret_file)
        key = _hkdf(secret, store_id.encode(), _HKDF_INFO)
        marker = Marker(store_id, "device-secret", state)
    write_marker(db, marker)
    return Cipher(key, marker)


def load_cipher(db: Path, marker: Marker) -> Cipher:
    """The key the marker names, from the keyring or the device secret file."""
    if marker.key_source == "keyring":
        backend = _keyring()
        try:
            found = (
                None if backend is None else backend.get_password(KEYRING_SERVICE, marker.store_id)
            )
        except Exception as exc:
            raise CipherError(message("keyring_failed", error=exc)) from exc
        if not found:
            raise CipherError(
                message(
                    "keyring_missing", name=db.name, service=KEYRING_SERVICE, id=marker.store_id
                )
            )
        return Cipher(bytes.fromhex(found), marker)
    try:
        secret = secret_path(db).read_bytes()
    except FileNotFoundError as exc:
        raise CipherError(
            message("secret_missing", secret=secret_path(db).name, name=db.name)
        ) from exc
    return Cipher(_hkdf(secret, marker.store_id.encode(), _HKDF_INFO), marker)


def _family(db: Path) -> list[Path]:
    """The caja dbs whose key a marker-less encrypted file may share: its own folder's, and
    for a snapshot in <data dir>/backups, the data dir's."""
    folders = [db.parent]
    if db.parent.name == BACKUPS_DIRNAME:
        folders.append(db.parent.parent)
    owners: list[Path] = []
    for folder in folders:
        for found in sorted(folder.glob("*" + MARKER_SUFFIX)):
            owner = found.with_name(found.name.removesuffix(MARKER_SUFFIX))
            if owner != db:
                owners.append(owner)
    return owners


def _family_ciphers(db: Path) -> list[Cipher]:
    ciphers: list[Cipher] = []
    for owner in _family(db):
        marker = read_marker(owner)
        if marker is not None and (marker.state == "encrypted" or is_plain_sqlite(owner) is False):
            ciphers.append(load_cipher(owner, marker))
    return ciphers


def ciphers_for(db: Path, *, create: bool = False) -> list[Cipher]:
    """The keys to try on `db`, in order; empty for a plain file.

    `create` is the writer's open: a new file is created encrypted when STOCKY_EDGE_ENCRYPT=1,
    and a new snapshot in an encrypted caja's backups folder gets the caja's key. A half-done
    migration (marker "migrating") opens whichever file is in place.
    """
    marker = read_marker(db)
    plain = is_plain_sqlite(db)
    if marker is None:
        if plain is False:
            family = _family_ciphers(db)
            if not family:
                raise CipherError(message("no_marker", name=db.name, marker=marker_path(db).name))
            return family
        if plain is None and create:
            if db.parent.name == BACKUPS_DIRNAME:
                family = _family_ciphers(db)
                if family:
                    return family[:1]
            if os.environ.get(ENCRYPT_NEW_ENV) == "1":
                return [new_cipher(db)]
        return []
    if plain:
        if marker.state == "migrating":
            return []
        raise CipherError(message("plain_marked", marker=marker_path(db).name, name=db.name))
    return [load_cipher(db, marker)]


def sqlcipher() -> Any:
    """The sqlcipher3 module (the caja's `edge` extra); a clear error where it is missing."""
    try:
        import sqlcipher3  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise CipherError(message("no_sqlcipher")) from exc
    if not _quiet:
        # A wrong key is reported as a CipherError; SQLCipher's own "hmac check failed"
        # lines on stderr would only bury it.
        conn = sqlcipher3.connect(":memory:")
        conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
        conn.close()
        _quiet.append(True)
    return sqlcipher3


_quiet: list[bool] = []


def apply_key(conn: sqlite3.Connection, cipher: Cipher, db: Path) -> None:
    """Key a fresh connection: the first statements it runs, then a read that proves the key."""
    conn.execute(f"PRAGMA key = {cipher.key_literal()}")
    conn.execute(f"PRAGMA cipher_compatibility = {COMPATIBILITY}")
    try:
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlcipher().DatabaseError as exc:
        raise CipherError(message("wrong_key", name=db.name)) from exc
