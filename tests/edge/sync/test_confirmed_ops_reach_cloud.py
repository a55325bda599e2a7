"""Every operation the caja confirms reaches the cloud as applied, and stock agrees everywhere.

Hypothesis drives a real caja's local API (its own app, over HTTP on an ASGI transport) with
random valid operations: sales of unit and weighed goods with line and ticket discounts up
to 100 % (so zero-total sales without payments) and maybe a customer, every way to pay,
returns of earlier sales, stock entries, physical counts (lines that match the shelf and
lines that do not), thresholds and cash shifts. Only what the caja confirms (2xx) counts.
Then the real push worker drains the outbox to a live cloud (uvicorn, PostgreSQL) and the
real pull worker pulls. ARCHITECTURE §4: the caja never confirms an op the cloud would
refuse, so every confirmed op is `applied`; and per product, the caja's stock equals the
cloud's, which equals the sum of the cloud's movements, and the caja's own movements sum to
its stock.

The tenant and the activated caja are built once per test; each example gets fresh products.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st

from stocky.core.money import cents_to_money, milli_to_quantity, quantity_to_milli
from tests.edge.sync.live_caja import LiveCaja, Product, run_examples
from tests.fixtures.database import DatabaseUrls

EXAMPLES = 20
MAX_STEPS = 10


def _gross(price_cents: int, qty_milli: int) -> int:
    # What the caja charges for a line: price x quantity, half up to the cent.
    return (price_cents * qty_milli + 500) // 1000


def _qty(product: Product, milli: int) -> str:
    return str(milli_to_quantity(milli))


def _money(cents: int) -> str:
    return str(cents_to_money(cents))


@dataclass
class Example:
    """What one example did: the ops the caja confirmed, and what it refused (for reports)."""

    api: httpx.AsyncClient
    headers: dict[str, str]
    products: list[Product]
    confirmed: list[tuple[str, str, Any]] = field(default_factory=list)  # (op_id, what, body)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    sales: list[str] = field(default_factory=list)

    async def call(self, method: str, path: str, what: str, body: Any) -> dict[str, Any] | None:
        r = await self.api.request(method, path, json=body, headers=self.headers)
        assert r.status_code < 500, f"the caja answered {r.status_code} to {what} {body}: {r.text}"
        if r.status_code >= 300:
            self.refused.append((what, r.status_code, r.text))
            return None
        out: dict[str, Any] = r.json()
        assert out.get("op_id"), f"{what} confirmed without an op_id: {out}"
        self.confirmed.append((out["op_id"], what, body))
        return out

    async def shift_open(self) -> dict[str, Any] | None:
        r = await self.api.get("/shifts/current", headers=self.headers)
        assert r.status_code == 200, r.text
        shift: dict[str, Any] | None = r.json()
        return shift

    async def shown(self, product_id: str) -> Decimal:
        r = await self.api.get("/inventory", params={"limit": 1000}, headers=self.headers)
        assert r.status_code == 200, r.text
        for item in r.json()["items"]:
            if item["product_id"] == product_id:
                return Decimal(item["quantity"])
        raise AssertionError(f"product {product_id} not in the caja's inventory")


def _line_qty(data: st.DataObject, product: Product, label: str) -> int:
    """A positive quantity in milli: whole units, or grams for weighed goods."""
    if product.unit == "unit":
        return 1000 * data.draw(st.integers(1, 12), label=label)
    return data.draw(st.integers(1, 15_000), label=label)


def _payments(data: st.DataObject, total: int) -> list[dict[str, str]]:
    """Any valid way to pay `total` cents: cash (exact or with change), card, transfer, mixed."""
    if total == 0:
        return data.draw(
            st.sampled_from([[], [{"method": "cash", "amount": "1000.00"}]]), label="zero pay"
        )
    how = data.draw(
        st.sampled_from(["cash", "cash_change", "card", "transfer", "mixed", "card_transfer"]),
        label="pay",
    )
    if how in ("card", "transfer"):
        return [{"method": how, "amount": _money(total)}]
    if how in ("cash", "cash_change"):
        extra = data.draw(st.integers(1, 5_000_000), label="change") if how == "cash_change" else 0
        return [{"method": "cash", "amount": _money(total + extra)}]
    part = data.draw(st.integers(1, total), label="card part")
    rest = total - part
    other = "cash" if how == "mixed" else "transfer"
    extra = data.draw(st.integers(0, 100_000), label="change") if other == "cash" else 0
    pays = [{"method": "card", "amount": _money(part)}]
    if rest + extra > 0:
        pays.append({"method": other, "amount": _money(rest + extra)})
    return pays


async def _sale(ex: Example, data: st.DataObject) -> None:
    lines, total = [], 0
    for i in range(data.draw(st.integers(1, 3), label="sale lines")):
        product = data.draw(st.sampled_from(ex.products), label=f"line {i} product")
        qty = _line_qty(data, product, f"line {i} qty")
        gross = _gross(product.price_cents, qty)
        style = data.draw(st.sampled_from(["none", "pct", "all"]), label=f"line {i} discount")
        line: dict[str, Any] = {"product_id": product.id, "quantity": _qty(product, qty)}
        disc = 0
        if style == "pct":
            disc = gross * data.draw(st.integers(0, 100), label=f"line {i} pct") // 100
            line["discount"] = _money(disc)
        elif style == "all":
            disc = gross
            line["discount"] = _money(disc)
        total += gross - disc
        lines.append(line)
    body: dict[str, Any] = {"lines": lines}
    ticket = data.draw(st.sampled_from(["none", "amount", "pct"]), label="ticket discount")
    if ticket == "amount" and total:
        off = data.draw(st.integers(0, total), label="ticket amount")
        body["discount"] = _money(off)
        total -= off
    elif ticket == "pct":
        pct = data.draw(st.integers(0, 10_000), label="ticket pct (hundredths)")
        body["discount_percent"] = str(Decimal(pct) / 100)
        total -= (2 * total * pct + 10_000) // 20_000  # half up, as the caja rounds
    if data.draw(st.booleans(), label="customer"):
        name = st.text(st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=60)
        body["customer"] = {"name": data.draw(name, label="customer name")}
        if data.draw(st.booleans(), label="tax id"):
            body["customer"]["tax_id"] = data.draw(
                st.from_regex(r"[0-9]{6,10}(-[0-9])?", fullmatch=True), label="NIT/CC"
            )
    body["payments"] = _payments(data, total)
    out = await ex.call("POST", "/sales", "sale", body)
    if out is not None:
        assert Decimal(out["total"]) == cents_to_money(total), (out, body)
        ex.sales.append(out["id"])


async def _return(ex: Example, data: st.DataObject) -> None:
    if not ex.sales:
        return
    sale_id = data.draw(st.sampled_from(ex.sales), label="return of sale")
    r = await ex.api.get(f"/sales/{sale_id}", headers=ex.headers)
    assert r.status_code == 200, r.text
    open_lines = [
        line
        for line in r.json()["lines"]
        if Decimal(line["returned_quantity"]) < Decimal(line["quantity"])
    ]
    if not open_lines:
        return
    body: dict[str, Any] = {
        "sale_id": sale_id,
        "refund_method": data.draw(st.sampled_from(["cash", "card", "transfer"]), label="refund"),
    }
    if data.draw(st.booleans(), label="reason"):
        body["reason"] = data.draw(
            st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs"]), max_size=40),
            label="reason text",
        )
    if not data.draw(st.booleans(), label="full return"):
        chosen = data.draw(
            st.lists(
                st.sampled_from(open_lines), min_size=1, max_size=3, unique_by=lambda x: x["id"]
            ),
            label="lines returned",
        )
        lines = []
        for line in chosen:
            left = quantity_to_milli(Decimal(line["quantity"]) - Decimal(line["returned_quantity"]))
            units = {p.id: p.unit for p in ex.products}
            if units[line["product_id"]] == "weight":
                milli = data.draw(st.integers(1, left), label="return milli")
            else:
                milli = 1000 * data.draw(st.integers(1, left // 1000), label="return units")
            lines.append({"line_id": line["id"], "quantity": str(milli_to_quantity(milli))})
        body["lines"] = lines
    await ex.call("POST", "/returns", "return", body)


async def _entry(ex: Example, data: st.DataObject) -> None:
    lines = []
    for i in range(data.draw(st.integers(1, 3), label="entry lines")):
        product = data.draw(st.sampled_from(ex.products), label=f"entry {i} product")
        qty = _line_qty(data, product, f"entry {i} qty")
        cost = data.draw(st.integers(0, 10_000_000), label=f"entry {i} cost")
        lines.append(
            {"product_id": product.id, "quantity": _qty(product, qty), "unit_cost": _money(cost)}
        )
    body: dict[str, Any] = {"lines": lines}
    if data.draw(st.booleans(), label="supplier"):
        body["supplier"] = "Proveedor Andino S.A.S."
    if data.draw(st.booleans(), label="note"):
        body["note"] = "factura 1234"
    await ex.call("POST", "/entries", "entry", body)


async def _count(ex: Example, data: st.DataObject) -> None:
    """A physical count; lines that match the shelf (a zero delta) and lines that differ."""
    chosen = data.draw(
        st.lists(st.sampled_from(ex.products), min_size=1, max_size=len(ex.products), unique=True),
        label="counted products",
    )
    lines = []
    for product in chosen:
        matches = data.draw(st.booleans(), label="matches shelf")
        milli = data.draw(st.integers(0, 60_000), label="counted milli")
        give_expected = data.draw(st.booleans(), label="expected given")
        shown = await ex.shown(product.id)
        if matches and shown >= 0:
            counted = shown
        elif product.unit == "unit":
            counted = Decimal(milli // 1000)
        else:
            counted = milli_to_quantity(milli)
        line: dict[str, Any] = {"product_id": product.id, "counted": str(counted)}
        if give_expected:
            line["expected"] = str(shown)
        lines.append(line)
    body: dict[str, Any] = {"lines": lines}
    if data.draw(st.booleans(), label="count note"):
        body["note"] = "conteo mensual"
    await ex.call("POST", "/adjustments", "count", body)


async def _thresholds(ex: Example, data: st.DataObject) -> None:
    product = data.draw(st.sampled_from(ex.products), label="thresholds product")
    low = data.draw(st.integers(0, 100_000), label="min milli")
    high = data.draw(st.none() | st.integers(low, 200_000), label="max milli")
    body = {
        "min": str(milli_to_quantity(low)),
        "max": None if high is None else str(milli_to_quantity(high)),
    }
    await ex.call("PUT", f"/inventory/{product.id}/thresholds", "thresholds", body)


async def _open_shift(ex: Example, data: st.DataObject) -> None:
    # Everything is drawn before the caja's state is looked at: the draws must not depend on
    # anything but the example itself.
    body = {"opening_float": _money(data.draw(st.integers(0, 50_000_000), label="float"))}
    if await ex.shift_open() is None:
        await ex.call("POST", "/shifts/open", "shift.open", body)


async def _close_shift(ex: Example, data: st.DataObject | None) -> None:
    counted = 0 if data is None else data.draw(st.integers(0, 900_000_000), label="counted")
    body: dict[str, Any] = {"counted_cash": _money(counted)}
    if data is not None and data.draw(st.booleans(), label="close note"):
        body["note"] = "cierre sin novedad"
    if await ex.shift_open() is not None:
        await ex.call("POST", "/shifts/close", "shift.close", body)


async def _cash(ex: Example, data: st.DataObject) -> None:
    """Cash put into or taken out of the open drawer, with its reason."""
    body = {
        "type": data.draw(st.sampled_from(["in", "out"]), label="cash direction"),
        "amount": _money(data.draw(st.integers(1, 5_000_000), label="cash amount")),
        "reason": data.draw(st.sampled_from(["cambio", "pago a proveedor", "base"]), label="why"),
    }
    if await ex.shift_open() is not None:
        # The caja refuses taking out more than the drawer holds (409): not confirmed.
        await ex.call("POST", "/shifts/cash", "cash.movement", body)


STEPS = {
    "sale": _sale,
    "cash": _cash,
    "return": _return,
    "entry": _entry,
    "count": _count,
    "thresholds": _thresholds,
    "shift.open": _open_shift,
    "shift.close": _close_shift,
}


# Sales come first and weigh double: returns need them, and most of a caja's ops are sales.
STEP_CHOICES = ["sale", "sale", *sorted(STEPS)]


def _check(caja: LiveCaja, ex: Example) -> list[str]:
    """Every way the confirmed ops failed to converge, one line each."""
    problems: list[str] = []
    op_ids = [op_id for op_id, _, _ in ex.confirmed]
    queue = caja.queue(op_ids)
    cloud = caja.cloud_ops(op_ids)
    for op_id, what, body in ex.confirmed:
        local = queue.get(op_id)
        if local is None:
            problems.append(f"{what} {op_id}: confirmed but not in the caja's sync_queue")
            continue
        status, result = cloud.get(op_id, ("missing", None))
        if local["status"] != "synced" or status != "applied":
            reason = (result or {}).get("reason") or local["last_error"]
            problems.append(
                f"{what} {op_id}: caja queue {local['status']!r}, cloud {status!r}: {reason}"
                f"\n    request {body}\n    payload {local['payload']}"
            )
    for product in ex.products:
        shown = caja.caja_stock(product.id)
        own = caja.caja_movements(product.id)
        stock, moves = caja.cloud_stock(product.id)
        if not shown == own == stock == moves:
            problems.append(
                f"product {product.id} ({product.unit}): caja stock {shown}, caja movements "
                f"{own}, cloud inventory {stock}, cloud movements {moves}"
            )
    return problems


async def _run_example(caja: LiveCaja, data: st.DataObject) -> None:
    prices = data.draw(st.lists(st.integers(1, 2_000_000), min_size=3, max_size=3), label="prices")
    products = [
        caja.new_product("unit", prices[0]),
        caja.new_product("weight", prices[1]),
        caja.new_product("unit", prices[2], tax_rate="0.19"),
    ]
    async with caja.local_api() as api:
        ex = Example(api, await caja.login(api), products)
        await _close_shift(ex, None)  # left open by an earlier, failed example
        ex.confirmed.clear()
        await caja.learn([p.id for p in products])
        steps = data.draw(
            st.lists(st.sampled_from(STEP_CHOICES), min_size=3, max_size=MAX_STEPS), label="steps"
        )
        for step in steps:
            await STEPS[step](ex, data)
        await _close_shift(ex, data)  # a shift never spans examples
        report = await caja.drain()
    problems = _check(caja, ex)
    if report.failures or report.pending_left:
        problems.insert(
            0,
            f"the outbox did not drain: {report.pending_left} pending after {report.rounds} "
            f"pushes; push errors {report.failures[:3]}",
        )
    if report.pull_failed:
        problems.append("the pull after the drain failed")
    assert not problems, (
        f"{len(ex.confirmed)} ops confirmed ({[w for _, w, _ in ex.confirmed]}); "
        f"refused by the caja: {[(w, s) for w, s, _ in ex.refused]}\n" + "\n".join(problems)
    )


@pytest.mark.slow
def test_every_confirmed_op_is_applied_and_stock_agrees(
    live_cloud: str, database: DatabaseUrls, tmp_path: Path
) -> None:
    caja = LiveCaja.build(live_cloud, database, tmp_path / "caja")

    run_examples(caja, EXAMPLES, _run_example)
