"""Receipt arithmetic reads right (issue 12, item 6): quantity x price = gross, the discount
as a negative line, then the net; the ticket's discount is negative too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio
from nicegui.testing.user import User
from nicegui.testing.user_simulation import user_simulation

from stocky.edge.pos.schemas import PaymentOut, SaleLineOut, SaleOut
from stocky.edge.ui.receipt import ticket

SALE = SaleOut(
    id="s1",
    number=7,
    user_id="u1",
    shift_id=None,
    client_ts="2026-01-12T17:00:00+00:00",
    status="completed",
    lines=[
        SaleLineOut(
            id="l1",
            product_id="p1",
            name="Queso campesino",
            quantity=Decimal(2),
            unit_price=Decimal(16300),
            gross=Decimal(32600),
            discount=Decimal(3260),
            total=Decimal(29340),
            product_version=1,
            returned_quantity=Decimal(0),
        )
    ],
    payments=[PaymentOut(method="cash", amount=Decimal(30000))],
    refunds=[],
    subtotal=Decimal(32600),
    discount=Decimal(3260),
    tax=Decimal(0),
    total=Decimal(29340),
    paid=Decimal(30000),
    change=Decimal(660),
)


def _root() -> None:
    ticket(
        SALE,
        business="Mercado La 14",
        sede="Centro",
        cashier="Ana",
        currency="COP",
        locale="es-CO",
        timezone="America/Bogota",
    )


@pytest_asyncio.fixture
async def user() -> AsyncIterator[User]:
    async with user_simulation(root=_root) as simulated:
        yield simulated


@pytest.mark.asyncio
async def test_line_reads_quantity_times_price_then_discount_then_net(user: User) -> None:
    await user.open("/")
    await user.should_see("2 x $ 16.300 =")
    await user.should_see("$ 32.600")
    await user.should_see("-$ 3.260")
    await user.should_see("$ 29.340")
    await user.should_see("$ 660")
