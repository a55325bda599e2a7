"""`transfer.*` notices on a live cloud running its job worker: a caja of each sede and the
owner hear every step of a transfer once, in order, and each caja is nudged to pull the
stock the job moved.

"Once" never waits on a clock: after the steps under test, a fence (another transfer's
request) is announced, and everything heard before the fence is what was announced.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.cloud.factories import Caja
from tests.cloud.realtime.conftest import Listener, Live, bearer
from tests.cloud.realtime.world import RealtimeWorld, pull

pytestmark = pytest.mark.asyncio

Heard = tuple[str, Any]


@pytest.fixture
def live_with_worker() -> bool:
    return True  # the job that moves the stock runs in the live server


class Ear:
    """A listener that keeps everything it heard, to assert on order and counts."""

    def __init__(self, name: str, listener: Listener) -> None:
        self.name, self.listener = name, listener
        self.log: list[Heard] = []

    async def until(
        self, wanted: Callable[[str, Any], bool], start: int = 0, timeout: float = 30.0
    ) -> int:
        """The index in the log of the first event `wanted` from `start` on (listening for
        it if it has not been heard yet)."""
        for i in range(start, len(self.log)):
            if wanted(*self.log[i]):
                return i
        async with asyncio.timeout(timeout):
            while True:
                event, data = await self.listener.events.get()
                self.log.append((event, data))
                if wanted(event, data):
                    return len(self.log) - 1

    async def heard(self, name: str, transfer_id: str) -> dict[str, Any]:
        i = await self.until(lambda e, d: e == name and d.get("transfer_id") == transfer_id)
        data: dict[str, Any] = self.log[i][1]
        return data

    def transfer_events(self, transfer_id: str, before: int | None = None) -> list[str]:
        return [
            event
            for event, data in self.log[:before]
            if event.startswith("transfer.") and data.get("transfer_id") == transfer_id
        ]


async def _ears(live: Live, world: RealtimeWorld) -> dict[str, Ear]:
    ears = {}
    for name, token in (
        ("caja centro", bearer(world.caja.headers)),
        ("caja norte", bearer(world.caja_norte.headers)),
        ("owner", bearer(world.owner)),
    ):
        listener = Listener()
        await listener.connect(live.url, token)
        ears[name] = Ear(name, listener)
    return ears


async def _prepare(http: httpx.AsyncClient, world: RealtimeWorld, stock: str) -> None:
    for caja in (world.caja, world.caja_norte):
        r = await http.post("/api/sync/ping", json={}, headers=caja.headers)
        assert r.status_code == 200, r.text
    lines = [{"product_id": str(world.rice.id), "quantity": stock}]
    r = await http.post(
        f"/api/inventory/{world.centro}/opening", json={"lines": lines}, headers=world.owner
    )
    assert r.status_code == 201, r.text


async def _request(http: httpx.AsyncClient, world: RealtimeWorld, qty: str) -> str:
    body = {
        "from_sede_id": str(world.centro),
        "to_sede_id": str(world.norte),
        "lines": [{"product_id": str(world.rice.id), "quantity": qty}],
    }
    r = await http.post("/api/transfers/request", json=body, headers=world.owner)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _fence(
    http: httpx.AsyncClient, world: RealtimeWorld, ears: dict[str, Ear]
) -> dict[str, int]:
    """Announce a fence transfer; where each ear heard it."""
    fence = await _request(http, world, "1")
    return {
        name: await ear.until(
            lambda e, d: e == "transfer.requested" and d.get("transfer_id") == fence
        )
        for name, ear in ears.items()
    }


async def _close(ears: dict[str, Ear]) -> None:
    for ear in ears.values():
        await ear.listener.close()


async def test_request_approve_complete_heard_once_in_order_by_both_cajas_and_owner(
    live: Live, world: RealtimeWorld
) -> None:
    ears = await _ears(live, world)
    try:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            await _prepare(http, world, "10")
            tid = await _request(http, world, "4")
            for ear in ears.values():
                data = await ear.heard("transfer.requested", tid)
                assert data == {
                    "transfer_id": tid,
                    "status": "pending",
                    "from_sede_id": str(world.centro),
                    "to_sede_id": str(world.norte),
                    "from_sede_name": "Centro",
                    "to_sede_name": "Norte",
                    "reason": None,
                }, ear.name

            # Each caja's feed position before the approval: what it pulls from on a nudge.
            cursors = {}
            for caja in (world.caja, world.caja_norte):
                page: dict[str, Any] = {"cursor": None, "has_more": True}
                while page["has_more"]:
                    page = await pull(live.url, caja, page["cursor"])
                cursors[caja.device_id] = str(page["cursor"])
            marks = {name: len(ear.log) for name, ear in ears.items()}

            r = await http.post(f"/api/transfers/{tid}/approve", json={}, headers=world.manager)
            assert r.status_code == 200, r.text
            for ear in ears.values():
                approved = await ear.heard("transfer.approved", tid)
                assert approved["status"] == "processing", ear.name
                completed = await ear.heard("transfer.completed", tid)
                assert completed["status"] == "completed", ear.name
                assert completed["reason"] is None

            # Each caja is nudged, and the nudge's pull brings the stock the job moved.
            for caja, name in ((world.caja, "caja centro"), (world.caja_norte, "caja norte")):
                await _pulls_the_movement(
                    ears[name], caja, live.url, cursors, marks[name], tid, world.centro
                )

            fences = await _fence(http, world, ears)
        for name, ear in ears.items():
            assert ear.transfer_events(tid, fences[name]) == [
                "transfer.requested",
                "transfer.approved",
                "transfer.completed",
            ], name
    finally:
        await _close(ears)


async def _pulls_the_movement(
    ear: Ear,
    caja: Caja,
    url: str,
    cursors: dict[uuid.UUID, str],
    mark: int,
    transfer_id: str,
    origin: uuid.UUID,
) -> None:
    """Every `sync.changes` this caja hears after the approval, it pulls; one of those pulls
    brings its side of the transfer's movement."""
    expected = "transfer_out" if caja.sede_id == origin else "transfer_in"
    seen = mark
    while True:
        seen = 1 + await ear.until(
            lambda e, d: e == "sync.changes" and d.get("sede_id") == str(caja.sede_id), seen
        )
        page = await pull(url, caja, cursors[caja.device_id])
        cursors[caja.device_id] = str(page["cursor"])
        changes: list[dict[str, Any]] = page["changes"]  # type: ignore[assignment]
        moved = [
            c["data"]
            for c in changes
            if c["entity"] == "transactions" and (c["data"] or {}).get("transfer_id") == transfer_id
        ]
        if moved:
            assert [m["type"] for m in moved] == [expected], ear.name
            assert all(m["sede_id"] == str(caja.sede_id) for m in moved)
            return


