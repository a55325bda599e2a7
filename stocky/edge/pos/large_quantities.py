"""The quantity guard of the local API: a sale line above the caja policy's
quantity_confirm_above (100 units, 50 kg by default) is refused unless the caller says it
meant it (`confirm_large_quantities`), as the counter asks the cashier before such a line
enters the cart. It is a guard against a typo (500 kg for 0.500), not a sales rule: record_sale
itself takes any quantity, so sync and replays never depend on a setting.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from stocky.core.errors import FieldError
from stocky.edge.inventory.service import resolve_product
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.shifts.policy import caja_policy


def check_large_quantities(conn: sqlite3.Connection, cmd: SaleCreate) -> None:
    """422 naming `lines.N.quantity` where a product's quantity in the sale first goes above
    the policy's limit for its unit (lines of the same product add up, as the cart merges
    them), unless the sale confirms large quantities."""
    if cmd.confirm_large_quantities:
        return
    policy = caja_policy(conn)
    so_far: dict[str, Decimal] = {}
    for i, line in enumerate(cmd.lines):
        product = resolve_product(conn, line, f"lines.{i}")
        total = so_far[product["id"]] = so_far.get(product["id"], Decimal(0)) + line.quantity
        limit = policy.quantity_limit(str(product["unit"]))
        if limit is not None and total > limit:
            raise FieldError(
                f"lines.{i}.quantity",
                f"{total} of {product['name']} is above {limit}, this caja's limit for one "
                "sale; send confirm_large_quantities: true if that is right",
            )
