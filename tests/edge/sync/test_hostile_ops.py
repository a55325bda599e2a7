"""Hostile values in operations: refused with the field named, or carried to a defined end.

ARCHITECTURE §4: the caja never confirms an op the cloud could not store (NUL or control
characters, numbers beyond the columns, absurd dates); a data error inside one op is that
op's `rejected`, never a batch-wide retry. So:

(a) through the caja's real local API, a hostile value is refused with a 4xx that names the
    field (never a 5xx), or confirmed; a confirmed op then drains to the live cloud as
    `applied` or `rejected`, never stuck pending behind a 5xx loop, and a valid sale after it
    is applied;
(b) straight to the cloud's POST /api/sync/push with the caja's device credential, a hostile
    op of every kind followed by a valid op answers 200 with a result per op (the hostile op
    `rejected` with a reason, or applied) or 422 for a malformed envelope, never a 5xx; the
    valid op after it, in the same batch and in the next one, is `applied`;
(c) clocks: a ping or a push from a caja whose clock says 2000, year 1 or year 9999 is
    answered, not a 5xx.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocky.cloud.embedded import libpq_url
from stocky.core.errors import StockyError
from stocky.core.ids import new_id_str
from stocky.edge.pos.cart_store import VoidedLine, void_cart
from stocky.edge.store.timestamps import utc_now
from tests.edge.sync.live_caja import LiveCaja, Product, dumps, property_settings, run_examples
from tests.fixtures.database import DatabaseUrls

EXAMPLES = 25

# Text no column should take as is: NUL, other control characters, a lone surrogate (valid
# JSON escape, invalid UTF-8), bidi and line separators, far too long.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "\x00",
            "nota\x00oculta",
            "\x01\x02\x03",
            "\x1b[31mrojo",
            "\x7f",
            "\r\n\t",
            "\ud800",
            "\u202e\u2028\u2029",
            "\ufeff",
            "x" * 5000,
        ]
    ),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Co"]), min_size=1, max_size=8),
    st.builds(
        lambda a, b: f"{a}\x00{b}", st.text(max_size=5), st.text(max_size=5)
    ),  # NUL inside plain text
)
# Numbers beyond every column, signs, precision, and what is not a number at all.
HOSTILE_NUMBER = st.sampled_from(
    [
        1e17,
        "1e17",
        -1,
        "-1",
        "-0.001",
        2**31,
        str(2**31),
        2**63,
        str(2**63),
        2**64 + 1,
        "99999999999999999999.99",
        "1.0000001",
        "0.0001",
        "1E+400",
        "NaN",
        "Infinity",
        "-Infinity",
        1e308,
        0,
        "",
        "abc",
        True,
        None,
        [],
        {},
    ]
)
HOSTILE_DATE = st.sampled_from(
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00",
        "2000-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "not a date",
        1e17,
        -1,
        None,
    ]
)
WRONG_TYPE = st.sampled_from([123, 1.5, True, [], {}, ["a"], {"a": 1}])


def hostile_for(kind: str) -> st.SearchStrategy[Any]:
    base = {"text": HOSTILE_TEXT, "number": HOSTILE_NUMBER, "date": HOSTILE_DATE}[kind]
    return st.one_of(base, WRONG_TYPE)


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.0.b` in a nested body of dicts and lists. A path under one poisoned before
    (`a.0` after `a` became 123) leaves the parent's hostile value as it is."""
    *parents, last = path.split(".")
    node: Any = body
    for key in parents:
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# (a) Through the caja's local API -----------------------------------------------------------


@dataclass
class CajaCase:
    """One local operation: its endpoint, a valid body, and the fields to poison."""

    method: str
    path: str
    body: dict[str, Any]
    fields: dict[str, str]  # dotted path -> "text" | "number"


