"""Sale and return rules at the caja.

Prices include tax (Colombian retail prices include IVA): a line's total is what the customer
pays and its tax is the included portion, net x rate / (1 + rate), rounded per line.
Every function runs inside one store.write and never commits; sales never fail for lack of
stock (the goods already left), so stock may go negative.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from stocky.core.errors import ConflictError, FieldError, ForbiddenError, NotFoundError
from stocky.core.ids import new_id_str
from stocky.core.money import cents_to_money, milli_to_quantity, money_to_cents, quantity_to_milli
from stocky.edge.inventory.documents import record_document
from stocky.edge.inventory.repository import Movement
from stocky.edge.inventory.service import check_unit, resolve_product
from stocky.edge.pos import repository as repo
from stocky.edge.pos.repository import SaleRow, gross_cents
from stocky.edge.pos.schemas import (
    DaySummary,
    PaymentOut,
    RefundOut,
    SaleCreate,
    SaleLineOut,
    SaleOut,
    TaxByRate,
    Totals,
)
from stocky.edge.shifts import repository as shifts_repo
from stocky.edge.shifts.policy import CajaPolicy, caja_policy
from stocky.edge.shifts.repository import open_shift_id
from stocky.edge.store.sede import load_sede_info
from stocky.edge.store.timestamps import to_iso

_ONE = Decimal(1)


@lru_cache(maxsize=64)
def _tax_factor(rate: str) -> Decimal:
    value = Decimal(rate)
    return value / (_ONE + value)


def included_tax_cents(net_cents: int, rate: str) -> int:
    """The tax inside a tax-inclusive amount, rounded half up to the cent."""
    if net_cents == 0 or rate in ("0", "0.0", "0.00"):
        return 0
    return int((Decimal(net_cents) * _tax_factor(rate)).quantize(_ONE, rounding=ROUND_HALF_UP))


def share_cents(amount: int, part: int, whole: int) -> int:
    """amount x part / whole in integers, rounded half up (all non-negative)."""
    return (2 * amount * part + whole) // (2 * whole)


def spread_cents(amount: int, weights: list[int]) -> list[int]:
    """amount split in proportion to weights, exactly (largest remainder), none above its weight.

    A ticket discount becomes line discounts this way, so each line's net and tax stay exact
    and the lines' discounts add up to the header's.
    """
    whole = sum(weights)
    if amount <= 0 or whole <= 0:
        return [0] * len(weights)
    shares = [amount * w // whole for w in weights]
    left = amount - sum(shares)
    # Largest fractional remainders first, earlier lines first on a tie.
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % whole), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def percent_cents(amount: int, percent: Decimal) -> int:
    """percent % of amount (cents), rounded half up."""
    return int((Decimal(amount) * percent / 100).quantize(_ONE, rounding=ROUND_HALF_UP))


def _ticket_discount(cmd: SaleCreate, nets: list[int]) -> list[int]:
    """The ticket's discount as one share per line (after the lines' own discounts)."""
    net = sum(nets)
    if cmd.discount_percent is not None:
        amount = percent_cents(net, cmd.discount_percent)
    else:
        amount = 0 if cmd.discount is None else money_to_cents(cmd.discount)
        if amount > net:
            raise FieldError("discount", f"must not exceed the sale's amount {cents_to_money(net)}")
    return spread_cents(amount, nets)


def record_sale(
    conn: sqlite3.Connection,
    cmd: SaleCreate,
    *,
    user_id: str,
    now: str,
    approved_by: str | None = None,
) -> SaleOut:
    """Record a sale: header, payments, one movement per line, inventory, audit, one op.

    Line discounts (an amount or a percentage) come first, then the ticket's, spread over the
    lines; discounts above the caja policy's limit need `approved_by` (a manager).
    """
    sale_id = new_id_str()
    priced: list[tuple[sqlite3.Row, int, int, int]] = []  # product, qty, gross, line discount
    asked = [line.quantity for line in cmd.lines]
    for i, line in enumerate(cmd.lines):
        field = f"lines.{i}"
        product = resolve_product(conn, line, field)
        if not product["active"]:
            raise FieldError(field, f"{product['name']} is no longer sold")
        qty = quantity_to_milli(line.quantity)
        check_unit(product, qty, f"{field}.quantity")
        gross = gross_cents(product["price_cents"], qty)
        if line.discount_percent is not None:
            disc = percent_cents(gross, line.discount_percent)
        else:
            disc = 0 if line.discount is None else money_to_cents(line.discount)
        if disc > gross:
            raise FieldError(
                f"{field}.discount", f"must not exceed the line amount {cents_to_money(gross)}"
            )
        priced.append((product, qty, gross, disc))
    shares = _ticket_discount(cmd, [gross - disc for _, _, gross, disc in priced])
    movements: list[Movement] = []
    lines_out: list[SaleLineOut] = []
    taxes: dict[str, list[int]] = {}
    subtotal = discount = tax = 0
    for (product, qty, gross, line_disc), share, quantity in zip(
        priced, shares, asked, strict=True
    ):
        disc = line_disc + share
        price = product["price_cents"]
        line_tax = included_tax_cents(gross - disc, product["tax_rate"])
        subtotal += gross
        discount += disc
        tax += line_tax
        by_rate = taxes.setdefault(str(Decimal(product["tax_rate"])), [0, 0])
        by_rate[0] += gross - disc
        by_rate[1] += line_tax
        movement = Movement(
            id=new_id_str(),
            type="sale",
            product_id=product["id"],
            quantity_milli=-qty,
            unit_price_cents=price,
            # The cost at the time of sale, for the cloud's margin reports.
            unit_cost_cents=product["cost_cents"],
            discount_cents=disc,
            product_version=product["version"],
            sale_id=sale_id,
        )
        movements.append(movement)
        lines_out.append(
            SaleLineOut(
                id=movement.id,
                product_id=product["id"],
                name=product["name"],
                quantity=quantity,
                unit_price=cents_to_money(price),
                gross=cents_to_money(gross),
                discount=cents_to_money(disc),
                total=cents_to_money(gross - disc),
                product_version=product["version"],
                returned_quantity=Decimal("0.000"),
                tax_rate=Decimal(product["tax_rate"]),
            )
        )
    if caja_policy(conn).discount_needs_manager(discount, subtotal):
        if approved_by is None:
            raise ForbiddenError(
                f"manager: a discount of {cents_to_money(discount)} needs a manager's approval",
                field="manager",
            )
    else:
        approved_by = None
    total = subtotal - discount
    payments = [(new_id_str(), p.method, money_to_cents(p.amount)) for p in cmd.payments]
    paid = sum(amount for _, _, amount in payments)
    not_cash = sum(amount for _, method, amount in payments if method != "cash")
    if paid < total:
        raise FieldError(
            "payments",
            f"paid {cents_to_money(paid)} is less than the total {cents_to_money(total)}",
        )
    if not_cash > total:
        raise FieldError(
            "payments", "card and transfer payments cannot exceed the total; only cash gives change"
        )
    shift_id = open_shift_id(conn)
    if shift_id is None:
        need_shift(caja_policy(conn), cash=any(m == "cash" for _, m, _ in payments))
    sale = SaleRow(
        id=sale_id,
        number=repo.next_number(conn),
        receipt_prefix=repo.receipt_prefix(conn),
        user_id=user_id,
        shift_id=shift_id,
        subtotal_cents=subtotal,
        discount_cents=discount,
        tax_cents=tax,
        total_cents=total,
        paid_cents=paid,
        change_cents=paid - total,
        client_ts=now,
        customer_name=None if cmd.customer is None else cmd.customer.name,
        customer_tax_id=None if cmd.customer is None else cmd.customer.tax_id,
        discount_approved_by=approved_by,
        taxes=json.dumps(
            [{"rate": r, "base_cents": b, "tax_cents": t} for r, (b, t) in sorted(taxes.items())]
        ),
    )
    repo.insert_sale(conn, sale)
    repo.insert_payments(conn, sale_id, payments)
    header = {
        "id": sale_id,
        "number": sale.number,
        "receipt_prefix": sale.receipt_prefix,
        "subtotal": str(cents_to_money(subtotal)),
        "discount": str(cents_to_money(discount)),
        "tax": str(cents_to_money(tax)),
        "total": str(cents_to_money(total)),
        "paid": str(cents_to_money(paid)),
        "change": str(cents_to_money(sale.change_cents)),
        "payments": [
            {"id": pid, "method": method, "amount": str(cents_to_money(amount))}
            for pid, method, amount in payments
        ],
    }
    if cmd.customer is not None:
        header["customer"] = cmd.customer.model_dump(mode="json", exclude_none=True)
    if approved_by is not None:
        header["discount_approved_by"] = approved_by
    op_id = record_document(
        conn,
        doc_type="sale",
        document_id=sale_id,
        movements=movements,
        user_id=user_id,
        shift_id=sale.shift_id,
        client_ts=now,
        header={"sale": header},
    )
    return SaleOut(
        id=sale_id,
        number=sale.number,
        receipt_prefix=sale.receipt_prefix,
        user_id=user_id,
        shift_id=sale.shift_id,
        client_ts=now,
        status="completed",
        lines=lines_out,
        payments=[
            PaymentOut(method=method, amount=cents_to_money(amount))
            for _, method, amount in payments
        ],
        refunds=[],
        subtotal=cents_to_money(subtotal),
        discount=cents_to_money(discount),
        tax=cents_to_money(tax),
        total=cents_to_money(total),
        paid=cents_to_money(paid),
        change=cents_to_money(sale.change_cents),
        op_id=op_id,
        customer_name=sale.customer_name,
        customer_tax_id=sale.customer_tax_id,
        discount_approved_by=approved_by,
        taxes=_taxes(sale.taxes, lines_out),
    )


def _taxes(stored: str | None, lines: list[SaleLineOut]) -> list[TaxByRate]:
    """The tax per rate as sold; for a sale from before it was kept, from today's rates."""
    if stored:
        return [
            TaxByRate(
                rate=Decimal(t["rate"]),
                base=cents_to_money(t["base_cents"]),
                tax=cents_to_money(t["tax_cents"]),
            )
            for t in json.loads(stored)
        ]
    by_rate: dict[Decimal, list[int]] = {}
    for line in lines:
        rate = line.tax_rate or Decimal(0)
        net = money_to_cents(line.total)
        found = by_rate.setdefault(rate, [0, 0])
        found[0] += net
        found[1] += included_tax_cents(net, str(rate))
    return [
        TaxByRate(rate=r, base=cents_to_money(b), tax=cents_to_money(t))
        for r, (b, t) in sorted(by_rate.items())
    ]