async def test_a_failed_transfer_is_heard_with_its_reason(live: Live, world: RealtimeWorld) -> None:
    ears = await _ears(live, world)
    try:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            await _prepare(http, world, "2")
            tid = await _request(http, world, "5")
            r = await http.post(f"/api/transfers/{tid}/approve", json={}, headers=world.owner)
            assert r.status_code == 200, r.text
            for ear in ears.values():
                failed = await ear.heard("transfer.failed", tid)
                assert failed["status"] == "failed", ear.name
                assert "insufficient stock at Centro" in failed["reason"]
                assert "has 2, needs 5" in failed["reason"]
            fences = await _fence(http, world, ears)
        for name, ear in ears.items():
            assert ear.transfer_events(tid, fences[name]) == [
                "transfer.requested",
                "transfer.approved",
                "transfer.failed",
            ], name
    finally:
        await _close(ears)


async def test_reject_and_cancel_are_heard(live: Live, world: RealtimeWorld) -> None:
    ears = await _ears(live, world)
    try:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            await _prepare(http, world, "2")
            rejected, cancelled = await _request(http, world, "1"), await _request(http, world, "1")
            r = await http.post(
                f"/api/transfers/{rejected}/reject",
                json={"reason": "sin existencias"},
                headers=world.manager,
            )
            assert r.status_code == 200, r.text
            r = await http.post(
                f"/api/transfers/{cancelled}/cancel",
                json={"reason": "ya no"},
                headers=world.owner,
            )
            assert r.status_code == 200, r.text
            for ear in ears.values():
                data = await ear.heard("transfer.rejected", rejected)
                assert (data["status"], data["reason"]) == ("rejected", "sin existencias")
                data = await ear.heard("transfer.cancelled", cancelled)
                assert (data["status"], data["reason"]) == ("cancelled", "ya no")
            fences = await _fence(http, world, ears)
        for name, ear in ears.items():
            assert ear.transfer_events(rejected, fences[name]) == [
                "transfer.requested",
                "transfer.rejected",
            ], name
            assert ear.transfer_events(cancelled, fences[name]) == [
                "transfer.requested",
                "transfer.cancelled",
            ], name
    finally:
        await _close(ears)
