"""SQLCipher encryption at rest of the caja's db: keys, openers, errors, and the in-place
migration (`stocky edge encrypt`) killed at each of its steps."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend

from stocky.edge.store import Store, StoreError
from stocky.edge.store.cipher import (
    ENCRYPT_NEW_ENV,
    KEYRING_ENV,
    KEYRING_SERVICE,
    CipherError,
    is_plain_sqlite,
    marker_path,
    read_marker,
    secret_path,
)
from stocky.edge.store.encrypt import CRASH_ENV, STEPS
from tests.edge.store.factories import create_product

NAME = "Arequipe Alpina 250g"


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores created plain, whatever mode the suite runs in."""
    monkeypatch.delenv(ENCRYPT_NEW_ENV, raising=False)


@pytest.fixture
def encrypted_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENCRYPT_NEW_ENV, "1")
    monkeypatch.setenv(KEYRING_ENV, "off")


def _seed(db: Path, products: int = 30) -> None:
    with Store.open(db) as store:
        store.write(lambda conn: create_product(conn, name=NAME, sku="AREQ-1"))
        for _ in range(products - 1):
            store.write(lambda conn: create_product(conn))


def _products(db: Path) -> tuple[int, list[str]]:
    with Store.open(db) as store:
        count = store.read(lambda c: c.execute("SELECT count(*) FROM products").fetchone()[0])
        names = store.read(
            lambda c: [r[0] for r in c.execute("SELECT name FROM products WHERE sku = 'AREQ-1'")]
        )
        hits = store.read(
            lambda c: c.execute(
                "SELECT count(*) FROM products_fts WHERE products_fts MATCH 'arequipe'"
            ).fetchone()[0]
        )
    assert hits == 1  # the search index came through too
    return count, names


