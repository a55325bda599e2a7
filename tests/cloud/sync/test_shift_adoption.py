"""Every sale and return belongs to exactly one shift in the cloud too: a `shift.open` names
the sales and returns the caja made with no shift open, and the cloud gives them that shift
whether they landed before the open or land after it; never one that has a shift, never
another caja's. The close's check then counts them (sales, and returns with their refunds by
method), and the Z report's first and last receipts are kept."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Refund, Sale, Shift
from stocky.core.ids import new_id
from tests.cloud.factories import create_device
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.ops import push_body, return_op, sale_op

pytestmark = pytest.mark.asyncio


def open_op(
    shift_id: str, adopted: list[str] | None = None, returns: list[str] | None = None
) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    payload: dict[str, Any] = {
        "id": shift_id,
        "user_id": str(uuid.uuid4()),
        "opened_at": now,
        "opening_float": "0.00",
    }
    if adopted is not None:
        payload["adopted_sales"] = adopted
    if returns is not None:
        payload["adopted_returns"] = returns
    return {
        "op_id": str(new_id()),
        "kind": "shift.open",
        "entity_id": shift_id,
        "client_ts": now,
        "payload": payload,
    }


def close_op(shift_id: str, **report: Any) -> dict[str, Any]:
    return {
        "op_id": str(new_id()),
        "kind": "shift.close",
        "entity_id": shift_id,
        "client_ts": datetime.now(UTC).isoformat(),
        "payload": {
            "id": shift_id,
            "z_report": {"counted_cash": "0.00", "expected_cash": "0.00", **report},
        },
    }


def card_sale(
    world: SyncWorld, number: int, shift_id: str | None = None, units: str = "1"
) -> dict[str, Any]:
    op = sale_op([(world.rice.id, units, "2500.00")], number=number)
    op["payload"]["sale"]["payments"][0]["method"] = "card"
    op["payload"]["shift_id"] = shift_id
    return op


def refund_op(
    sale: dict[str, Any],
    refunds: dict[str, str],
    *,
    shift_id: str | None = None,
    old: bool = False,
) -> dict[str, Any]:
    """A return of the sale's first line, refunding `refunds` by method, its shift in the
    header as the caja writes it now; `old`: as older cajas did, with the shift only on the
    document and no `refunds` split (one method)."""
    op = return_op(sale, [(0, "1")])
    total = sum((Decimal(a) for a in refunds.values()), Decimal(0))
    header = op["payload"]["return"]
    header.update(refund_total=f"{total:.2f}", refund_method=max(refunds, key=refunds.__getitem__))
    op["payload"]["shift_id"] = shift_id
    if old:
        assert len(refunds) <= 1
    else:
        header["refunds"] = [{"method": m, "amount": a} for m, a in refunds.items()]
        header["shift_id"] = shift_id
    return op


async def _push(client, world: SyncWorld, ops: list[dict[str, Any]]) -> list[str]:
    response = await client.post(
        "/api/sync/push", json=push_body(world, ops), headers=world.caja.headers
    )
    assert response.status_code == 200, response.text
    return [r["status"] for r in response.json()["results"]]


async def _shifts(cloud_app, world: SyncWorld, ops: list[dict[str, Any]]) -> list[str | None]:
    ids = [uuid.UUID(op["entity_id"]) for op in ops]
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        rows = dict((await s.execute(select(Sale.id, Sale.shift_id).where(Sale.id.in_(ids)))).all())
    return [None if rows.get(i) is None else str(rows[i]) for i in ids]


async def _return_shifts(
    cloud_app, world: SyncWorld, ops: list[dict[str, Any]]
) -> list[str | None]:
    """Each return's shift, as its refund rows hold it (one shift for all of them)."""
    out: list[str | None] = []
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        for op in ops:
            rows = set(
                (
                    await s.execute(
                        select(Refund.shift_id).where(
                            Refund.return_id == uuid.UUID(op["payload"]["document_id"])
                        )
                    )
                ).scalars()
            )
            assert len(rows) == 1, rows
            shift = rows.pop()
            out.append(None if shift is None else str(shift))
    return out


