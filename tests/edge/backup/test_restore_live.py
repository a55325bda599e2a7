"""A caja lost and restored from its cloud backup, against a live cloud on 127.0.0.1.

Sell, back up (uploaded), sell more and push, sell once more without pushing, wipe the data
dir; restore from the cloud as the owner (the wiped machine has no credential left). The
pushed sales come back through pull, the unpushed one is gone (and said to be unknowable),
the outbox sequence goes on past the lost file's pushed ops, and the next sale reaches the
cloud once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from stocky.cli import app as cli_app
from stocky.cloud.embedded import libpq_url
from stocky.edge.activation.store import save_activation
from stocky.edge.backup.snapshot import backups_dir, list_snapshots
from stocky.edge.config import store_path
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from tests.edge.sync.test_restore import PASSWORD, _cloud_sales, _sell, _sync
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio
OWNER = "owner-restore@example.com"
TIMEOUT = 30.0


def _shop(cloud: str) -> tuple[dict[str, str], str, str, str, dict[str, object]]:
    with httpx.Client(base_url=cloud, timeout=TIMEOUT) as http:
        signup = http.post(
            "/api/signup", json={"tenant_name": "Tienda", "email": OWNER, "password": PASSWORD}
        )
        assert signup.status_code in (200, 201), signup.text
        owner = {"Authorization": f"Bearer {signup.json()['tokens']['access_token']}"}
        sede = http.post("/api/sedes", json={"name": "Centro"}, headers=owner).json()["id"]
        cashier = http.post(
            "/api/users",
            json={
                "email": "c@example.com",
                "name": "C",
                "password": PASSWORD,
                "role": "cashier",
                "sede_id": sede,
            },
            headers=owner,
        ).json()["id"]
        product = http.post(
            "/api/products", json={"sku": "A", "name": "Arroz", "price": "4500.00"}, headers=owner
        ).json()["id"]
        code = http.post(f"/api/sedes/{sede}/activation-codes", headers=owner).json()["code"]
        answer = http.post("/api/activate", json={"code": code, "device_name": "C1"}).json()
    return owner, sede, cashier, product, answer


def _outbox(store: Store) -> list[tuple[int, str, str]]:
    return store.read(
        lambda c: [tuple(r) for r in c.execute("SELECT seq, op_id, status FROM sync_queue")]
    )


def _local_sales(store: Store) -> int:
    count: int = store.read(
        lambda c: c.execute("SELECT count(*) FROM transactions WHERE type = 'sale'").fetchone()[0]
    )
    return count


async def test_restore_from_the_cloud_onto_a_wiped_machine(
    live_cloud: str, database: DatabaseUrls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sede, cashier, product, answer = _shop(live_cloud)
    device = str(answer["device"]["id"])  # type: ignore[index]
    data_dir = tmp_path / "caja"
    runner = CliRunner()
    store = Store.open(store_path(data_dir))
    store.write(lambda c: save_activation(c, answer))
    client = CloudClient(live_cloud, str(answer["device_credential"]))
    try:
        for _ in range(2):
            _sell(store, product, cashier)
        await _sync(store, client, sede, device)

        # The backup, taken and uploaded while the store is open (the online backup API).
        done = runner.invoke(cli_app, ["edge", "backup", "--data-dir", str(data_dir), "--upload"])
        assert done.exit_code == 0, done.output
        assert "Uploaded as backup" in done.output
        in_snapshot = _outbox(store)

        for _ in range(3):
            _sell(store, product, cashier)
        await _sync(store, client, sede, device)
        pushed_after = [row for row in _outbox(store) if row not in in_snapshot]
        assert pushed_after
        assert all(status == "synced" for _, _, status in pushed_after)
        _sell(store, product, cashier)  # never pushed: lost with the machine
        lost_seq = max(seq for seq, _, _ in _outbox(store))
        assert _cloud_sales(database.owner_url)[:2] == (5, 5)
    finally:
        await client.aclose()
        store.close()

    shutil.rmtree(data_dir)
    monkeypatch.setenv("STOCKY_OWNER_PASSWORD", PASSWORD)
    args = ["edge", "restore", "--data-dir", str(data_dir), "--from-cloud"]
    args += ["--cloud-url", live_cloud, "--email", OWNER, "--device", device]
    done = runner.invoke(cli_app, args)
    assert done.exit_code == 0, done.output
    output = " ".join(done.output.split())
    assert f"The cloud has {len(pushed_after)} ops from this caja that the snapshot lacks" in output
    assert "how many cannot be counted" in output
    assert [s.reason for s in list_snapshots(backups_dir(data_dir))] == []  # a download only

    store = Store.open(store_path(data_dir))
    client = CloudClient(live_cloud, str(answer["device_credential"]))
    try:
        assert _local_sales(store) == 2, "the snapshot holds the first two sales"
        await _sync(store, client, sede, device)
        assert _local_sales(store) == 5, "the three pushed after the backup came back by pull"
        _sell(store, product, cashier)
        new_seq = max(seq for seq, _, _ in _outbox(store))
        assert new_seq > max(seq for seq, _, _ in pushed_after), "no seq handed out twice"
        assert new_seq <= lost_seq + 1
        await _sync(store, client, sede, device)
        results = store.read(
            lambda c: [
                tuple(r) for r in c.execute("SELECT seq, kind, status, result FROM sync_queue")
            ]
        )
        assert all(row[2] == "synced" for row in results), results
        assert _local_sales(store) == 6
    finally:
        await client.aclose()
        store.close()
    moves, distinct, _ = _cloud_sales(database.owner_url)
    assert (moves, distinct) == (6, 6), "the new sale arrived once; the unpushed one is gone"
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        ops = conn.execute(
            "SELECT count(*), count(DISTINCT op_id) FROM sync_ops WHERE device_id = %s", (device,)
        ).fetchone()
    assert ops is not None
    assert ops[0] == ops[1]


async def test_restore_refuses_a_running_caja_and_bad_snapshots(tmp_path: Path) -> None:
    from stocky.edge.desktop.single_instance import InstanceLock

    data_dir = tmp_path / "caja"
    runner = CliRunner()
    store = Store.open(store_path(data_dir))
    store.close()
    done = runner.invoke(cli_app, ["edge", "backup", "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    [snap] = list_snapshots(backups_dir(data_dir))
    with InstanceLock.acquire(data_dir):
        done = runner.invoke(cli_app, ["edge", "restore", "--data-dir", str(data_dir)])
    assert done.exit_code == 1
    assert "a caja is running" in done.output
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 500)
    before = store_path(data_dir).read_bytes()
    done = runner.invoke(cli_app, ["edge", "restore", "--data-dir", str(data_dir), str(bad)])
    assert done.exit_code == 1
    assert "not a readable caja database" in done.output
    assert store_path(data_dir).read_bytes() == before
    done = runner.invoke(cli_app, ["edge", "restore", "--data-dir", str(data_dir), snap.name])
    assert done.exit_code == 0, done.output
    assert "Could not ask the cloud" in done.output
    assert list(data_dir.glob("caja.db.replaced-*"))