def _raw(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def _encrypt_cli(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != ENCRYPT_NEW_ENV}
    full.update({KEYRING_ENV: "off", **env})
    return subprocess.run(
        [sys.executable, "-m", "stocky", "edge", "encrypt", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        check=False,
    )


@pytest.mark.usefixtures("encrypted_env")
class TestEncryptedStore:
    def test_new_store_is_encrypted_and_reads_back(self, tmp_path: Path) -> None:
        db = tmp_path / "caja.db"
        _seed(db)
        assert is_plain_sqlite(db) is False
        assert NAME.encode() not in _raw(db)
        marker = read_marker(db)
        assert marker is not None
        assert (marker.key_source, marker.state) == ("device-secret", "encrypted")
        assert secret_path(db).stat().st_mode & 0o777 == 0o600
        assert _products(db) == (30, [NAME])

    def test_wrong_key_says_so(self, tmp_path: Path) -> None:
        db = tmp_path / "caja.db"
        _seed(db, products=1)
        secret_path(db).write_bytes(os.urandom(32))  # another caja's secret
        with pytest.raises(StoreError, match=r"la clave de cifrado de la caja no abre caja\.db"):
            Store.open(db)

    def test_wrong_key_in_english(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        db = tmp_path / "caja.db"
        _seed(db, products=1)
        secret_path(db).write_bytes(os.urandom(32))
        monkeypatch.setenv("STOCKY_UI_LANGUAGE", "en")
        with pytest.raises(CipherError, match=r"encryption key does not open caja\.db"):
            Store.open(db)

    def test_missing_secret_is_named(self, tmp_path: Path) -> None:
        db = tmp_path / "caja.db"
        _seed(db, products=1)
        secret_path(db).unlink()
        with pytest.raises(CipherError, match=r"falta caja\.db\.secret"):
            Store.open(db)

    def test_plain_open_of_an_encrypted_file_is_refused(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        db = tmp_path / "caja.db"
        _seed(db, products=1)
        marker_path(db).unlink()
        monkeypatch.delenv(ENCRYPT_NEW_ENV)
        with pytest.raises(CipherError, match=r"caja\.db está cifrada pero falta caja\.db\.cipher"):
            Store.open(db)


class _MemoryKeyring(KeyringBackend):
    """The OS keyring is outside the system: a process-local one stands in for it."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.items[(service, username)]


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[_MemoryKeyring]:
    import keyring

    previous = keyring.get_keyring()
    backend = _MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv(KEYRING_ENV, raising=False)
    monkeypatch.setenv(ENCRYPT_NEW_ENV, "1")
    yield backend
    keyring.set_keyring(previous)


class TestKeyring:
    def test_key_lives_in_the_keyring(self, tmp_path: Path, memory_keyring: _MemoryKeyring) -> None:
        db = tmp_path / "caja.db"
        _seed(db, products=3)
        marker = read_marker(db)
        assert marker is not None
        assert marker.key_source == "keyring"
        assert not secret_path(db).exists()
        stored = memory_keyring.items[(KEYRING_SERVICE, marker.store_id)]
        assert len(bytes.fromhex(stored)) == 32
        assert _products(db) == (3, [NAME])

    def test_key_gone_from_the_keyring(
        self, tmp_path: Path, memory_keyring: _MemoryKeyring
    ) -> None:
        db = tmp_path / "caja.db"
        _seed(db, products=1)
        memory_keyring.items.clear()
        with pytest.raises(CipherError, match="no está en el llavero del sistema"):
            Store.open(db)


@pytest.mark.usefixtures("plain_env")
class TestEncryptInPlace:
    def test_encrypts_keeping_every_row(self, tmp_path: Path) -> None:
        db = tmp_path / "caja.db"
        _seed(db)
        before = _products(db)
        result = _encrypt_cli(tmp_path)
        assert result.returncode == 0, result.stderr
        assert "encrypted" in result.stdout
        assert is_plain_sqlite(db) is False
        assert NAME.encode() not in _raw(db)
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "caja.db",
            "caja.db.cipher.json",
            "caja.db.secret",
        ]
        assert _products(db) == before
        again = _encrypt_cli(tmp_path)
        assert again.returncode == 1
        assert "already encrypted" in again.stderr

    def test_refused_while_the_caja_has_it_open(self, tmp_path: Path) -> None:
        db = tmp_path / "caja.db"
        _seed(db, products=2)
        with Store.open(db) as store:
            store.read(lambda c: c.execute("SELECT 1").fetchone())
            result = _encrypt_cli(tmp_path)
        assert result.returncode == 1
        assert "is the caja running" in result.stderr
        assert is_plain_sqlite(db) is True

    def test_no_database(self, tmp_path: Path) -> None:
        result = _encrypt_cli(tmp_path)
        assert result.returncode == 1
        assert "no caja database" in result.stderr
        assert "Traceback" not in result.stderr

    @pytest.mark.parametrize("step", STEPS)
    def test_killed_at_a_step_leaves_a_usable_db(self, tmp_path: Path, step: str) -> None:
        db = tmp_path / "caja.db"
        _seed(db)
        before = _products(db)
        killed = _encrypt_cli(tmp_path, **{CRASH_ENV: step})
        assert killed.returncode == 70, killed.stderr
        # The caja opens whichever file the crash left: the plain one or the encrypted one.
        assert _products(db) == before
        expected_plain = STEPS.index(step) < STEPS.index("swapped")
        assert is_plain_sqlite(db) is expected_plain
        finished = _encrypt_cli(tmp_path)
        if step == "scrubbed":
            assert finished.returncode == 1  # nothing left to do
            assert "already encrypted" in finished.stderr
        else:
            assert finished.returncode == 0, finished.stderr
        assert is_plain_sqlite(db) is False
        assert _products(db) == before
        leftovers: list[Any] = [
            p.name for p in tmp_path.iterdir() if p.name.endswith((".encrypting", ".plain-old"))
        ]
        assert leftovers == []
        assert NAME.encode() not in _raw(db)


@pytest.mark.usefixtures("encrypted_env")
class TestSnapshots:
    def test_snapshot_of_an_encrypted_caja_is_encrypted_with_its_key(self, tmp_path: Path) -> None:
        from stocky.edge.backup.snapshot import backups_dir, take_snapshot, verify_database

        db = tmp_path / "caja.db"
        _seed(db)
        before = _products(db)
        with Store.open(db):  # snapshots are taken from the running caja
            snapshot = take_snapshot(db, backups_dir(tmp_path), reason="manual", keep=3)
        assert is_plain_sqlite(snapshot) is False
        assert NAME.encode() not in snapshot.read_bytes()
        assert not marker_path(snapshot).exists()  # the caja's marker and key serve it
        restored = tmp_path / "restored" / "caja.db"
        restored.parent.mkdir()
        restored.write_bytes(snapshot.read_bytes())
        # A copy away from its caja's folder has no key to open it with, and says so.
        subprocess_env = {k: v for k, v in os.environ.items() if k != ENCRYPT_NEW_ENV}
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from stocky.edge.store import Store; Store.open(sys.argv[1])",
                str(restored),
            ],
            capture_output=True,
            text=True,
            env=subprocess_env,
            timeout=60,
            check=False,
        )
        assert "cifrada pero falta caja.db.cipher.json" in probe.stderr
        verify_database(snapshot)
        # Restoring it as the caja's db: the same marker and key open it.
        db.with_name("caja.db-wal").unlink(missing_ok=True)
        db.with_name("caja.db-shm").unlink(missing_ok=True)
        db.write_bytes(snapshot.read_bytes())
        assert _products(db) == before