async def _cloud_check(cloud_app, world: SyncWorld, shift: str) -> dict[str, Any]:
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        row = await s.get(Shift, (world.shop.tenant_id, uuid.UUID(shift)))
    assert row is not None
    assert row.z_report is not None
    check: dict[str, Any] = row.z_report["cloud_check"]
    return check


class TestAdoption:
    async def test_sales_before_the_open_are_adopted(self, client, cloud_app, world) -> None:
        sales = [card_sale(world, 1), card_sale(world, 2)]
        shift = str(new_id())
        ops = [*sales, open_op(shift, [s["entity_id"] for s in sales])]
        assert await _push(client, world, ops) == ["applied"] * 3
        assert await _shifts(cloud_app, world, sales) == [shift, shift]

    async def test_a_sale_that_lands_after_the_open_gets_its_shift(
        self, client, cloud_app, world
    ) -> None:
        late, early = card_sale(world, 3), card_sale(world, 4)
        shift = str(new_id())
        opened = open_op(shift, [late["entity_id"], early["entity_id"]])
        assert await _push(client, world, [early, opened]) == ["applied", "applied"]
        assert await _push(client, world, [late]) == ["applied"]
        assert await _shifts(cloud_app, world, [late, early]) == [shift, shift]
        # The close's check counts both, as the caja's Z report does.
        close = close_op(shift, sales_count=2, total="5000.00", cash_in="0.00")
        assert await _push(client, world, [close]) == ["applied"]
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            row = await s.get(Shift, (world.shop.tenant_id, uuid.UUID(shift)))
        assert row is not None
        assert row.z_report is not None
        assert row.z_report["cloud_check"]["ok"] is True, row.z_report["cloud_check"]

    async def test_a_sale_with_a_shift_is_never_taken(self, client, cloud_app, world) -> None:
        first = str(new_id())
        assert await _push(client, world, [open_op(first)]) == ["applied"]
        kept = card_sale(world, 5, shift_id=first)
        second = str(new_id())
        # A second open naming it (a forged or buggy op) does not move it, before or after.
        assert await _push(client, world, [kept, open_op(second, [kept["entity_id"]])]) == [
            "applied",
            "applied",
        ]
        assert await _shifts(cloud_app, world, [kept]) == [first]
        # Nor does a later adopter take a sale an earlier shift adopted.
        orphan = card_sale(world, 6)
        third, fourth = str(new_id()), str(new_id())
        assert await _push(client, world, [open_op(third, [orphan["entity_id"]])]) == ["applied"]
        assert await _push(client, world, [open_op(fourth, [orphan["entity_id"]])]) == ["applied"]
        assert await _push(client, world, [orphan]) == ["applied"]
        assert await _shifts(cloud_app, world, [orphan]) == [third]

    async def test_another_cajas_sale_is_never_adopted(self, client, cloud_app, world) -> None:
        other = await create_device(
            cloud_app.state.sessionmaker, world.shop.tenant_id, world.shop.sede_id
        )
        theirs = dataclasses.replace(world, caja=other)
        before, after = card_sale(theirs, 7), card_sale(theirs, 8)
        assert await _push(client, theirs, [before]) == ["applied"]
        shift = str(new_id())
        opened = open_op(shift, [before["entity_id"], after["entity_id"]])
        assert await _push(client, world, [opened]) == ["applied"]
        assert await _push(client, theirs, [after]) == ["applied"]
        assert await _shifts(cloud_app, world, [before, after]) == [None, None]

    async def test_old_payloads_and_bad_lists(self, client, cloud_app, world) -> None:
        assert await _push(client, world, [open_op(str(new_id()))]) == ["applied"]
        repeated = str(new_id())
        bad = [open_op(str(new_id()), [repeated, repeated]), open_op(str(new_id()), ["x"])]
        assert await _push(client, world, bad) == ["rejected", "rejected"]


def _refunds(**amounts: str) -> dict[str, str]:
    """The Z report's refunds by method, as the caja writes them."""
    return {m: amounts.get(m, "0.00") for m in ("cash", "card", "transfer")}


