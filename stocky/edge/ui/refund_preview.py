"""What a return would refund, and how, before it is recorded (read-only, on a reader).

It uses the pos service's own share and split rules (`share_cents`, `refund_split`) so that the
figures the cashier confirms are the ones `record_return` will write.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal

from stocky.core.errors import StockyError
from stocky.core.money import cents_to_money, quantity_to_milli
from stocky.edge.pos import repository as pos_repo
from stocky.edge.pos.repository import gross_cents
from stocky.edge.pos.returns import refund_split
from stocky.edge.pos.service import share_cents
from stocky.edge.shifts.policy import caja_policy


@dataclass(frozen=True, slots=True)
class RefundPreview:
    total: Decimal
    split: list[tuple[str, Decimal]] = field(default_factory=list)
    # "whole" (a whole ticket) or "above" (over the sede's threshold): a manager approves.
    approval: str | None = None
    # The split's refusal (a method that cannot cover it), to show instead of the split.
    problem: StockyError | None = None


def refund_preview(
    conn: sqlite3.Connection, sale_id: str, picks: dict[str, Decimal], method: str | None
) -> RefundPreview:
    """The refund of returning `picks` (sale line id -> quantity) of a sale, by `method`."""
    sale = pos_repo.get_sale(conn, sale_id)
    if sale is None:
        return RefundPreview(total=Decimal(0))
    lines = pos_repo.sale_lines(conn, sale_id)
    total = 0
    all_back, none_before = True, True
    for line in lines:
        sold, before = line["quantity_milli"], line["returned_milli"]
        qty = min(quantity_to_milli(picks.get(line["id"], Decimal(0))), sold - before)
        qty = max(qty, 0)
        net = gross_cents(line["unit_price_cents"], sold) - line["discount_cents"]
        total += share_cents(net, before + qty, sold) - share_cents(net, before, sold)
        all_back = all_back and before + qty >= sold
        none_before = none_before and before == 0
    policy = caja_policy(conn)
    approval = None
    if (
        policy.return_approval_above_cents is not None
        and total > policy.return_approval_above_cents
    ):
        approval = "above"
    elif all_back and none_before and policy.return_approval_whole_ticket:
        approval = "whole"
    try:
        split = refund_split(conn, sale, total, method)
    except StockyError as exc:
        return RefundPreview(cents_to_money(total), [], approval, exc)
    return RefundPreview(
        cents_to_money(total), [(m, cents_to_money(c)) for m, c in split], approval, None
    )