def _caja_cases(
    unit: Product, weighed: Product, sale: dict[str, Any] | None
) -> dict[str, CajaCase]:
    cases = {
        "sale": CajaCase(
            "POST",
            "/sales",
            {
                "lines": [{"product_id": weighed.id, "quantity": "0.250", "discount": "0.00"}],
                "payments": [{"method": "cash", "amount": "100000.00"}],
            },
            {
                "lines.0.quantity": "number",
                "lines.0.discount": "number",
                "lines.0.product_id": "text",
                "payments.0.amount": "number",
                "payments.0.method": "text",
            },
        ),
        "entry": CajaCase(
            "POST",
            "/entries",
            {
                "lines": [{"product_id": unit.id, "quantity": "3", "unit_cost": "1200.00"}],
                "supplier": "Proveedor",
                "note": "factura",
            },
            {
                "supplier": "text",
                "note": "text",
                "lines.0.quantity": "number",
                "lines.0.unit_cost": "number",
                "lines.0.product_id": "text",
            },
        ),
        "count": CajaCase(
            "POST",
            "/adjustments",
            {"lines": [{"product_id": unit.id, "counted": "7", "expected": "2"}], "note": "conteo"},
            {"note": "text", "lines.0.counted": "number", "lines.0.expected": "number"},
        ),
        "thresholds": CajaCase(
            "PUT",
            f"/inventory/{weighed.id}/thresholds",
            {"min": "1.000", "max": "10.000"},
            {"min": "number", "max": "number"},
        ),
        "shift.open": CajaCase(
            "POST", "/shifts/open", {"opening_float": "50000.00"}, {"opening_float": "number"}
        ),
        "shift.close": CajaCase(
            "POST",
            "/shifts/close",
            {"counted_cash": "50000.00", "note": "cierre"},
            {"counted_cash": "number", "note": "text"},
        ),
    }
    if sale is not None:
        cases["return"] = CajaCase(
            "POST",
            "/returns",
            {
                "sale_id": sale["id"],
                "lines": [{"line_id": sale["lines"][0]["id"], "quantity": "0.100"}],
                "refund_method": "cash",
                "reason": "vencido",
            },
            {
                "reason": "text",
                "sale_id": "text",
                "lines.0.line_id": "text",
                "lines.0.quantity": "number",
                "refund_method": "text",
            },
        )
    return cases


# A value that is valid on its own may break a rule that the caja reports on a related field:
# a huge quantity makes the payment short, a huge min leaves max below it.
RELATED = {
    "lines.0.quantity": ("payments",),
    "lines.0.discount": ("payments",),
    "payments.0.amount": ("payments",),
    "min": ("max",),
    "max": ("min",),
}


def _names_field(response: httpx.Response, path: str) -> bool:
    """The refusal names the poisoned field (or one its value bears on)."""
    try:
        body = response.json()
    except ValueError:
        return False
    named = {str(f.get("field")) for f in body.get("fields") or [] if isinstance(f, dict)}
    wanted = {path, *RELATED.get(path, ())}
    return bool(named & wanted) or any(w in str(body.get("message")) for w in wanted)


async def _caja_call(
    api: httpx.AsyncClient, headers: dict[str, str], method: str, path: str, body: Any
) -> httpx.Response:
    return await api.request(method, path, content=dumps(body), headers=headers)


