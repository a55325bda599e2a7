"""`stocky edge activate --encrypt` against a real cloud: the caja's db is born encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocky.edge.cli import edge_app
from stocky.edge.config import store_path
from stocky.edge.store import Store
from stocky.edge.store.cipher import ENCRYPT_NEW_ENV, is_plain_sqlite, read_marker
from tests.edge.activation.conftest import Cloud

runner = CliRunner()


def _activate(cloud: Cloud, data_dir: Path, *extra: str) -> tuple[int, str]:
    args = ["activate", "--cloud", cloud.url, "--code", cloud.code(), "--data-dir", str(data_dir)]
    result = runner.invoke(edge_app, [*args, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _users(data_dir: Path) -> int:
    with Store.open(store_path(data_dir)) as store:
        count: int = store.read(lambda c: c.execute("SELECT count(*) FROM users").fetchone()[0])
    return count


class TestActivateEncrypted:
    def test_new_data_dir(
        self, cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv(ENCRYPT_NEW_ENV, raising=False)
        code, out = _activate(cloud, tmp_path, "--encrypt")
        assert code == 0, out
        assert "Encrypted" in out
        db = store_path(tmp_path)
        assert is_plain_sqlite(db) is False
        marker = read_marker(db)
        assert marker is not None
        assert marker.state == "encrypted"
        assert _users(tmp_path) > 0

    def test_reactivating_a_plain_caja_encrypts_it(
        self, cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv(ENCRYPT_NEW_ENV, raising=False)
        assert _activate(cloud, tmp_path)[0] == 0
        assert is_plain_sqlite(store_path(tmp_path)) is True
        code, out = _activate(cloud, tmp_path, "--force", "--encrypt")
        assert code == 0, out
        assert is_plain_sqlite(store_path(tmp_path)) is False
        assert _users(tmp_path) > 0
        assert not store_path(tmp_path).with_name("caja.db.plain-old").exists()
