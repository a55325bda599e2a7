"""Before a sale is sent: does it need a shift that is not open? Then say so, with a button.

The pos service refuses it anyway (409 naming `shift`); asking first keeps the cart and
shows the sentence and "Abrir turno" instead of an error after the payment.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from stocky.edge.shifts.policy import caja_policy
from stocky.edge.shifts.repository import open_shift_id
from stocky.edge.ui.errors import shift_needed_dialog
from stocky.edge.ui.runtime import get_runtime
from stocky.ui.i18n import t


def missing_shift(conn: sqlite3.Connection, methods: Iterable[str]) -> str | None:
    """The i18n key saying why a sale paid with `methods` needs a shift, or None."""
    if open_shift_id(conn) is not None:
        return None
    required = caja_policy(conn).shift_required
    if required == "all":
        return "error.shift_needed_sale"
    if required == "cash" and "cash" in methods:
        return "error.shift_needed"
    return None


async def refuse_without_shift(paid: dict[str, object]) -> bool:
    """True (and the shift-needed dialog shown) if this payment needs a shift not open."""
    store = get_runtime().store
    if store is None:
        return False
    methods = [m for m, amount in paid.items() if amount]
    key = await store.aread(lambda conn: missing_shift(conn, methods))
    if key is None:
        return False
    shift_needed_dialog(t(key))
    return True
