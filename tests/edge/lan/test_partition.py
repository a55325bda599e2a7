"""Two masters during a partition are still safe (issue 16): with the cloud down, caja 1 is
cut off from cajas 2 and 3; caja 2 becomes master of its side at a newer epoch while caja 1
stays master of itself; both sides sell. When the LAN heals the newer epoch wins, caja 1
joins caja 2 as a slave, and since ops are idempotent and stock changes are deltas every
caja converges on the same stock; when the cloud is back it holds each sale exactly once.
The cut is made both ways the switch knows: connections reset (each end learns at once)
and traffic silently dropped (each end learns only by its heartbeat and probe timeouts)."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.edge.lan.cluster import CajaProcess, cloud_sales, lan_env, wait_for
from tests.edge.lan.switch import LanSwitch, Mode
from tests.edge.sync.live_shop import Shop, seed_shop
from tests.fixtures.cloud_process import CloudProcess, free_port


def _switched_cajas(shop: Shop, switch: LanSwitch, tmp_path: Path) -> list[CajaProcess]:
    """One CajaProcess per activated data dir, each reaching the others through the switch."""
    cajas = []
    for n, data_dir in enumerate(shop.data_dirs, start=1):
        lan_port = switch.lan_ports[n]
        env = lan_env(
            dict(os.environ), cloud_url=shop.url, lan_port=lan_port, peers=switch.peer_ports(n)
        )
        cajas.append(
            CajaProcess(
                name=f"caja {n}",
                data_dir=data_dir,
                api_port=free_port(),
                lan_port=lan_port,
                log_path=tmp_path / f"caja{n}.log",
                env=env,
            )
        )
    return cajas


def _roles(cajas: list[CajaProcess]) -> list[str]:
    return [c.lan()["role"] for c in cajas]


def _stock(caja: CajaProcess, shop: Shop) -> Decimal | None:
    q = caja.stock(shop)
    return None if q is None else Decimal(q)


def _stocks_are(cajas: list[CajaProcess], shop: Shop, expected: int) -> bool:
    return all(_stock(c, shop) == -expected for c in cajas)


def _pending(cajas: list[CajaProcess]) -> list[int]:
    return [int(c.status()["pending_ops"]) for c in cajas]


@pytest.mark.slow
@pytest.mark.parametrize("cut", ["refuse", "drop"])
def test_two_masters_in_a_partition_converge_with_nothing_lost_or_doubled(
    cloud_process: CloudProcess, tmp_path: Path, cut: Mode
) -> None:
    cloud_process.kill()
    cloud_process.env["STOCKY_LAN_LEASE_SECONDS"] = "3"
    cloud_process.start()
    shop = seed_shop(cloud_process.url, *(tmp_path / f"caja{n}" for n in (1, 2, 3)))
    switch = LanSwitch([free_port() for _ in shop.data_dirs])
    switch.start()
    cajas = _switched_cajas(shop, switch, tmp_path)
    first, second, third = cajas
    try:
        for caja in cajas:
            caja.start()
        # Activation order ranks them: caja 1 is master, the others follow it.
        wait_for("caja 1 master", lambda: _roles(cajas) == ["master", "slave", "slave"])
        old_epoch = first.lan()["epoch"]
        master_1 = first.lan()["master_device_id"]

        # Offline, so no lease arbitrates: the cajas are on their own.
        cloud_process.kill()
        switch.cut({1}, {2, 3}, cut)
        wait_for(
            "caja 2 master of its side",
            lambda: (
                _roles(cajas) == ["master", "master", "slave"]
                and third.lan()["master_device_id"] == second.lan()["master_device_id"]
            ),
        )
        new_epoch = second.lan()["epoch"]
        assert new_epoch > old_epoch
        assert first.lan()["epoch"] == old_epoch
        master_2 = second.lan()["master_device_id"]
        assert master_2 != master_1

        # Each side sells and sees its own side's sales only.
        first.sell(shop)
        first.sell(shop)
        second.sell(shop)
        third.sell(shop)
        wait_for("caja 1's sales at caja 1", lambda: _stock(first, shop) == -2)
        wait_for("the other side's sales there", lambda: _stocks_are([second, third], shop, 2))
        assert _roles(cajas) == ["master", "master", "slave"]

        # The LAN heals: the newer epoch wins and caja 1 follows caja 2.
        switch.heal()
        wait_for(
            "one master again",
            lambda: (
                _roles(cajas) == ["slave", "master", "slave"]
                and {c.lan()["master_device_id"] for c in cajas} == {master_2}
            ),
        )
        assert {c.lan()["epoch"] for c in cajas} == {new_epoch}
        wait_for("every sale at every caja", lambda: _stocks_are(cajas, shop, 4))

        # The cloud comes back: every sale reaches it once, its stock comes back to all.
        cloud_process.start()
        wait_for("every outbox drained", lambda: _pending(cajas) == [0, 0, 0], timeout=90)
        wait_for("the cloud's stock at every caja", lambda: _stocks_are(cajas, shop, 4))

        made = set().union(*(c.own_sales() for c in cajas))
        assert len(made) == 4
        in_cloud = cloud_sales(shop)
        assert sorted(in_cloud) == sorted(made)  # every sale once, none twice
    finally:
        for caja in cajas:
            caja.stop()
        switch.stop()
    for caja in cajas:
        log = caja.log_path.read_text()
        assert "Traceback" not in log, log