class TestReturnAdoption:
    async def test_a_return_before_the_open_is_adopted(self, client, cloud_app, world) -> None:
        sale = card_sale(world, 11)
        back = refund_op(sale, {"card": "2500.00"})
        shift = str(new_id())
        ops = [sale, back, open_op(shift, [sale["entity_id"]], [back["entity_id"]])]
        assert await _push(client, world, ops) == ["applied"] * 3
        assert await _return_shifts(cloud_app, world, [back]) == [shift]
        close = close_op(
            shift,
            sales_count=1,
            total="2500.00",
            returns_count=1,
            refunds=_refunds(card="2500.00"),
        )
        assert await _push(client, world, [close]) == ["applied"]
        check = await _cloud_check(cloud_app, world, shift)
        assert check["ok"] is True, check

    async def test_a_return_that_lands_after_the_open_gets_its_shift(
        self, client, cloud_app, world
    ) -> None:
        sale = card_sale(world, 12)
        back = refund_op(sale, {"card": "1000.00", "cash": "1500.00"})
        shift = str(new_id())
        opened = open_op(shift, returns=[back["entity_id"]])
        assert await _push(client, world, [sale, opened]) == ["applied", "applied"]
        assert await _push(client, world, [back]) == ["applied"]
        assert await _return_shifts(cloud_app, world, [back]) == [shift]

    async def test_a_return_with_a_shift_is_never_taken(self, client, cloud_app, world) -> None:
        first, second, third = str(new_id()), str(new_id()), str(new_id())
        sale = card_sale(world, 13, units="5")
        assert await _push(client, world, [open_op(first), sale]) == ["applied", "applied"]
        early = refund_op(sale, {"card": "100.00"}, shift_id=first)
        late = refund_op(sale, {"card": "200.00"}, shift_id=first)
        # Named by a later open (a forged or buggy op), before and after it landed.
        ops = [early, open_op(second, returns=[early["entity_id"], late["entity_id"]])]
        assert await _push(client, world, ops) == ["applied", "applied"]
        assert await _push(client, world, [late]) == ["applied"]
        assert await _return_shifts(cloud_app, world, [early, late]) == [first, first]
        # Nor does a later adopter take a return an earlier shift adopted.
        orphan = refund_op(sale, {"card": "300.00"})
        assert await _push(client, world, [open_op(third, returns=[orphan["entity_id"]])]) == [
            "applied"
        ]
        fourth = open_op(str(new_id()), returns=[orphan["entity_id"]])
        assert await _push(client, world, [fourth]) == ["applied"]
        assert await _push(client, world, [orphan]) == ["applied"]
        assert await _return_shifts(cloud_app, world, [orphan]) == [third]

    async def test_another_cajas_return_is_never_adopted(self, client, cloud_app, world) -> None:
        other = await create_device(
            cloud_app.state.sessionmaker, world.shop.tenant_id, world.shop.sede_id
        )
        theirs = dataclasses.replace(world, caja=other)
        sale = card_sale(theirs, 14, units="5")
        before = refund_op(sale, {"card": "100.00"})
        after = refund_op(sale, {"card": "200.00"})
        assert await _push(client, theirs, [sale, before]) == ["applied", "applied"]
        shift = str(new_id())
        opened = open_op(shift, returns=[before["entity_id"], after["entity_id"]])
        assert await _push(client, world, [opened]) == ["applied"]
        assert await _push(client, theirs, [after]) == ["applied"]
        assert await _return_shifts(cloud_app, world, [before, after]) == [None, None]

    async def test_old_payloads_without_the_headers_shift(self, client, cloud_app, world) -> None:
        shift = str(new_id())
        sale = card_sale(world, 15, units="5")
        assert await _push(client, world, [open_op(shift), sale]) == ["applied", "applied"]
        # The document's shift_id said it (older cajas); with none, the next open adopts it.
        shifted = refund_op(sale, {"cash": "100.00"}, shift_id=shift, old=True)
        loose = refund_op(sale, {"card": "200.00"}, old=True)
        assert await _push(client, world, [shifted, loose]) == ["applied", "applied"]
        assert await _return_shifts(cloud_app, world, [shifted, loose]) == [shift, None]
        adopter = str(new_id())
        assert await _push(client, world, [open_op(adopter, returns=[loose["entity_id"]])]) == [
            "applied"
        ]
        assert await _return_shifts(cloud_app, world, [loose]) == [adopter]
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            rows = (
                await s.execute(
                    select(Refund.method, Refund.amount).where(
                        Refund.return_id == uuid.UUID(loose["entity_id"])
                    )
                )
            ).all()
        assert [(m, str(a)) for m, a in rows] == [("card", "200.00")]


