"""The counter's carts in the store keep what the cashier typed (issue 12): each line's
discount as an amount or a percentage, and the ticket's discount, over a reload or a park
(caja schema v9). The screens' side is tests/edge/ui/test_ticket_discount_held.py."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from stocky.edge.pos import cart_store
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja


def test_the_store_round_trips_lines_and_discounts(caja: Caja) -> None:
    unit, weight = caja.products[0]["id"], caja.products[1]["id"]
    lines = [
        cart_store.HeldLine(unit, Decimal("2.000"), Decimal("1.50")),
        cart_store.HeldLine(weight, Decimal("0.375"), Decimal("0.48"), Decimal("5.00")),
    ]
    amount = cart_store.TicketDiscount(amount=Decimal("4.00"))

    def keep(conn: sqlite3.Connection) -> None:
        cart_store.save_open_cart(conn, lines, user_id=None, now=utc_now(), discount=amount)

    caja.store.write(keep)
    assert caja.store.read(cart_store.open_cart) == cart_store.HeldCart(lines, amount)
    # Without a discount (the old rows of v8 have none) nothing is invented.
    caja.store.write(
        lambda conn: cart_store.save_open_cart(conn, lines, user_id=None, now=utc_now())
    )
    assert not caja.store.read(cart_store.open_cart).discount


def test_a_parked_cart_comes_back_with_its_discount(caja: Caja) -> None:
    lines = [cart_store.HeldLine(caja.products[0]["id"], Decimal("1.000"))]
    percent = cart_store.TicketDiscount(percent=Decimal("15.00"))
    now = utc_now()
    cart_id = caja.store.write(
        lambda c: cart_store.park_open_cart(c, lines, user_id=None, now=now, discount=percent)
    )
    assert cart_id is not None
    back = caja.store.write(
        lambda c: cart_store.resume_parked(
            c, cart_id, cart_store.HeldCart([]), user_id=None, now=utc_now()
        )
    )
    assert back == cart_store.HeldCart(lines, percent)
    assert caja.store.read(cart_store.open_cart) == cart_store.HeldCart(lines, percent)