async def _caja_example(caja: LiveCaja, data: st.DataObject) -> None:
    unit = caja.new_product("unit", 450_000)
    weighed = caja.new_product("weight", 1_290_000, tax_rate="0.05")
    kind = data.draw(
        st.sampled_from(
            [
                "sale",
                "return",
                "entry",
                "count",
                "thresholds",
                "shift.open",
                "shift.close",
                "sale.void",
            ]
        ),
        label="kind",
    )
    async with caja.local_api() as api:
        headers = await caja.login(api)
        await caja.learn([unit.id, weighed.id])
        setup_ops: list[str] = []
        current = (await api.get("/shifts/current", headers=headers)).json()
        if current is not None:
            r = await _caja_call(api, headers, "POST", "/shifts/close", {"counted_cash": "0"})
            assert r.status_code == 200, r.text
        if kind == "shift.close":
            r = await _caja_call(api, headers, "POST", "/shifts/open", {"opening_float": "1"})
            assert r.status_code == 201, r.text
            setup_ops.append(r.json()["op_id"])
        sale = None
        if kind == "return":
            body = {
                "lines": [{"product_id": weighed.id, "quantity": "1.500"}],
                "payments": [{"method": "cash", "amount": "100000.00"}],
            }
            r = await _caja_call(api, headers, "POST", "/sales", body)
            assert r.status_code == 201, r.text
            sale = r.json()
            setup_ops.append(sale["op_id"])
        void_id = None
        if kind == "sale.void":
            hostile_op, void_id, answer = _void_at_the_counter(caja, unit, data)
        else:
            hostile_op, answer = await _hostile_call(
                api, headers, _caja_cases(unit, weighed, sale)[kind], kind, data
            )
        # A valid sale behind it: it must not wait behind the hostile op.
        follow = await _caja_call(
            api,
            headers,
            "POST",
            "/sales",
            {
                "lines": [{"product_id": unit.id, "quantity": "1"}],
                "payments": [{"method": "cash", "amount": "5000.00"}],
            },
        )
        follow_ok = follow.status_code == 201
        # The shift is closed again so the next example starts with none open.
        if (await api.get("/shifts/current", headers=headers)).json() is not None:
            await _caja_call(api, headers, "POST", "/shifts/close", {"counted_cash": "0"})
        report = await caja.drain()
    problems = []
    if report.failures or report.pending_left:
        problems.append(
            f"the outbox is stuck: {report.pending_left} pending after {report.rounds} pushes, "
            f"push errors {report.failures[:2]}"
        )
    watched = [*setup_ops, *([hostile_op] if hostile_op else [])]
    queue, cloud = caja.queue(watched), caja.cloud_ops(watched)
    for op_id in watched:
        local = queue[op_id]
        status, result = cloud.get(op_id, ("missing", None))
        allowed = ("applied", "rejected") if op_id == hostile_op else ("applied",)
        if local["status"] == "pending" or status not in allowed:
            problems.append(
                f"{'hostile' if op_id == hostile_op else 'setup'} op {local['kind']}: caja "
                f"{local['status']!r} ({local['last_error']}), cloud {status!r} "
                f"({(result or {}).get('reason')})"
            )
    if follow_ok:
        op_id = follow.json()["op_id"]
        status, result = caja.cloud_ops([op_id]).get(op_id, ("missing", None))
        if status != "applied":
            problems.append(
                f"the valid sale after it: cloud {status!r} ({(result or {}).get('reason')}), "
                f"caja {caja.queue([op_id])[op_id]['status']!r}"
            )
    else:
        problems.append(f"the valid sale after it was refused: {follow.text[:300]}")
    if hostile_op and void_id:
        status, _ = cloud.get(hostile_op, ("missing", None))
        rows = Pusher(caja).void_rows(void_id)
        if rows != (status == "applied"):
            problems.append(f"the void is {rows} times in the cloud's audit log ({status})")
    assert not problems, answer + "\n" + "\n".join(problems)


async def _hostile_call(
    api: httpx.AsyncClient, headers: dict[str, str], case: CajaCase, kind: str, data: Any
) -> tuple[str | None, str]:
    """The case with one or two fields poisoned, through the local API: refused naming the
    field, or confirmed (its op_id)."""
    body = copy.deepcopy(case.body)
    poisoned = data.draw(
        st.lists(st.sampled_from(sorted(case.fields)), min_size=1, max_size=2, unique=True),
        label="poisoned fields",
    )
    for path in poisoned:
        _set(body, path, data.draw(hostile_for(case.fields[path]), label=path))
    r = await _caja_call(api, headers, case.method, case.path, body)
    answer = f"{kind} {json.dumps(body)[:400]} -> {r.status_code} {r.text[:400]}"
    assert r.status_code < 500, f"the caja failed on hostile input: {answer}"
    hostile_op = None
    if r.status_code >= 300:
        assert 400 <= r.status_code < 500, answer
        assert any(_names_field(r, p) for p in poisoned), f"the refusal names no field: {answer}"
    else:
        hostile_op = r.json().get("op_id")
        assert hostile_op, f"confirmed without an op_id: {answer}"
    return hostile_op, answer


