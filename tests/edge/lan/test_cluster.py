"""Three cajas of one sede as real processes on loopback: one master, two slaves; a sale at
any caja shown at every caja, with the cloud down too; the master killed -9 and another
taking over at a newer epoch; the old master back as a slave; in the end the cloud holds
every sale made at every caja exactly once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.edge.lan.cluster import CajaProcess, cloud_sales, sede_cajas, wait_for
from tests.edge.sync.live_shop import Shop, seed_shop
from tests.fixtures.cloud_process import CloudProcess


def _roles(cajas: list[CajaProcess]) -> list[str]:
    return [c.lan()["role"] if c.running else "down" for c in cajas]


def _stocks(cajas: list[CajaProcess], shop: Shop) -> list[Decimal | None]:
    return [None if (q := c.stock(shop)) is None else Decimal(q) for c in cajas if c.running]


def _everywhere(cajas: list[CajaProcess], shop: Shop, sold: int) -> bool:
    return all(q == -sold for q in _stocks(cajas, shop))


def _pending(cajas: list[CajaProcess]) -> int:
    return sum(int(c.status()["pending_ops"]) for c in cajas if c.running)


@pytest.mark.slow
def test_a_sede_of_three_cajas_shares_every_sale_and_survives_its_master(
    cloud_process: CloudProcess, tmp_path: Path
) -> None:
    cloud_process.kill()
    cloud_process.env["STOCKY_LAN_LEASE_SECONDS"] = "3"
    cloud_process.start()
    shop = seed_shop(cloud_process.url, *(tmp_path / f"caja{n}" for n in (1, 2, 3)))
    cajas = sede_cajas(shop, tmp_path)
    first, second, third = cajas
    try:
        for caja in cajas:
            caja.start()
        # Activation order ranks them: caja 1 is master, the others follow it.
        wait_for("caja 1 master", lambda: _roles(cajas) == ["master", "slave", "slave"])
        lans = [c.lan() for c in cajas]
        epoch = lans[0]["epoch"]
        assert {lan["epoch"] for lan in lans} == {epoch}
        assert {lan["master_device_id"] for lan in lans} == {lans[0]["master_device_id"]}

        sold = 0
        third.sell(shop)
        sold += 1
        wait_for("the slave's sale at every caja", lambda: _everywhere(cajas, shop, sold))

        # The internet goes: the LAN still carries every sale to every screen.
        cloud_process.kill()
        for caja in cajas:
            caja.sell(shop)
            sold += 1
        wait_for("offline sales at every caja", lambda: _everywhere(cajas, shop, sold))

        # The master dies (offline still): caja 2 takes over at a newer epoch.
        first.kill()
        second.sell(shop)
        third.sell(shop)
        sold += 2
        wait_for("caja 2 master", lambda: _roles(cajas) == ["down", "master", "slave"])
        assert second.lan()["epoch"] > epoch
        wait_for("sales after the failover", lambda: _everywhere(cajas, shop, sold))

        # The cloud and the old master come back; the old master joins as a slave.
        cloud_process.start()
        first.start()
        wait_for("caja 1 back as a slave", lambda: _roles(cajas) == ["slave", "master", "slave"])
        first.sell(shop)
        sold += 1
        wait_for("every outbox drained", lambda: _pending(cajas) == 0, timeout=90)
        wait_for("the cloud's stock at every caja", lambda: _everywhere(cajas, shop, sold))

        made = set().union(*(c.own_sales() for c in cajas))
        assert len(made) == sold
        in_cloud = cloud_sales(shop)
        assert sorted(in_cloud) == sorted(made)  # every sale once, none twice

        # The owner revokes caja 3: the master drops it once the devices feed says so.
        device = third.status()["sede"]["device_id"]
        revoked = httpx.post(
            f"{shop.url}/api/devices/{device}/revoke", headers=shop.owner, timeout=30
        )
        assert revoked.status_code == 200, revoked.text
        wait_for("caja 3 off the LAN", lambda: third.lan()["role"] != "slave")
        assert _roles(cajas)[:2] == ["slave", "master"]
    finally:
        for caja in cajas:
            caja.stop()
    for caja in cajas:
        log = caja.log_path.read_text()
        assert "Traceback" not in log, log
