"""Stock converges whatever the order of local sales, pushes, other cajas and pulls.

A small model of the cloud receives the caja's movements in order at random times, plus
movements of another caja, and emits each movement's change followed by the stock change
that includes it; the caja pulls that feed in pages cut at random points.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocky.core.ids import new_id_str
from stocky.core.sync import Change
from stocky.edge.inventory.schemas import EntryCreate
from stocky.edge.inventory.service import record_entry
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.apply import apply_page
from tests.edge.factories import Caja, create_activated_store
from tests.edge.sync.cloud_rows import (
    change,
    inventory_change,
    inventory_row,
    page,
    transaction_row,
)

START_MILLI = 10_000

actions = st.lists(
    st.one_of(
        st.tuples(st.just("sell"), st.integers(1, 4)),
        st.tuples(st.just("entry"), st.integers(1, 6)),
        st.tuples(st.just("push"), st.integers(1, 4)),
        st.tuples(st.just("other"), st.integers(-3, 5).filter(bool)),
        st.tuples(st.just("pull"), st.integers(1, 5)),
    ),
    max_size=40,
)


@dataclass
class Cloud:
    """The cloud's side: the stock is the sum of the movements it has, fed in commit order."""

    tenant_id: str
    sede_id: str
    product_id: str
    quantity: int = START_MILLI
    received: list[str] = field(default_factory=list)
    feed: list[Change] = field(default_factory=list)
    # For each stock change in the feed: the caja's own movements its quantity includes.
    includes: dict[int, frozenset[str]] = field(default_factory=dict)

    def receive(self, movement_id: str, milli: int, *, own: bool) -> None:
        qty = str(Decimal(milli).scaleb(-3))
        row = transaction_row(self.tenant_id, self.sede_id, self.product_id, qty, id=movement_id)
        self.feed.append(change("transactions", movement_id, row))
        self.quantity += milli
        if own:
            self.received.append(movement_id)
        self.includes[len(self.feed)] = frozenset(self.received)
        stock = str(Decimal(self.quantity).scaleb(-3))
        self.feed.append(
            inventory_change(inventory_row(self.tenant_id, self.sede_id, self.product_id, stock))
        )


@dataclass
class Sim:
    caja: Caja
    cloud: Cloud
    own: dict[str, int] = field(default_factory=dict)  # every local movement, in order
    unsent: list[str] = field(default_factory=list)
    others: int = 0
    pulled: int = 0
    seen_quantity: int = START_MILLI
    seen_includes: frozenset[str] = frozenset()

    def local(self, kind: str, units: int) -> None:
        pid, user = self.cloud.product_id, self.caja.manager["id"]
        if kind == "sell":
            sale = SaleCreate.model_validate(
                {
                    "lines": [{"product_id": pid, "quantity": units}],
                    "payments": [{"method": "cash", "amount": "1000000"}],
                }
            )
            self.caja.store.write(lambda c: record_sale(c, sale, user_id=user, now=utc_now()))
        else:
            entry = EntryCreate.model_validate(
                {"lines": [{"product_id": pid, "quantity": units, "unit_cost": "1.00"}]}
            )
            self.caja.store.write(lambda c: record_entry(c, entry, user_id=user, now=utc_now()))
        row = self.caja.store.read(
            lambda c: c.execute(
                "SELECT id, quantity_milli FROM transactions ORDER BY rowid DESC LIMIT 1"
            ).fetchone()
        )
        self.own[row[0]] = row[1]
        self.unsent.append(row[0])

    def push(self, count: int) -> None:
        for movement_id in self.unsent[:count]:
            self.cloud.receive(movement_id, self.own[movement_id], own=True)
        del self.unsent[:count]

    def other(self, units: int) -> None:
        self.cloud.receive(new_id_str(), units * 1000, own=False)
        self.others += 1

    def pull(self, limit: int) -> None:
        start, end = self.pulled, min(self.pulled + limit, len(self.cloud.feed))
        changes = self.cloud.feed[start:end]
        pulled = page(changes, has_more=end < len(self.cloud.feed))
        sede = self.cloud.sede_id
        self.caja.store.write(
            lambda c: apply_page(c, pulled, sede_id=sede, now=utc_now()), durable=False
        )
        for index in range(start, end):
            if index in self.cloud.includes:
                includes = self.cloud.includes[index]
                self.seen_includes = includes
                self.seen_quantity = START_MILLI + sum(
                    int(Decimal(str(c.data["quantity"])) * 1000)
                    for c in self.cloud.feed[: index + 1]
                    if c.entity == "transactions" and c.data is not None
                )
        self.pulled = end

    def shown(self) -> int:
        row = self.caja.store.read(
            lambda c: c.execute(
                "SELECT quantity_milli FROM inventory WHERE product_id = ?",
                (self.cloud.product_id,),
            ).fetchone()
        )
        return int(row[0])

    def check(self) -> None:
        unseen = sum(m for i, m in self.own.items() if i not in self.seen_includes)
        assert self.shown() == self.seen_quantity + unseen


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=actions, final_pages=st.integers(1, 7))
def test_stock_converges_and_never_double_counts(
    steps: list[tuple[str, int]], final_pages: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        caja = create_activated_store(Path(tmp), products=1, stock_milli=START_MILLI)
        try:
            cloud = Cloud(caja.sede["tenant_id"], caja.sede["sede_id"], caja.products[0]["id"])
            sim = Sim(caja, cloud)
            for action, amount in steps:
                if action in ("sell", "entry"):
                    sim.local(action, amount)
                elif action == "push":
                    sim.push(amount)
                elif action == "other":
                    sim.other(amount)
                else:
                    sim.pull(amount)
                sim.check()
            sim.push(len(sim.unsent))
            while sim.pulled < len(cloud.feed):
                sim.pull(final_pages)
                sim.check()
            total = START_MILLI + sum(
                int(Decimal(str(c.data["quantity"])) * 1000)
                for c in cloud.feed
                if c.entity == "transactions" and c.data is not None
            )
            assert sim.shown() == cloud.quantity == total
            movements = caja.store.read(
                lambda c: c.execute(
                    "SELECT count(*), count(cloud_position) FROM transactions"
                ).fetchone()
            )
            assert tuple(movements) == (len(sim.own) + sim.others,) * 2
        finally:
            caja.store.close()
