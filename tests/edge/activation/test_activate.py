"""`stocky edge activate` end to end, against a real cloud server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from stocky.edge.auth.tokens import CloudTokenError, verify_cloud_token_in_store
from stocky.edge.cli import edge_app
from stocky.edge.config import store_path
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from tests.edge.activation.conftest import Cloud
from tests.fixtures.cloud_admin import PASSWORD

runner = CliRunner()


def _activate(cloud_url: str, code: str, data_dir: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(
        edge_app,
        ["activate", "--cloud", cloud_url, "--code", code, "--data-dir", str(data_dir), *extra],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _db(data_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(store_path(data_dir))
    conn.row_factory = sqlite3.Row
    return conn


class TestActivateCommand:
    def test_activates_and_seeds_the_store(self, cloud: Cloud, tmp_path: Path) -> None:
        code, out = _activate(cloud.url, cloud.code(), tmp_path, "--name", "Caja 1")
        assert code == 0, out
        assert "Caja activated" in out
        assert "Centro" in out
        with _db(tmp_path) as conn:
            info = conn.execute("SELECT * FROM sede_info").fetchone()
            assert info["sede_id"] == cloud.sede
            assert info["device_name"] == "Caja 1"
            assert info["device_credential"].startswith("dc_")
            assert info["cloud_url"] == cloud.url
            assert info["currency"] == "COP"
            users = {r["email"]: r for r in conn.execute("SELECT * FROM users")}
            assert set(users) == {"owner@example.com", "cajera@example.com"}
            assert users["cajera@example.com"]["password_hash"].startswith("$argon2")
            product = conn.execute("SELECT * FROM products").fetchone()
            assert product["price_cents"] == 450050
            assert product["cost_cents"] == 300000
            assert product["barcode"] == "7701234567890"
            barcodes = [r[0] for r in conn.execute("SELECT barcode FROM product_barcodes")]
            assert barcodes == ["7709999999999"]
            inv = conn.execute("SELECT * FROM inventory").fetchone()
            assert inv["quantity_milli"] == 12000
            assert inv["cloud_quantity_milli"] == 12000
        # The stored credential authenticates the caja with the cloud.
        r = httpx.get(
            f"{cloud.url}/api/devices/me",
            headers={"Authorization": f"Bearer {info['device_credential']}"},
        )
        assert r.status_code == 200
        assert r.json()["name"] == "Caja 1"

    def test_stored_jwks_verifies_cloud_tokens_offline(self, cloud: Cloud, tmp_path: Path) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        r = httpx.post(
            f"{cloud.url}/api/auth/login",
            json={"email": cloud.cashier_email, "password": PASSWORD},
        )
        token = r.json()["access_token"]
        with _db(tmp_path) as conn:
            claims = verify_cloud_token_in_store(conn, token)
            assert claims.role == "cashier"
            assert claims.sede_id == cloud.sede
            with pytest.raises(CloudTokenError):
                verify_cloud_token_in_store(conn, token[:-3] + "abc")

    def test_already_activated_refuses_without_force(self, cloud: Cloud, tmp_path: Path) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        code, out = _activate(cloud.url, cloud.code(), tmp_path)
        assert code == 1
        assert "already activated" in out
        assert "--force" in out
        assert "Traceback" not in out

    def test_force_refuses_with_pending_ops(self, cloud: Cloud, tmp_path: Path) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        with _db(tmp_path) as conn:
            for _ in range(3):
                conn.execute(
                    "INSERT INTO sync_queue (op_id, kind, entity_id, payload, client_ts,"
                    " created_at) VALUES (?, 'sale', 'x', '{}', '2026-01-01', '2026-01-01')",
                    (str(uuid.uuid4()),),
                )
        code, out = _activate(cloud.url, cloud.code(), tmp_path, "--force")
        assert code == 1
        assert "3 operations" in out

    def test_force_reactivates(self, cloud: Cloud, tmp_path: Path) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path, "--name", "Vieja")[0] == 0
        code, out = _activate(cloud.url, cloud.code(), tmp_path, "--force", "--name", "Nueva")
        assert code == 0, out
        with _db(tmp_path) as conn:
            assert conn.execute("SELECT device_name FROM sede_info").fetchone()[0] == "Nueva"
            assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 1


class TestActivateErrors:
    def test_wrong_code(self, cloud: Cloud, tmp_path: Path) -> None:
        real = cloud.code()
        wrong = real[:-1] + ("1" if real[-1] == "0" else "0")
        code, out = _activate(cloud.url, wrong, tmp_path)
        assert code == 1
        assert "not valid" in out
        assert "Traceback" not in out

    def test_used_code(self, cloud: Cloud, tmp_path: Path) -> None:
        code = cloud.code()
        assert _activate(cloud.url, code, tmp_path / "a")[0] == 0
        exit_code, out = _activate(cloud.url, code, tmp_path / "b")
        assert exit_code == 1
        assert "already used" in out

    def test_code_shape(self, tmp_path: Path) -> None:
        code, out = _activate("http://127.0.0.1:9", "12a", tmp_path)
        assert code == 1
        assert "12 letters and digits" in out

    def test_unreachable_cloud(self, tmp_path: Path) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        code, out = _activate(f"http://127.0.0.1:{port}", "ABCD-EFGH-JKMN", tmp_path)
        assert code == 1
        assert "Cannot reach the cloud" in out
        assert "Traceback" not in out


# What a pulled row and an activation row may differ in: when the caja wrote it, and the
# feed position a pulled stock row carries.
_SNAPSHOTS = {
    "users": "SELECT * FROM users ORDER BY id",
    "products": "SELECT * FROM products ORDER BY id",
    "product_barcodes": "SELECT * FROM product_barcodes ORDER BY barcode",
    "inventory": "SELECT product_id, quantity_milli, cloud_quantity_milli, min_milli, max_milli"
    " FROM inventory ORDER BY product_id",
}


def _snapshot(data_dir: Path) -> dict[str, list[dict[str, object]]]:
    with _db(data_dir) as conn:
        tables = {
            name: [dict(row) for row in conn.execute(sql)] for name, sql in _SNAPSHOTS.items()
        }
    for product in tables["products"]:
        del product["synced_at"]
    return tables


class TestInitialData:
    def test_activation_writes_what_the_first_pull_would(
        self, cloud: Cloud, tmp_path: Path
    ) -> None:
        """Activation applies its data through the pull's handlers: pulling the whole feed
        right after changes none of the rows it wrote."""
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        activated = _snapshot(tmp_path)
        assert all(activated.values())

        async def pull() -> None:
            with Store.open(store_path(tmp_path)) as store:
                credential, sede_id = store.read(
                    lambda c: c.execute(
                        "SELECT device_credential, sede_id FROM sede_info"
                    ).fetchone()
                )
                client = CloudClient(cloud.url, credential)
                try:
                    outcome = await PullWorker(store, client, sede_id=sede_id).run_once()
                finally:
                    await client.aclose()
                assert not outcome.failed
                assert outcome.changes > 0
                assert outcome.diverged == []

        asyncio.run(pull())
        assert _snapshot(tmp_path) == activated