# A cancelled cart's fields as the sale screen hands them to the store (the local API has no
# void): the reason is text, the rest decimals.
VOID_FIELDS = {
    "reason": "text",
    "total": "number",
    "lines.0.quantity": "number",
    "lines.0.unit_price": "number",
    "lines.0.discount": "number",
}


def _void_at_the_counter(
    caja: LiveCaja, unit: Product, data: Any
) -> tuple[str | None, str | None, str]:
    """A void with hostile values: refused with the field named (no op queued), or queued."""
    body: dict[str, Any] = {
        "reason": "el cliente no quiso",
        "total": "4500.00",
        "lines": [{"quantity": "1", "unit_price": "4500.00", "discount": "0.00"}],
    }
    poisoned = data.draw(
        st.lists(st.sampled_from(sorted(VOID_FIELDS)), min_size=1, max_size=2, unique=True),
        label="poisoned fields",
    )
    for path in poisoned:
        _set(body, path, data.draw(hostile_for(VOID_FIELDS[path]), label=path))
    answer = f"sale.void {json.dumps(body)[:400]}"
    try:  # what the screen could never hand over (not text, not a decimal) is out of scope
        line = body["lines"][0]
        voided = VoidedLine(
            unit.id,
            Decimal(str(line["quantity"])),
            Decimal(str(line["unit_price"])),
            Decimal(str(line["discount"])),
        )
        total = Decimal(str(body["total"]))
    except ArithmeticError:
        return None, None, answer
    reason = body["reason"] if isinstance(body["reason"], str) else None

    def write(conn: Any) -> tuple[str, str]:
        void_id = void_cart(
            conn,
            [voided],
            total=total,
            user_id=caja.manager_id,
            shift_id=None,
            now=utc_now(),
            reason=reason,
        )
        op = conn.execute("SELECT op_id FROM sync_queue WHERE entity_id = ?", (void_id,))
        return void_id, str(op.fetchone()[0])

    refused: StockyError | None = None
    try:
        void_id, op_id = caja.store.write(write)
    except StockyError as exc:
        refused = exc
    if refused is None:
        return op_id, void_id, f"{answer} -> queued {op_id}"
    said = f"{answer} -> {refused.status_code} {refused}"
    assert 400 <= refused.status_code < 500, said
    named = str(getattr(refused, "field", "")) + str(refused)
    assert any(p.split(".")[-1] in named for p in poisoned), f"names no field: {said}"
    return None, None, said


@pytest.mark.slow
def test_hostile_values_through_the_caja(
    live_cloud: str, database: DatabaseUrls, tmp_path: Path
) -> None:
    caja = LiveCaja.build(live_cloud, database, tmp_path / "caja")

    run_examples(caja, EXAMPLES, _caja_example)


# (b) Straight to the cloud's push endpoint --------------------------------------------------

_numbers = itertools.count(1_000_000)