def need_shift(policy: CajaPolicy, *, cash: bool) -> None:
    """Refuse money moving with no shift open, as the policy says (409 naming `shift`)."""
    if policy.shift_required == "all" or (policy.shift_required == "cash" and cash):
        what = "cash" if cash else "any sale"
        raise ConflictError(
            f"shift: open a shift before taking {what}; it must appear in a Z report",
            field="shift",
        )


def load_sale(conn: sqlite3.Connection, sale_id: str) -> SaleOut:
    """A sale with its lines, what was returned of each, its payments and refunds (receipts)."""
    sale = repo.get_sale(conn, sale_id)
    if sale is None:
        raise NotFoundError(f"sale {sale_id} not found", field="sale_id")
    lines = [
        SaleLineOut(
            id=r["id"],
            product_id=r["product_id"],
            name=r["name"],
            quantity=milli_to_quantity(r["quantity_milli"]),
            unit_price=cents_to_money(r["unit_price_cents"]),
            gross=cents_to_money(gross_cents(r["unit_price_cents"], r["quantity_milli"])),
            discount=cents_to_money(r["discount_cents"]),
            total=cents_to_money(
                gross_cents(r["unit_price_cents"], r["quantity_milli"]) - r["discount_cents"]
            ),
            product_version=r["product_version"],
            returned_quantity=milli_to_quantity(r["returned_milli"]),
            tax_rate=Decimal(r["tax_rate"]),
        )
        for r in repo.sale_lines(conn, sale_id)
    ]
    payments, refunds = [], []
    for p in repo.sale_payments(conn, sale_id):
        if p["amount_cents"] >= 0:
            payments.append(
                PaymentOut(method=p["method"], amount=cents_to_money(p["amount_cents"]))
            )
        else:
            refunds.append(
                RefundOut(
                    return_id=str(p["id"]).split(":", 1)[0],
                    method=p["method"],
                    amount=cents_to_money(-p["amount_cents"]),
                )
            )
    return SaleOut(
        id=sale["id"],
        number=sale["number"],
        receipt_prefix=sale["receipt_prefix"],
        user_id=sale["user_id"],
        shift_id=sale["shift_id"],
        client_ts=sale["client_ts"],
        status=sale["status"],
        lines=lines,
        payments=payments,
        refunds=refunds,
        subtotal=cents_to_money(sale["subtotal_cents"]),
        discount=cents_to_money(sale["discount_cents"]),
        tax=cents_to_money(sale["tax_cents"]),
        total=cents_to_money(sale["total_cents"]),
        paid=cents_to_money(sale["paid_cents"]),
        change=cents_to_money(sale["change_cents"]),
        customer_name=sale["customer_name"],
        customer_tax_id=sale["customer_tax_id"],
        discount_approved_by=sale["discount_approved_by"],
        taxes=_taxes(sale["taxes"], lines),
    )


