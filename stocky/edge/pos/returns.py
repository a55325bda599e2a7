"""Returns at the caja: only the lines and quantities chosen, refunded the way the sale was
paid (cash only up to what cash paid), a manager's approval where the sede's policy asks,
and never more than was sold across every return. Runs inside one store.write."""

from __future__ import annotations

import sqlite3

from stocky.core.errors import ConflictError, FieldError, ForbiddenError, NotFoundError
from stocky.core.ids import new_id_str
from stocky.core.money import cents_to_money, milli_to_quantity, money_to_cents, quantity_to_milli
from stocky.edge.inventory.documents import record_document
from stocky.edge.inventory.repository import Movement
from stocky.edge.inventory.service import check_unit
from stocky.edge.pos import repository as repo
from stocky.edge.pos.repository import gross_cents
from stocky.edge.pos.schemas import (
    PaymentOut,
    ReturnCreate,
    ReturnLineOut,
    ReturnOut,
)
from stocky.edge.pos.service import need_shift, share_cents
from stocky.edge.shifts import repository as shifts_repo
from stocky.edge.shifts.policy import CajaPolicy, caja_policy
from stocky.edge.shifts.repository import open_shift_id


def _requested(
    cmd: ReturnCreate, lines: list[sqlite3.Row], remaining: dict[str, int]
) -> list[tuple[sqlite3.Row, int, str]]:
    """(sale line, quantity_milli, field) to return; 404 unknown line, 409 beyond what's left."""
    if cmd.lines is None:
        wanted = [(r, remaining[r["id"]], "sale_id") for r in lines if remaining[r["id"]] > 0]
        if not wanted:
            raise ConflictError("everything in this sale was already returned", field="sale_id")
        return wanted
    if not cmd.lines:
        raise FieldError("lines", "choose the lines and quantities to return")
    left = dict(remaining)
    wanted = []
    for i, req in enumerate(cmd.lines):
        field = f"lines.{i}"
        qty = quantity_to_milli(req.quantity)
        if req.line_id is not None:
            candidates = [r for r in lines if r["id"] == req.line_id]
            missing = (f"{field}.line_id", f"line {req.line_id} is not in this sale")
        else:
            candidates = [r for r in lines if r["product_id"] == req.product_id]
            missing = (f"{field}.product_id", f"product {req.product_id} is not in this sale")
        if not candidates:
            raise NotFoundError(f"{missing[0]}: {missing[1]}", field=missing[0])
        available = sum(left[r["id"]] for r in candidates)
        if qty > available:
            raise ConflictError(
                f"{field}.quantity: only {milli_to_quantity(available)} left to return",
                field=f"{field}.quantity",
            )
        check_unit(candidates[0], qty, f"{field}.quantity")
        for r in candidates:
            take = min(qty, left[r["id"]])
            if take > 0:
                wanted.append((r, take, field))
                left[r["id"]] -= take
                qty -= take
    return wanted