class TestZCheckRefunds:
    async def _shift_with_returns(self, client, world: SyncWorld, number: int = 16) -> str:
        """A shift whose drawer refunded two returns (one split cash + card) and gave back
        nothing for a third (a line discounted to 0): 2 returns, 700 cash, 300 card."""
        shift = str(new_id())
        sale = card_sale(world, number, units="5")  # no shift: its sale counts nowhere
        ops = [
            open_op(shift),
            sale,
            refund_op(sale, {"cash": "400.00", "card": "300.00"}, shift_id=shift),
            refund_op(sale, {"cash": "300.00"}, shift_id=shift),
        ]
        nothing = return_op(sale, [(0, "1")])
        nothing["payload"]["shift_id"] = shift
        nothing["payload"]["return"]["shift_id"] = shift
        assert await _push(client, world, [*ops, nothing]) == ["applied"] * 5
        return shift

    async def test_refunds_that_match_pass(self, client, cloud_app, world) -> None:
        shift = await self._shift_with_returns(client, world)
        close = close_op(shift, returns_count=2, refunds=_refunds(cash="700.00", card="300.00"))
        assert await _push(client, world, [close]) == ["applied"]
        check = await _cloud_check(cloud_app, world, shift)
        assert check["ok"] is True, check
        assert check["received"]["refunds.cash"] == "700.00"
        assert check["received"]["returns_count"] == "2"

    async def test_a_gap_is_reported_never_refused(self, client, cloud_app, world) -> None:
        shift = await self._shift_with_returns(client, world)
        # The caja counted a return (and 50.00 in cash) the cloud never received.
        close = close_op(shift, returns_count=3, refunds=_refunds(cash="750.00", card="300.00"))
        assert await _push(client, world, [close]) == ["applied"]
        check = await _cloud_check(cloud_app, world, shift)
        assert check["ok"] is False
        assert check["gaps"] == {"returns_count": "1", "refunds.cash": "50.00"}

    async def test_an_older_or_unreadable_report(self, client, cloud_app, world) -> None:
        shift = await self._shift_with_returns(client, world)
        # No refunds at all (an older report) reads as 0; a figure that is not one says so.
        close = close_op(shift, returns_count="two")
        assert await _push(client, world, [close]) == ["applied"]
        check = await _cloud_check(cloud_app, world, shift)
        assert check["gaps"] == {
            "returns_count": "unreadable",
            "refunds.cash": "-700.00",
            "refunds.card": "-300.00",
        }
        other = await self._shift_with_returns(client, world, number=17)
        assert await _push(client, world, [close_op(other, refunds="x")]) == ["applied"]
        gaps = (await _cloud_check(cloud_app, world, other))["gaps"]
        assert gaps["refunds.cash"] == gaps["refunds.transfer"] == "unreadable"


async def test_the_z_reports_receipts_are_kept(client, cloud_app, world) -> None:
    shift = str(new_id())
    assert await _push(client, world, [open_op(shift)]) == ["applied"]
    close = close_op(shift, first_receipt="C01-000041", last_receipt="C01-000042")
    assert await _push(client, world, [close]) == ["applied"]
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        row = await s.get(Shift, (world.shop.tenant_id, uuid.UUID(shift)))
    assert row is not None
    assert row.z_report is not None
    assert (row.z_report["first_receipt"], row.z_report["last_receipt"]) == (
        "C01-000041",
        "C01-000042",
    )
    other = str(new_id())
    assert await _push(client, world, [open_op(other)]) == ["applied"]
    assert await _push(client, world, [close_op(other, first_receipt="C01\u0000")]) == ["rejected"]