def period_totals(
    conn: sqlite3.Connection, *, start: str, end: str, shift_id: str | None = None
) -> Totals:
    """Sales and returns over [start, end) (sales of the shift instead, when given)."""
    rows = repo.period_totals(conn, start=start, end=end, shift_id=shift_id)
    s = rows.sales
    cash_in = rows.payments.get("cash", 0) - s["change"]
    # Refunds by the drawer that paid them (a shift), or by the returns' time; split
    # refunds have one row per method, so they are read by return, not by row id.
    returns_count, refunds = shifts_repo.refunds(conn, shift_id=shift_id, start=start, end=end)
    refunds_total = sum(refunds.values())
    moved = shifts_repo.cash_moved(conn, shift_id=shift_id, start=start, end=end)
    net_by_method = {
        m: rows.payments.get(m, 0) - (s["change"] if m == "cash" else 0) - refunds.get(m, 0)
        for m in ("cash", "card", "transfer")
    }

    def by_method(amounts: dict[str, int]) -> dict[str, Decimal]:
        return {m: cents_to_money(amounts.get(m, 0)) for m in ("cash", "card", "transfer")}

    return Totals(
        sales_count=s["n"],
        subtotal=cents_to_money(s["subtotal"]),
        discount=cents_to_money(s["discount"]),
        tax=cents_to_money(s["tax"]),
        total=cents_to_money(s["total"]),
        payments=by_method(rows.payments),
        change=cents_to_money(s["change"]),
        cash_in=cents_to_money(cash_in),
        returns_count=returns_count,
        refunds=by_method(refunds),
        refunds_total=cents_to_money(refunds_total),
        net=cents_to_money(s["total"] - refunds_total),
        net_by_method=by_method(net_by_method),
        paid_in=cents_to_money(moved.get("in", 0)),
        paid_out=cents_to_money(moved.get("out", 0)),
    )


def _sede_zone(conn: sqlite3.Connection) -> ZoneInfo:
    info = load_sede_info(conn)
    return ZoneInfo(info.timezone if info is not None else "UTC")


def day_bounds(conn: sqlite3.Connection, day: date) -> tuple[str, str]:
    """[start, end) of a day in the sede's time zone, as stored timestamps."""
    zone = _sede_zone(conn)
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    return to_iso(start), to_iso(end)


def day_summary(conn: sqlite3.Connection, day: date | None = None) -> DaySummary:
    """The day's sales and returns, the day taken in the sede's time zone."""
    zone = _sede_zone(conn)
    day = day or datetime.now(zone).date()
    start, end = day_bounds(conn, day)
    totals = period_totals(conn, start=start, end=end)
    return DaySummary(date=day.isoformat(), timezone=zone.key, **totals.model_dump())
