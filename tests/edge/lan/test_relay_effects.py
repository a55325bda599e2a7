"""A sale made at one caja, shown at the others of the sede before the cloud has it: once
by the master (which also holds it for the cloud), once by every slave, never twice, and
still once when the cloud's copy of the same movements arrives by pull."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from stocky.core.sync import Operation
from stocky.edge import outbox
from stocky.edge.config import CloudTimeouts
from stocky.edge.lan.effects import hold_relayed, show_broadcast
from stocky.edge.store import Store
from stocky.edge.store.sede import load_sede_info
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from stocky.edge.sync.push import PushWorker, queued_operation
from tests.edge.sync.live_shop import open_store, seed_shop, sell

pytestmark = pytest.mark.asyncio


def _stock(store: Store) -> int:
    row = store.read(lambda c: c.execute("SELECT quantity_milli FROM inventory").fetchone())
    return 0 if row is None else int(row[0])


def _device(store: Store) -> str:
    info = store.read(load_sede_info)
    assert info is not None
    return info.device_id


def _queued(store: Store) -> list[Operation]:
    return [
        queued_operation(op) for op in store.read(lambda c: outbox.ops_after(c, 0, pending=True))
    ]


async def test_a_relayed_sale_is_shown_once_everywhere_and_once_after_the_pull(
    live_cloud: str, tmp_path: Path
) -> None:
    shop = seed_shop(live_cloud, tmp_path / "slave", tmp_path / "master", tmp_path / "other")
    slave, master, other = (open_store(d) for d in shop.data_dirs)
    try:
        sell(slave, shop, "2")
        [op] = _queued(slave)
        origin = _device(slave)

        first = master.write(lambda c: hold_relayed(c, [op], origin_device_id=origin))
        again = master.write(lambda c: hold_relayed(c, [op], origin_device_id=origin))
        assert [h.new for h in first + again] == [True, False]
        assert _stock(master) == -2000
        held = master.read(lambda c: outbox.ops_after(c, 0, pending=True))
        assert [(h.op_id, h.origin_device_id) for h in held] == [(str(op.op_id), origin)]

        relayed = op.model_copy(update={"origin_device_id": uuid.UUID(origin)})
        for _ in range(2):  # a broadcast delivered twice
            other.write(lambda c: show_broadcast(c, relayed, _device(other)))
        assert _stock(other) == -2000
        # The slave's own op coming back from the master is already shown there.
        assert slave.write(lambda c: show_broadcast(c, op, origin)) == 0
        assert _stock(slave) == -2000

        # The slave pushes its own op; the others pull the cloud's movement and stock row.
        # A loaded CI machine answered the first push after more than the caja's 5 s.
        patient = CloudTimeouts(push=30.0, pull=30.0)
        clients = [
            CloudClient(shop.url, _credential(store), timeouts=patient)
            for store in (slave, master, other)
        ]
        try:
            pushed = await PushWorker(
                slave, clients[0], sede_id=shop.sede, device_id=origin
            ).run_once()
            assert pushed.applied == 1
            for store, client in ((master, clients[1]), (other, clients[2])):
                await PullWorker(store, client, sede_id=shop.sede).run_once()
                assert _stock(store) == -2000  # the cloud's movement is the one shown
        finally:
            for client in clients:
                await client.aclose()
    finally:
        for store in (slave, master, other):
            store.close()


def _credential(store: Store) -> str:
    return str(
        store.read(lambda c: c.execute("SELECT device_credential FROM sede_info").fetchone()[0])
    )
