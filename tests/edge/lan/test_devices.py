"""The devices feed as sede_devices: this sede's cajas only, ranked, revocations kept."""

from __future__ import annotations

from typing import Any

from stocky.core.ids import new_id_str
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.apply import ApplyStats, apply_page
from tests.edge.factories import Caja, caja
from tests.edge.sync.cloud_rows import change, page

__all__ = ["caja"]


def device_row(caja: Caja, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": new_id_str(),
        "tenant_id": caja.sede["tenant_id"],
        "sede_id": caja.sede["sede_id"],
        "name": "Caja 2",
        "credential_hash": "not for cajas",
        "status": "active",
        "caja_number": 2,
        "lan_rank": 2,
        "revoked_at": None,
        "updated_at": "2026-12-01T10:00:00+00:00",
    }
    row.update(overrides)
    return row


def apply(caja: Caja, *changes: Any) -> ApplyStats:
    sede_id = caja.sede["sede_id"]
    pulled = page(list(changes))
    return caja.store.write(lambda c: apply_page(c, pulled, sede_id=sede_id, now=utc_now()))


def devices(caja: Caja) -> dict[str, dict[str, Any]]:
    rows = caja.store.read(lambda c: c.execute("SELECT * FROM sede_devices").fetchall())
    return {row["device_id"]: dict(row) for row in rows}


def test_this_sedes_cajas_are_kept_with_rank_and_status(caja: Caja) -> None:
    ranked = device_row(caja, lan_rank=5, caja_number=2)
    unranked = device_row(caja, name="Caja 3", lan_rank=None, caja_number=3)
    stats = apply(
        caja, change("devices", ranked["id"], ranked), change("devices", unranked["id"], unranked)
    )
    assert stats.applied == {"devices": 2}
    rows = devices(caja)
    assert rows[ranked["id"]]["lan_rank"] == 5
    assert rows[ranked["id"]]["name"] == "Caja 2"
    assert rows[ranked["id"]]["status"] == "active"
    # Before the cloud ranks them, cajas follow their activation order.
    assert rows[unranked["id"]]["lan_rank"] == 3
    assert "credential_hash" not in rows[ranked["id"]]


def test_a_revoked_caja_stays_marked_revoked(caja: Caja) -> None:
    row = device_row(caja)
    apply(caja, change("devices", row["id"], row))
    revoked = {**row, "status": "revoked", "revoked_at": "2026-12-02T09:00:00+00:00"}
    apply(caja, change("devices", row["id"], revoked))
    kept = devices(caja)[row["id"]]
    assert kept["status"] == "revoked"
    assert kept["revoked_at"] is not None
    assert kept["revoked_at"].startswith("2026-12-02T09:00:00")


def test_a_caja_moved_away_or_deleted_stays_marked(caja: Caja) -> None:
    moved, deleted = device_row(caja), device_row(caja, name="Caja 3")
    apply(caja, change("devices", moved["id"], moved), change("devices", deleted["id"], deleted))
    elsewhere = {**moved, "sede_id": new_id_str()}
    stats = apply(
        caja,
        change("devices", moved["id"], elsewhere),
        change("devices", deleted["id"], None, op="delete"),
    )
    assert stats.applied == {"devices": 2}
    kept = devices(caja)
    assert (kept[moved["id"]]["status"], kept[deleted["id"]]["status"]) == ("moved", "deleted")


def test_another_sedes_caja_is_never_stored(caja: Caja) -> None:
    stranger = device_row(caja, sede_id=new_id_str())
    stats = apply(caja, change("devices", stranger["id"], stranger))
    assert stats.ignored == {"devices": 1}
    assert devices(caja) == {}