def record_return(
    conn: sqlite3.Connection,
    cmd: ReturnCreate,
    *,
    user_id: str,
    now: str,
    approved_by: str | None = None,
) -> ReturnOut:
    """Return the chosen lines of a past sale; never more than sold, across every return.

    The refund goes back the way the sale was paid unless a method is given (cash never
    beyond what was paid in cash); a whole ticket or a refund above the policy's threshold
    needs `approved_by` (a manager); a cash refund needs an open shift.
    """
    sale = repo.get_sale(conn, cmd.sale_id)
    if sale is None:
        raise NotFoundError(f"sale_id: sale {cmd.sale_id} not found", field="sale_id")
    if sale["status"] == "voided":
        raise ConflictError("sale_id: the sale was voided", field="sale_id")
    lines = repo.sale_lines(conn, cmd.sale_id)
    remaining = {r["id"]: r["quantity_milli"] - r["returned_milli"] for r in lines}
    done = {r["id"]: r["returned_milli"] for r in lines}
    nothing_back_before = all(v == 0 for v in done.values())
    return_id = new_id_str()
    movements: list[Movement] = []
    out: list[ReturnLineOut] = []
    for line, qty, _ in _requested(cmd, lines, remaining):
        sold, price = line["quantity_milli"], line["unit_price_cents"]
        net = gross_cents(price, sold) - line["discount_cents"]
        # Cumulative shares, so several partial returns add up to the line's net exactly.
        before = done[line["id"]]
        refund = share_cents(net, before + qty, sold) - share_cents(net, before, sold)
        done[line["id"]] = before + qty
        movement = Movement(
            id=new_id_str(),
            type="return",
            product_id=line["product_id"],
            quantity_milli=qty,
            unit_price_cents=price,
            unit_cost_cents=line["unit_cost_cents"],
            discount_cents=gross_cents(price, qty) - refund,
            product_version=line["product_version"],
            sale_id=cmd.sale_id,
            ref_id=line["id"],
            note=cmd.reason,
        )
        movements.append(movement)
        out.append(
            ReturnLineOut(
                id=movement.id,
                line_id=line["id"],
                product_id=line["product_id"],
                quantity=milli_to_quantity(qty),
                refund=cents_to_money(refund),
            )
        )
    refund_total = sum(money_to_cents(r.refund) for r in out)
    all_back = all(done[r["id"]] >= r["quantity_milli"] for r in lines)
    policy = caja_policy(conn)
    _check_approval(
        policy,
        refund_total=refund_total,
        whole_ticket=all_back and nothing_back_before,
        approved_by=approved_by,
    )
    refunds = refund_split(conn, sale, refund_total, cmd.refund_method)
    shift_id = open_shift_id(conn)
    if shift_id is None and any(m == "cash" for m, _ in refunds):
        need_shift(policy, cash=True)
    if refunds:
        shifts_repo.insert_refunds(
            conn, sale_id=cmd.sale_id, return_id=return_id, shift_id=shift_id, refunds=refunds
        )
    main_method = max(refunds, key=lambda r: r[1])[0] if refunds else (cmd.refund_method or "cash")
    repo.set_sale_status(conn, cmd.sale_id, "returned" if all_back else "partially_returned")
    op_id = record_document(
        conn,
        doc_type="return",
        document_id=return_id,
        movements=movements,
        user_id=user_id,
        shift_id=shift_id,
        client_ts=now,
        header={
            "return": {
                "sale_id": cmd.sale_id,
                "refund_total": str(cents_to_money(refund_total)),
                "refund_method": main_method,
                "refunds": [{"method": m, "amount": str(cents_to_money(c))} for m, c in refunds],
                "reason": cmd.reason,
                "approved_by": approved_by,
                "shift_id": shift_id,
            }
        },
    )
    return ReturnOut(
        id=return_id,
        sale_id=cmd.sale_id,
        client_ts=now,
        lines=out,
        refund_total=cents_to_money(refund_total),
        refund_method=main_method,
        refunds=[PaymentOut(method=m, amount=cents_to_money(c)) for m, c in refunds],
        reason=cmd.reason,
        approved_by=approved_by,
        shift_id=shift_id,
        op_id=op_id,
    )


def _check_approval(
    policy: CajaPolicy, *, refund_total: int, whole_ticket: bool, approved_by: str | None
) -> None:
    if approved_by is not None:
        return
    above = policy.return_approval_above_cents
    if above is not None and refund_total > above:
        raise ForbiddenError(
            f"manager: a refund above {cents_to_money(above)} needs a manager's approval",
            field="manager",
        )
    if whole_ticket and policy.return_approval_whole_ticket:
        raise ForbiddenError(
            "manager: returning a whole ticket needs a manager's approval", field="manager"
        )


_REFUND_ORDER = ("card", "transfer", "cash")


def refund_split(
    conn: sqlite3.Connection, sale: sqlite3.Row, refund_cents: int, method: str | None
) -> list[tuple[str, int]]:
    """(method, cents) refunds: as the sale was paid, or all by `method` if it paid that much."""
    if refund_cents == 0:
        return []
    left = shifts_repo.refundable_by_method(conn, sale["id"], sale["change_cents"])
    if method is not None:
        if left.get(method, 0) < refund_cents:
            paid = cents_to_money(max(left.get(method, 0), 0))
            raise ConflictError(
                f"refund_method: only {paid} of this sale can still be refunded by {method}",
                field="refund_method",
            )
        return [(method, refund_cents)]
    split: list[tuple[str, int]] = []
    due = refund_cents
    for m in _REFUND_ORDER:
        take = min(due, max(left.get(m, 0), 0))
        if take > 0:
            split.append((m, take))
            due -= take
    if due > 0:  # the sale's payment rows do not cover it (an old or pulled sale)
        raise ConflictError(
            "refund_method: what this sale paid does not cover the refund; choose a method",
            field="refund_method",
        )
    return split
