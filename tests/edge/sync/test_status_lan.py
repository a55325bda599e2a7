"""The caja's LAN state in its status JSON (GET /local/api/status, `stocky edge status`):
role, epoch and master as the LAN node writes them to sync_state, peers named from the
devices feed (sede_devices). Rows written into a real store file, read back as JSON."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

from stocky.edge.config import EdgeSettings
from stocky.edge.sync.state import set_state
from stocky.edge.sync.status import caja_status, status_json
from tests.edge.factories import Caja, caja

__all__ = ["caja"]  # the fixture

NOW = "2026-12-02T21:00:00.000Z"


def _device(conn: sqlite3.Connection, name: str, rank: int) -> str:
    device_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO sede_devices (device_id, name, caja_number, lan_rank, status, updated_at) "
        "VALUES (?, ?, ?, ?, 'active', ?)",
        (device_id, name, rank, rank, NOW),
    )
    return device_id


def _peer(conn: sqlite3.Connection, device_id: str, rank: int, role: str, port: int) -> None:
    conn.execute(
        "INSERT INTO lan_peers (device_id, address, port, rank, last_seen_at, role) "
        "VALUES (?, '192.168.1.20', ?, ?, ?, ?)",
        (device_id, port, rank, NOW, role),
    )


def test_a_caja_never_on_the_lan_is_alone(caja: Caja) -> None:
    status = caja.store.read(caja_status)
    assert status["role"] == "standalone"
    assert status["lan_peers"] == []
    assert status["lan"] == {
        "role": "standalone",
        "epoch": None,
        "master_device_id": None,
        "master_name": None,
        "peers": [],
    }


def test_a_secondary_names_its_master_and_its_peers(caja: Caja, tmp_path: Path) -> None:
    def fill(conn: sqlite3.Connection) -> tuple[str, str]:
        master = _device(conn, "Caja 2", 1)
        other = _device(conn, "Caja 3", 3)
        _peer(conn, master, 1, "master", 3001)
        _peer(conn, other, 3, "slave", 3002)
        _peer(conn, str(uuid.uuid4()), 5, "unknown", 3003)  # not in the feed yet
        set_state(conn, lan_role="slave", lan_epoch=7, lan_master_device_id=master)
        return master, other

    master, other = caja.store.write(fill)
    caja.store.close()  # the CLI reads the file, as it does beside a running caja
    printed = json.loads(status_json(EdgeSettings(data_dir=tmp_path / "data")))

    lan = printed["lan"]
    assert lan["role"] == "slave"
    assert lan["epoch"] == 7
    assert lan["master_device_id"] == master
    assert lan["master_name"] == "Caja 2"
    # First in line first; a peer the devices feed has not named yet has no name.
    assert [(p["device_id"], p["name"], p["role"], p["port"]) for p in lan["peers"]][:2] == [
        (master, "Caja 2", "master", 3001),
        (other, "Caja 3", "slave", 3002),
    ]
    assert lan["peers"][2]["name"] is None
    assert {"address", "rank", "last_seen_at"} <= set(lan["peers"][0])
    # The fields monitors already read stay where they were.
    assert printed["role"] == "slave"
    assert len(printed["lan_peers"]) == 3
    assert "name" not in printed["lan_peers"][0]


def test_the_master_knows_its_epoch_and_itself(caja: Caja) -> None:
    own = str(caja.sede["device_id"])

    def fill(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO sede_devices (device_id, name, caja_number, lan_rank, status, "
            "updated_at) VALUES (?, 'Caja 1', 1, 1, 'active', ?)",
            (own, NOW),
        )
        set_state(conn, lan_role="master", lan_epoch=12, lan_master_device_id=own)

    caja.store.write(fill)
    lan = caja.store.read(caja_status)["lan"]
    assert (lan["role"], lan["epoch"], lan["master_name"]) == ("master", 12, "Caja 1")