class Pusher:
    """Hand-built operations pushed with the caja's device credential."""

    def __init__(self, caja: LiveCaja) -> None:
        self.caja = caja
        self.headers = {
            "Authorization": f"Bearer {caja.credential}",
            "Content-Type": "application/json",
        }

    def push(self, operations: list[dict[str, Any]], client_now: Any = None) -> httpx.Response:
        body = {
            "sede_id": self.caja.sede,
            "device_id": self.caja.device_id,
            "operations": operations,
            "client_now": _now() if client_now is None else client_now,
        }
        return httpx.post(
            f"{self.caja.url}/api/sync/push", content=dumps(body), headers=self.headers, timeout=30
        )

    def op(
        self, kind: str, entity_id: str, payload: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        return {
            "op_id": new_id_str(),
            "kind": kind,
            "entity_id": entity_id,
            "payload": payload,
            "client_ts": _now(),
            **extra,
        }

    def entry(self, product: Product) -> dict[str, Any]:
        """A valid stock entry of one unit."""
        doc = new_id_str()
        return self.op(
            "transaction.create",
            doc,
            {
                "type": "entry",
                "document_id": doc,
                "supplier": None,
                "note": None,
                "movements": [
                    {
                        "id": new_id_str(),
                        "product_id": product.id,
                        "type": "entry",
                        "quantity": "1.000",
                        "unit_price": "0.00",
                        "unit_cost": "10.00",
                        "discount": "0.00",
                        "product_version": 1,
                        "sale_id": None,
                        "ref_id": None,
                        "note": None,
                    }
                ],
                "user_id": self.caja.manager_id,
                "shift_id": None,
                "client_ts": _now(),
            },
        )

    def sale(self, product: Product) -> dict[str, Any]:
        """A valid cash sale of one unit at the product's price."""
        doc = new_id_str()
        price = f"{product.price_cents / 100:.2f}"
        return self.op(
            "transaction.create",
            doc,
            {
                "type": "sale",
                "document_id": doc,
                "sale": {
                    "id": doc,
                    "number": next(_numbers),
                    "subtotal": price,
                    "discount": "0.00",
                    "tax": "0.00",
                    "total": price,
                    "paid": price,
                    "change": "0.00",
                    "payments": [{"id": new_id_str(), "method": "cash", "amount": price}],
                },
                "movements": [
                    {
                        "id": new_id_str(),
                        "product_id": product.id,
                        "type": "sale",
                        "quantity": "-1.000",
                        "unit_price": price,
                        "unit_cost": None,
                        "discount": "0.00",
                        "product_version": 1,
                        "sale_id": doc,
                        "ref_id": None,
                        "note": None,
                    }
                ],
                "user_id": self.caja.manager_id,
                "shift_id": None,
                "client_ts": _now(),
            },
        )

    def sale_return(self, product: Product, sale: dict[str, Any]) -> dict[str, Any]:
        doc = new_id_str()
        line = sale["payload"]["movements"][0]
        price = line["unit_price"]
        return self.op(
            "transaction.create",
            doc,
            {
                "type": "return",
                "document_id": doc,
                "return": {
                    "sale_id": sale["entity_id"],
                    "refund_total": price,
                    "refund_method": "cash",
                    "reason": "vencido",
                },
                "movements": [
                    {
                        "id": new_id_str(),
                        "product_id": product.id,
                        "type": "return",
                        "quantity": "1.000",
                        "unit_price": price,
                        "unit_cost": None,
                        "discount": "0.00",
                        "product_version": 1,
                        "sale_id": sale["entity_id"],
                        "ref_id": line["id"],
                        "note": "vencido",
                    }
                ],
                "user_id": self.caja.manager_id,
                "shift_id": None,
                "client_ts": _now(),
            },
        )

    def adjustment(self, product: Product) -> dict[str, Any]:
        doc = new_id_str()
        return self.op(
            "transaction.create",
            doc,
            {
                "type": "adjustment",
                "document_id": doc,
                "note": "conteo",
                "movements": [
                    {
                        "id": new_id_str(),
                        "product_id": product.id,
                        "type": "adjustment",
                        "quantity": "2.000",
                        "unit_price": "0.00",
                        "unit_cost": None,
                        "discount": "0.00",
                        "product_version": 1,
                        "sale_id": None,
                        "ref_id": None,
                        "note": "conteo",
                    }
                ],
                "user_id": self.caja.manager_id,
                "shift_id": None,
                "client_ts": _now(),
            },
        )

    def product(self, product: Product) -> dict[str, Any]:
        payload = {
            "id": product.id,
            "sku": f"SKU-{product.id[-8:]}",
            "name": "Producto editado",
            "category": "Granos",
            "barcode": None,
            "price": "1500.00",
            "cost": "900.00",
            "tax_rate": "0.19",
            "unit": product.unit,
            "active": True,
        }
        return self.op("product.upsert", product.id, payload, base_version=1)

    def thresholds(self, product: Product) -> dict[str, Any]:
        payload = {"product_id": product.id, "min": "1.000", "max": "20.000"}
        return self.op("inventory.thresholds", product.id, payload)

    def shift_open(self, adopted: list[str] | None = None) -> dict[str, Any]:
        shift = new_id_str()
        payload: dict[str, Any] = {
            "id": shift,
            "user_id": self.caja.manager_id,
            "opened_at": _now(),
            "opening_float": "50000.00",
        }
        if adopted is not None:  # sales made with no shift open, taken in by this one
            payload["adopted_sales"] = adopted
            payload["adopted_returns"] = []
        return self.op("shift.open", shift, payload)

    def void(self, product: Product) -> dict[str, Any]:
        """A cart of two units cancelled at the counter (audit only)."""
        void_id = new_id_str()
        price = f"{product.price_cents / 100:.2f}"
        payload = {
            "id": void_id,
            "user_id": self.caja.manager_id,
            "shift_id": None,
            "voided_at": _now(),
            "total": f"{2 * product.price_cents / 100:.2f}",
            "reason": "el cliente no quiso",
            "lines": [
                {
                    "product_id": product.id,
                    "quantity": "2.000",
                    "unit_price": price,
                    "discount": "0.00",
                    "product_version": 1,
                }
            ],
        }
        return self.op("sale.void", void_id, payload)

    def void_rows(self, void_id: str) -> int:
        """How many rows the cloud's audit log holds for this void."""
        with psycopg.connect(libpq_url(self.caja.database.owner_url)) as conn:
            row = conn.execute(
                "SELECT count(*) FROM audit_logs WHERE action = 'sale.void' AND entity_id = %s",
                (void_id,),
            ).fetchone()
        return int(row[0]) if row else 0

    def shift_close(self, opened: dict[str, Any]) -> dict[str, Any]:
        shift = opened["entity_id"]
        zero = {"cash": "0.00", "card": "0.00", "transfer": "0.00"}
        report = {
            "shift_id": shift,
            "opened_at": opened["payload"]["opened_at"],
            "closed_at": _now(),
            "sales_count": 0,
            "subtotal": "0.00",
            "discount": "0.00",
            "tax": "0.00",
            "total": "0.00",
            "payments": dict(zero),
            "change": "0.00",
            "cash_in": "0.00",
            "returns_count": 0,
            "refunds": dict(zero),
            "refunds_total": "0.00",
            "net": "0.00",
            "opening_float": "50000.00",
            "expected_cash": "50000.00",
            "counted_cash": "50000.00",
            "difference": "0.00",
        }
        payload = {
            "id": shift,
            "closed_by": self.caja.manager_id,
            "note": "cierre",
            "z_report": report,
        }
        return self.op("shift.close", shift, payload)


# kind -> fields to poison, as (dotted path in the op, hostile kind).
TX = "payload.movements.0"
CLOUD_FIELDS: dict[str, dict[str, str]] = {
    "sale": {
        f"{TX}.quantity": "number",
        f"{TX}.unit_price": "number",
        f"{TX}.discount": "number",
        f"{TX}.note": "text",
        f"{TX}.product_version": "number",
        f"{TX}.product_id": "text",
        "payload.sale.number": "number",
        "payload.sale.total": "number",
        "payload.sale.change": "number",
        "payload.sale.payments.0.amount": "number",
        "payload.sale.payments.0.method": "text",
        "payload.client_ts": "date",
        "payload.user_id": "text",
    },
    "return": {
        "payload.return.reason": "text",
        "payload.return.refund_total": "number",
        "payload.return.refund_method": "text",
        f"{TX}.quantity": "number",
        f"{TX}.note": "text",
        f"{TX}.ref_id": "text",
    },
    "entry": {
        "payload.supplier": "text",
        "payload.note": "text",
        f"{TX}.quantity": "number",
        f"{TX}.unit_cost": "number",
        f"{TX}.note": "text",
        "payload.client_ts": "date",
    },
    "adjustment": {
        "payload.note": "text",
        f"{TX}.quantity": "number",
        f"{TX}.note": "text",
        "payload.document_id": "text",
    },
    "product.upsert": {
        "payload.name": "text",
        "payload.sku": "text",
        "payload.category": "text",
        "payload.barcode": "text",
        "payload.price": "number",
        "payload.cost": "number",
        "payload.tax_rate": "number",
        "payload.unit": "text",
    },
    "inventory.thresholds": {
        "payload.min": "number",
        "payload.max": "number",
        "payload.product_id": "text",
    },
    "shift.open": {
        "payload.opened_at": "date",
        "payload.opening_float": "number",
        "payload.user_id": "text",
    },
    "shift.open+adopted": {
        "payload.adopted_sales": "text",
        "payload.adopted_sales.0": "text",
        "payload.adopted_returns": "number",
    },
    "sale.void": {
        "payload.reason": "text",
        "payload.total": "number",
        "payload.voided_at": "date",
        "payload.user_id": "text",
        "payload.shift_id": "text",
        "payload.lines.0.product_id": "text",
        "payload.lines.0.quantity": "number",
        "payload.lines.0.unit_price": "number",
        "payload.lines.0.discount": "number",
        "payload.lines.0.product_version": "number",
    },
    "shift.close": {
        "payload.note": "text",
        "payload.z_report.counted_cash": "number",
        "payload.z_report.closed_at": "date",
        "payload.z_report.sales_count": "number",
        "payload.z_report.payments": "number",
        "payload.z_report.first_receipt": "text",
        "payload.z_report.last_receipt": "number",
        "payload.z_report.adopted_sales": "number",
        "payload.closed_by": "text",
    },
    # The envelope itself: what a malformed one gets is a 422 for the whole request.
    "envelope": {
        "entity_id": "text",
        "client_ts": "date",
        "base_version": "number",
        "kind": "text",
        "op_id": "text",
    },
}


def _cloud_op(
    pusher: Pusher, kind: str, product: Product
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A valid op of `kind`, and the valid ops that must be applied before it."""
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "sale": lambda: pusher.sale(product),
        "entry": lambda: pusher.entry(product),
        "adjustment": lambda: pusher.adjustment(product),
        "product.upsert": lambda: pusher.product(product),
        "inventory.thresholds": lambda: pusher.thresholds(product),
        "shift.open": pusher.shift_open,
        "sale.void": lambda: pusher.void(product),
        "envelope": lambda: pusher.entry(product),
    }
    if kind == "shift.open+adopted":
        sale = pusher.sale(product)
        return pusher.shift_open(adopted=[sale["entity_id"]]), [sale]
    if kind == "return":
        sale = pusher.sale(product)
        return pusher.sale_return(product, sale), [sale]
    if kind == "shift.close":
        opened = pusher.shift_open()
        return pusher.shift_close(opened), [opened]
    return builders[kind](), []


def _results(response: httpx.Response) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _cloud_example(pusher: Pusher, products: list[Product], data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(CLOUD_FIELDS)), label="kind")
    product = pusher.caja.new_product("unit", 250_000)  # version 1, fresh stock, every time
    hostile, before = _cloud_op(pusher, kind, product)
    if before:
        r = pusher.push(before)
        assert r.status_code == 200, r.text
        assert [x["status"] for x in _results(r)] == ["applied"], r.text
    fields = CLOUD_FIELDS[kind]
    poisoned = data.draw(
        st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=2, unique=True),
        label="poisoned",
    )
    for path in poisoned:
        _set(hostile, path, data.draw(hostile_for(fields[path]), label=path))
    valid = pusher.entry(products[0])
    r = pusher.push([hostile, valid])
    said = f"{kind} {json.dumps(hostile)[:600]}\n-> {r.status_code} {r.text[:600]}"
    assert r.status_code in (200, 422), f"the cloud answered {r.status_code}: {said}"
    if r.status_code == 200:
        hostile_result, valid_result = _results(r)
        allowed = (
            ("applied", "rejected", "conflict")
            if kind == "product.upsert"
            else (
                "applied",
                "rejected",
            )
        )
        assert hostile_result["status"] in allowed, said
        if hostile_result["status"] == "rejected":
            assert hostile_result.get("reason"), f"rejected without a reason: {said}"
        assert valid_result["status"] == "applied", f"the valid op after it: {said}"
    after = pusher.push([pusher.entry(products[0])])
    assert after.status_code == 200, f"the next batch: {after.status_code} {after.text[:300]}"
    assert _results(after)[0]["status"] == "applied", f"the next batch: {after.text[:300]}"
    if kind == "sale.void" and r.status_code == 200:
        # In the audit log exactly once when applied, even pushed again; never when rejected.
        again = pusher.push([hostile])
        assert again.status_code == 200, again.text
        assert _results(again)[0]["status"] in ("duplicate", "rejected"), again.text
        applied = _results(r)[0]["status"] == "applied"
        assert pusher.void_rows(hostile["entity_id"]) == int(applied), said


@pytest.mark.slow
def test_hostile_ops_straight_to_the_cloud(
    live_cloud: str, database: DatabaseUrls, tmp_path: Path
) -> None:
    caja = LiveCaja.build(live_cloud, database, tmp_path / "caja")
    pusher = Pusher(caja)
    products = [caja.new_product("unit", 100_000)]

    @property_settings(EXAMPLES)
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        _cloud_example(pusher, products, data)

    try:
        example()
    finally:
        caja.close()


# (c) Clocks ---------------------------------------------------------------------------------


@pytest.fixture
def pusher(live_cloud: str, database: DatabaseUrls, tmp_path: Path) -> Pusher:
    caja = LiveCaja.build(live_cloud, database, tmp_path / "caja")
    caja.close()  # only its credential is needed
    return Pusher(caja)


@pytest.mark.parametrize(
    "client_now", ["2000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
)
def test_ping_from_a_caja_with_a_wild_clock_is_answered(pusher: Pusher, client_now: str) -> None:
    """A clock reset to 2000 is a real caja's: answered with its offset. Year 1 or 9999 may be
    refused as a 422 naming client_now; never a 5xx."""
    r = httpx.post(
        f"{pusher.caja.url}/api/sync/ping",
        content=dumps({"client_now": client_now}),
        headers=pusher.headers,
    )
    said = f"ping with client_now {client_now}: {r.status_code} {r.text}"
    if client_now.startswith("2000") or r.status_code != 422:
        assert r.status_code == 200, said
        assert r.json()["clock_offset_ms"] is not None
    else:
        assert "client_now" in {f["field"] for f in r.json()["fields"]}, said


@pytest.mark.parametrize(
    ("client_now", "client_ts"),
    [
        ("9999-12-31T23:59:59Z", None),
        ("2000-01-01T00:00:00Z", None),
        ("0001-01-01T00:00:00Z", None),
        (None, "0001-01-01T00:00:00Z"),
        (None, "9999-12-31T23:59:59Z"),
        ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"),
    ],
)
def test_push_with_a_wild_clock_is_answered(
    pusher: Pusher, client_now: str | None, client_ts: str | None
) -> None:
    """Answered per op (applied, or rejected for its time) or a 422 naming the time; never a
    5xx."""
    product = pusher.caja.new_product("unit", 100_000)
    op = pusher.entry(product)
    if client_ts is not None:
        op["client_ts"] = client_ts
    r = pusher.push([op], client_now=client_now)
    said = f"push client_now={client_now} client_ts={client_ts}: {r.status_code} {r.text}"
    if r.status_code == 422:  # an absurd time refused in the envelope, the field named
        named = {f["field"] for f in r.json()["fields"]}
        assert named & {"client_now", "operations.0.client_ts"}, said
    else:
        assert r.status_code == 200, said
        assert _results(r)[0]["status"] in ("applied", "rejected"), said
    # The next push from a caja whose clock came back is applied.
    r = pusher.push([pusher.entry(product)])
    assert r.status_code == 200, r.text
    assert _results(r)[0]["status"] == "applied", r.text
