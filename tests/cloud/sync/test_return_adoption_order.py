"""Property: whatever order a caja's returns and the shift.open that adopts them reach the
cloud in (one op a push, or together in runs), each return ends with the shift the caja
gives it (its own shift, else the adopting one; another caja's never), and both shifts'
Z checks count exactly their refunds."""

from __future__ import annotations

import dataclasses
import itertools
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocky.core.ids import new_id
from tests.cloud.factories import create_device
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.test_shift_adoption import (
    _cloud_check,
    _push,
    _refunds,
    _return_shifts,
    card_sale,
    close_op,
    open_op,
    refund_op,
)

_NUMBERS = itertools.count(1000)  # receipt numbers stay unique per caja across examples
_RETURN = st.tuples(
    st.sampled_from(["mine", "shifted", "theirs"]),
    st.sampled_from(["cash", "card", "transfer"]),
    st.integers(1, 99_999),
)


@settings(
    max_examples=int(os.environ.get("STOCKY_PROPERTY_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    returns=st.lists(_RETURN, min_size=1, max_size=6),
    order=st.randoms(use_true_random=False),
    runs=st.lists(st.integers(1, 4), min_size=8, max_size=8),
    old=st.booleans(),
)
@pytest.mark.asyncio
async def test_any_order_gives_each_return_its_shift(
    client, cloud_app, world: SyncWorld, returns, order, runs, old
) -> None:
    other = await create_device(
        cloud_app.state.sessionmaker, world.shop.tenant_id, world.shop.sede_id
    )
    theirs = dataclasses.replace(world, caja=other)
    own, adopter = str(new_id()), str(new_id())
    sales = {
        "mine": card_sale(world, next(_NUMBERS), units="10"),
        "theirs": card_sale(theirs, next(_NUMBERS), units="10"),
    }
    assert await _push(client, world, [open_op(own), sales["mine"]]) == ["applied"] * 2
    assert await _push(client, theirs, [sales["theirs"]]) == ["applied"]
    ops: list[tuple[SyncWorld, dict[str, Any]]] = []
    expected: list[str | None] = []
    amounts: dict[str, dict[str, Decimal]] = {own: {}, adopter: {}}
    for who, method, cents in returns:
        amount = f"{Decimal(cents) / 100:.2f}"
        sale = sales["theirs" if who == "theirs" else "mine"]
        shift = own if who == "shifted" else None
        op = refund_op(sale, {method: amount}, shift_id=shift, old=old)
        ops.append((theirs if who == "theirs" else world, op))
        gets = None if who == "theirs" else shift or adopter
        expected.append(gets)
        if gets is not None:
            amounts[gets][method] = amounts[gets].get(method, Decimal(0)) + Decimal(amount)
    # The open names every return, even the shifted and the other caja's (a forged list).
    back = [op for _, op in ops]
    named = [op["entity_id"] for op in back]
    ops.append((world, open_op(adopter, returns=named)))
    order.shuffle(ops)
    sizes = iter(runs)
    while ops:
        device, take = ops[0][0], next(sizes, 4)
        run = [ops.pop(0)]
        while ops and ops[0][0] is device and len(run) < take:
            run.append(ops.pop(0))
        assert await _push(client, device, [op for _, op in run]) == ["applied"] * len(run)
    assert await _return_shifts(cloud_app, world, back) == expected
    for shift in (own, adopter):
        counted = sum(1 for e in expected if e == shift)
        refunds = _refunds(**{m: f"{a:.2f}" for m, a in amounts[shift].items()})
        close = close_op(shift, returns_count=counted, refunds=refunds)
        assert await _push(client, world, [close]) == ["applied"]
        check = await _cloud_check(cloud_app, world, shift)
        assert check["ok"] is True, check
