"""A master whose lease passed to another caja: the cloud refuses its push whole (409
stale_epoch) and its push worker steps the node down, keeping every op pending for the new
master (never rejecting one), then the new master's push of the same op applies once."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from stocky.core.lan import LeaseRequest
from stocky.core.sync import OpResult, PushRequest
from stocky.edge import outbox
from stocky.edge.config import CloudTimeouts
from stocky.edge.outbox import QueuedOp
from stocky.edge.store import Store
from stocky.edge.store.sede import load_sede_info
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.push import PushWorker, queued_operation
from tests.edge.sync.live_shop import open_store, seed_shop, sell
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio


class MasterAt:
    """What the push worker asks a LAN node, for a master at `epoch`; records step-downs."""

    def __init__(self, epoch: int) -> None:
        self.current = epoch
        self.stale_heard: list[int | None] = []

    def may_push(self) -> bool:
        return True

    def epoch(self) -> int | None:
        return self.current

    async def relayed_results(self, results: list[OpResult], ops: dict[str, QueuedOp]) -> None:
        return None

    async def stale(self, current_epoch: int | None) -> None:
        self.stale_heard.append(current_epoch)


def _ids(store: Store) -> tuple[str, str, str]:
    info = store.read(load_sede_info)
    assert info is not None
    credential = store.read(
        lambda c: c.execute("SELECT device_credential FROM sede_info").fetchone()[0]
    )
    return info.sede_id, info.device_id, str(credential)


def _statuses(store: Store) -> list[str]:
    return [str(r[0]) for r in store.read(lambda c: c.execute("SELECT status FROM sync_queue"))]


async def test_a_stale_master_steps_down_and_loses_nothing(
    live_cloud: str, database: DatabaseUrls, tmp_path: Path
) -> None:
    shop = seed_shop(live_cloud, tmp_path / "old", tmp_path / "new")
    old, new = (open_store(d) for d in shop.data_dirs)
    patient = CloudTimeouts(push=30.0, pull=30.0, ping=30.0)
    (sede, old_id, old_cred), (_, new_id, new_cred) = _ids(old), _ids(new)
    old_cloud = CloudClient(shop.url, old_cred, timeouts=patient)
    new_cloud = CloudClient(shop.url, new_cred, timeouts=patient)
    try:
        first = await old_cloud.lan_lease(
            LeaseRequest(sede_id=uuid.UUID(sede), device_id=uuid.UUID(old_id), epoch=0)
        )
        assert first.granted
        # The old master goes quiet past its lease (as a frozen PC would): another takes it.
        with psycopg.connect(database.owner_url) as conn:
            conn.execute("UPDATE sede_lan_leases SET expires_at = now() - interval '1 second'")
        taken = await new_cloud.lan_lease(
            LeaseRequest(sede_id=uuid.UUID(sede), device_id=uuid.UUID(new_id), epoch=0)
        )
        assert taken.granted
        assert taken.epoch == first.epoch + 1

        sell(old, shop, "1")
        lan = MasterAt(first.epoch)
        outcome = await PushWorker(
            old, old_cloud, sede_id=sede, device_id=old_id, lan=lan
        ).run_once()
        assert outcome.failed
        assert lan.stale_heard == [taken.epoch]
        assert _statuses(old) == ["pending"]  # refused as stale, never rejected

        # The new master carries the old one's op (handed over on the LAN) to the cloud.
        [op] = old.read(lambda c: outbox.ops_after(c, 0, pending=True))
        relayed = queued_operation(op).model_copy(update={"origin_device_id": uuid.UUID(old_id)})

        answer = await new_cloud.push(
            PushRequest(
                sede_id=uuid.UUID(sede),
                device_id=uuid.UUID(new_id),
                operations=[relayed],
                lan_epoch=taken.epoch,
            )
        )
        assert [r.status for r in answer.results] == ["applied"]
        # The old caja, no longer master, delivers its own copy: a duplicate, nothing doubled.
        retry = await PushWorker(old, old_cloud, sede_id=sede, device_id=old_id).run_once(
            ignore_backoff=True
        )
        assert not retry.failed
        assert _statuses(old) == ["synced"]
    finally:
        await old_cloud.aclose()
        await new_cloud.aclose()
        old.close()
        new.close()
