"""Applying pulled pages at the caja: entities, the inventory rule, the write checkpoint,
resets, and one page + its cursor in one write."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from typing import Any

import pytest

from stocky.core.ids import new_id_str
from stocky.core.ops import ProductPayload
from stocky.core.sync import Cursor, OpResult, PullResponse
from stocky.edge.inventory.schemas import ThresholdsIn
from stocky.edge.inventory.service import set_thresholds
from stocky.edge.outbox import append_op
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store import Store
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.apply import ApplyError, ApplyStats, apply_page, pull_state
from stocky.edge.sync.checkpoint import release_all_deferred, release_deferred
from tests.edge.factories import Caja, caja
from tests.edge.sync.cloud_rows import (
    EPOCH,
    change,
    inventory_change,
    inventory_row,
    page,
    position,
    product_row,
    transaction_row,
    user_row,
)

__all__ = ["caja"]


def apply(caja: Caja, pulled: PullResponse) -> ApplyStats:
    sede_id = caja.sede["sede_id"]
    return caja.store.write(
        lambda c: apply_page(c, pulled, sede_id=sede_id, now=utc_now()), durable=False
    )


def one(store: Store, sql: str, *params: Any) -> Any:
    return store.read(lambda c: c.execute(sql, params).fetchone())


def stock(caja: Caja, product_id: str) -> int:
    return int(
        one(caja.store, "SELECT quantity_milli FROM inventory WHERE product_id = ?", product_id)[0]
    )


def sell(caja: Caja, product_id: str, units: int) -> str:
    """A local sale; returns the id of its movement."""
    cmd = SaleCreate.model_validate(
        {
            "lines": [{"product_id": product_id, "quantity": units}],
            "payments": [{"method": "cash", "amount": "1000000"}],
        }
    )
    sale = caja.store.write(
        lambda c: record_sale(c, cmd, user_id=caja.cashier["id"], now=utc_now())
    )
    return str(one(caja.store, "SELECT id FROM transactions WHERE sale_id = ?", sale.id)[0])


def mark_synced(caja: Caja, kind: str, entity_id: str, op_position: str | None) -> None:
    """What the push worker writes for an acknowledged op."""

    def mark(conn: sqlite3.Connection) -> None:
        op_id = conn.execute(
            "SELECT op_id FROM sync_queue WHERE kind = ? AND entity_id = ?", (kind, entity_id)
        ).fetchone()[0]
        result = OpResult.model_validate(
            {
                "op_id": op_id,
                "status": "applied",
                "server_ts": "2026-01-31T14:05:10Z",
                "position": op_position,
            }
        )
        conn.execute(
            "UPDATE sync_queue SET status = 'synced', result = ?, synced_at = ? WHERE op_id = ?",
            (result.model_dump_json(), utc_now(), op_id),
        )

    caja.store.write(mark)


class TestProducts:
    def test_new_product_is_inserted_with_exact_money(self, caja: Caja) -> None:
        row = product_row(caja.sede["tenant_id"], price=Decimal("3500.50"), cost="2800.1")
        stats = apply(caja, page([change("products", row["id"], row)]))
        assert stats.applied["products"] == 1
        got = one(caja.store, "SELECT * FROM products WHERE id = ?", row["id"])
        assert (got["price_cents"], got["cost_cents"], got["tax_rate"]) == (350050, 280010, "0.19")
        assert got["sku"] == row["sku"]
        assert got["last_modified_at"] == "2026-01-31T14:05:09.123450Z"
        assert got["synced_at"] is not None

    def test_update_and_delete(self, caja: Caja) -> None:
        local = caja.products[0]
        row = product_row(
            caja.sede["tenant_id"],
            id=local["id"],
            sku=local["sku"],
            name="Nuevo nombre",
            price=12,
            version=2,
            tax_rate="0",
            unit="unit",
        )
        apply(caja, page([change("products", row["id"], row)]))
        got = one(
            caja.store,
            "SELECT name, price_cents, version, tax_rate FROM products WHERE id = ?",
            local["id"],
        )
        assert tuple(got) == ("Nuevo nombre", 1200, 2, "0")
        apply(caja, page([change("products", row["id"], {**row, "version": 3}, op="delete")]))
        assert one(caja.store, "SELECT active FROM products WHERE id = ?", local["id"])[0] == 0

    def test_a_stale_local_holder_of_the_sku_gives_it_up(self, caja: Caja) -> None:
        holder = caja.products[1]
        row = product_row(caja.sede["tenant_id"], sku=holder["sku"], barcode=holder["barcode"])
        apply(caja, page([change("products", row["id"], row)]))
        got = one(caja.store, "SELECT sku, barcode FROM products WHERE id = ?", holder["id"])
        assert tuple(got) == (f"~{holder['id']}", None)

    def test_barcodes_upsert_and_delete(self, caja: Caja) -> None:
        first, second = caja.products[0]["id"], caja.products[1]["id"]
        data = {"tenant_id": caja.sede["tenant_id"], "barcode": "7701234", "product_id": first}
        apply(caja, page([change("product_barcodes", "7701234", data)]))
        apply(caja, page([change("product_barcodes", "7701234", {**data, "product_id": second})]))
        got = one(caja.store, "SELECT product_id FROM product_barcodes WHERE barcode = '7701234'")
        assert got[0] == second
        apply(caja, page([change("product_barcodes", "7701234", data, op="delete")]))
        assert one(caja.store, "SELECT 1 FROM product_barcodes WHERE barcode = '7701234'") is None


class TestUsersAndSedes:
    def _session(self, caja: Caja, user_id: str) -> None:
        now = utc_now()
        caja.store.write(
            lambda c: c.execute(
                "INSERT INTO auth_session (token_hash, user_id, created_at, last_seen_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                (new_id_str(), user_id, now, now, now),
            )
        )

    def test_new_user_arrives_and_cloud_wins(self, caja: Caja) -> None:
        row = user_row(caja.sede["tenant_id"], email="Nueva@Example.com")
        apply(caja, page([change("users", row["id"], row)]))
        apply(caja, page([change("users", row["id"], {**row, "role": "manager", "version": 2})]))
        got = one(
            caja.store, "SELECT email, role, version, active FROM users WHERE id = ?", row["id"]
        )
        assert tuple(got) == ("nueva@example.com", "manager", 2, 1)

    @pytest.mark.parametrize("op", ["upsert", "delete"])
    def test_deactivated_or_deleted_user_loses_sessions(self, caja: Caja, op: str) -> None:
        cashier = caja.cashier
        self._session(caja, cashier["id"])
        self._session(caja, caja.manager["id"])
        row = user_row(
            caja.sede["tenant_id"],
            id=cashier["id"],
            email=cashier["email"],
            active=False,
            version=2,
        )
        apply(caja, page([change("users", cashier["id"], row, op=op)]))
        assert (
            one(caja.store, "SELECT count(*) FROM auth_session WHERE user_id = ?", cashier["id"])[0]
            == 0
        )
        assert one(caja.store, "SELECT count(*) FROM auth_session")[0] == 1
        # Deactivated: kept, inactive. Deleted (moved to another sede): gone, hash and all.
        left = one(
            caja.store, "SELECT count(*), max(active) FROM users WHERE id = ?", cashier["id"]
        )
        assert tuple(left) == ((1, 0) if op == "upsert" else (0, None))

    def test_sedes(self, caja: Caja) -> None:
        tenant, own = caja.sede["tenant_id"], caja.sede["sede_id"]

        def sede(sede_id: str, name: str, **extra: Any) -> dict[str, Any]:
            return {
                "tenant_id": tenant,
                "id": sede_id,
                "name": name,
                "address": "Cra 7 # 12-34",
                "timezone": None,
                "active": True,
                "is_online": False,
                "config": {},
                "version": 1,
                **extra,
            }

        other = new_id_str()
        apply(
            caja,
            page(
                [
                    change(
                        "sedes",
                        own,
                        sede(
                            own,
                            "Centro Renovado",
                            config={"receipt": "hi"},
                            timezone="America/Lima",
                        ),
                    ),
                    change("sedes", other, sede(other, "Norte")),
                ]
            ),
        )
        info = one(caja.store, "SELECT sede_name, config, timezone FROM sede_info")
        assert (info[0], json.loads(info[1]), info[2]) == (
            "Centro Renovado",
            {"receipt": "hi"},
            "America/Lima",
        )
        listed = json.loads(one(caja.store, "SELECT value FROM app_config WHERE key = 'sedes'")[0])
        assert [s["name"] for s in listed] == ["Centro Renovado", "Norte"]
        apply(caja, page([change("sedes", other, sede(other, "Norte"), op="delete")]))
        listed = json.loads(one(caja.store, "SELECT value FROM app_config WHERE key = 'sedes'")[0])
        assert [s["id"] for s in listed] == [own]


class TestInventory:
    def test_cloud_quantity_plus_unseen_local_movements(self, caja: Caja) -> None:
        tenant, sede = caja.sede["tenant_id"], caja.sede["sede_id"]
        pid = caja.products[0]["id"]
        movement = sell(caja, pid, 2)
        assert stock(caja, pid) == 8_000
        # The cloud has not received the sale yet: 10 there, the caja still shows 8.
        apply(caja, page([inventory_change(inventory_row(tenant, sede, pid, Decimal("10.000")))]))
        assert stock(caja, pid) == 8_000
        # The movement's change arrives first (still 8: the stock change is on the next page).
        moved = transaction_row(tenant, sede, pid, "-2.000", id=movement)
        apply(caja, page([change("transactions", movement, moved)]))
        assert stock(caja, pid) == 8_000
        got = one(
            caja.store, "SELECT cloud_position, server_ts FROM transactions WHERE id = ?", movement
        )
        assert got[0] is not None
        assert got[1] == "2026-01-31T14:05:10.500000Z"
        apply(caja, page([inventory_change(inventory_row(tenant, sede, pid, Decimal("8.000")))]))
        assert stock(caja, pid) == 8_000
        row = one(
            caja.store, "SELECT cloud_quantity_milli FROM inventory WHERE product_id = ?", pid
        )
        assert row[0] == 8_000

    def test_another_cajas_movement_is_not_double_counted(self, caja: Caja) -> None:
        tenant, sede = caja.sede["tenant_id"], caja.sede["sede_id"]
        pid = caja.products[0]["id"]
        sell(caja, pid, 2)  # not pushed yet
        theirs = transaction_row(tenant, sede, pid, "-3.000", user_id=None, unit_price=None)
        apply(
            caja,
            page(
                [
                    change("transactions", theirs["id"], theirs),
                    inventory_change(inventory_row(tenant, sede, pid, "7.000")),
                ]
            ),
        )
        assert stock(caja, pid) == 5_000
        got = one(
            caja.store,
            "SELECT quantity_milli, type, user_id, cloud_position FROM transactions WHERE id = ?",
            theirs["id"],
        )
        assert (got[0], got[1], got[2]) == (-3_000, "sale", "cloud")
        assert got[3] is not None
        # Delivered again (a replayed page): still one row, still 5.
        apply(caja, page([change("transactions", theirs["id"], theirs)]))
        assert (
            one(caja.store, "SELECT count(*) FROM transactions WHERE id = ?", theirs["id"])[0] == 1
        )
        assert stock(caja, pid) == 5_000

    def test_other_sedes_rows_are_ignored(self, caja: Caja) -> None:
        tenant, pid = caja.sede["tenant_id"], caja.products[0]["id"]
        elsewhere = new_id_str()
        theirs = transaction_row(tenant, elsewhere, pid, "5")
        stats = apply(
            caja,
            page(
                [
                    change("transactions", theirs["id"], theirs),
                    inventory_change(inventory_row(tenant, elsewhere, pid, "99")),
                ]
            ),
        )
        assert stats.ignored == {"transactions": 1, "inventory": 1}
        assert stock(caja, pid) == 10_000
        assert one(caja.store, "SELECT 1 FROM transactions WHERE id = ?", theirs["id"]) is None

    def test_thresholds_follow_the_cloud(self, caja: Caja) -> None:
        tenant, sede, pid = caja.sede["tenant_id"], caja.sede["sede_id"], caja.products[0]["id"]
        row = inventory_row(tenant, sede, pid, "10", min_stock=Decimal("2.5"), max_stock="40")
        apply(caja, page([inventory_change(row)]))
        got = one(
            caja.store, "SELECT min_milli, max_milli FROM inventory WHERE product_id = ?", pid
        )
        assert tuple(got) == (2_500, 40_000)


class TestWriteCheckpoint:
    def _local_edit(self, caja: Caja, product_id: str) -> None:
        caja.store.write(
            lambda c: append_op(
                c,
                entity_id=product_id,
                payload=ProductPayload(
                    id=product_id, sku="EDIT", name="Editado en caja", price=Decimal("1")
                ),
                client_ts=utc_now(),
                base_version=1,
            )
        )
        caja.store.write(
            lambda c: c.execute(
                "UPDATE products SET name = 'Editado en caja', version = 2 WHERE id = ?",
                (product_id,),
            )
        )

    def _pulled(self, caja: Caja, xid: int, name: str, version: int) -> dict[str, Any]:
        local = caja.products[0]
        row = product_row(
            caja.sede["tenant_id"], id=local["id"], sku=local["sku"], name=name, version=version
        )
        pulled = change("products", local["id"], row)
        pulled = pulled.model_copy(update={"position": position(xid)})
        stats = apply(caja, page([pulled]))
        assert stats.deferred["products"] == 1
        return row

    def test_pending_edit_defers_then_release_adopts(self, caja: Caja) -> None:
        pid = caja.products[0]["id"]
        self._local_edit(caja, pid)
        self._pulled(caja, 500, "Nombre de la nube", 3)
        assert (
            one(caja.store, "SELECT name FROM products WHERE id = ?", pid)[0] == "Editado en caja"
        )
        assert caja.store.write(lambda c: release_deferred(c, "products", pid, utc_now())) is False
        # The cloud applied our edit in xid 1400, before the deferred row (1500): adopt it.
        mark_synced(caja, "product.upsert", pid, "1400")
        assert caja.store.write(lambda c: release_deferred(c, "products", pid, utc_now())) is True
        got = one(caja.store, "SELECT name, version FROM products WHERE id = ?", pid)
        assert tuple(got) == ("Nombre de la nube", 3)
        assert one(caja.store, "SELECT count(*) FROM pull_deferred")[0] == 0

    def test_a_deferred_row_older_than_our_edit_is_dropped(self, caja: Caja) -> None:
        pid = caja.products[0]["id"]
        self._local_edit(caja, pid)
        self._pulled(caja, 100, "Antes de la edicion", 1)
        mark_synced(caja, "product.upsert", pid, "1900")
        assert caja.store.write(lambda c: release_all_deferred(c, utc_now())) == 0
        assert (
            one(caja.store, "SELECT name FROM products WHERE id = ?", pid)[0] == "Editado en caja"
        )
        assert one(caja.store, "SELECT count(*) FROM pull_deferred")[0] == 0

    def test_pending_thresholds_keep_local_values_but_not_the_quantity(self, caja: Caja) -> None:
        tenant, sede, pid = caja.sede["tenant_id"], caja.sede["sede_id"], caja.products[0]["id"]
        cmd = ThresholdsIn(min_stock=Decimal(3), max_stock=Decimal(30))
        caja.store.write(
            lambda c: set_thresholds(c, pid, cmd, user_id=caja.manager["id"], now=utc_now())
        )
        row = inventory_row(tenant, sede, pid, "12.000", min_stock="1.000", max_stock="9.000")
        stats = apply(caja, page([inventory_change(row)]))
        assert stats.deferred == {"inventory": 1}
        got = one(
            caja.store,
            "SELECT quantity_milli, min_milli, max_milli FROM inventory WHERE product_id = ?",
            pid,
        )
        assert tuple(got) == (12_000, 3_000, 30_000)
        mark_synced(caja, "inventory.thresholds", pid, None)
        assert caja.store.write(lambda c: release_all_deferred(c, utc_now())) == 1
        got = one(
            caja.store,
            "SELECT quantity_milli, min_milli, max_milli FROM inventory WHERE product_id = ?",
            pid,
        )
        assert tuple(got) == (12_000, 1_000, 9_000)


class TestResetAndAtomicity:
    def test_reset_requeues_ops_and_clears_positions(self, caja: Caja) -> None:
        tenant, sede, pid = caja.sede["tenant_id"], caja.sede["sede_id"], caja.products[0]["id"]
        movement = sell(caja, pid, 1)
        apply(
            caja,
            page(
                [
                    change(
                        "transactions",
                        movement,
                        transaction_row(tenant, sede, pid, "-1", id=movement),
                    )
                ]
            ),
        )
        caja.store.write(
            lambda c: c.execute("UPDATE sync_queue SET status = 'synced', attempts = 3")
        )
        caja.store.write(
            lambda c: c.execute(
                "INSERT INTO pull_deferred (entity, entity_id, position, data, deferred_at)"
                " VALUES ('products', ?, 'p', '{}', ?)",
                (pid, utc_now()),
            )
        )
        row = inventory_row(tenant, sede, pid, "10")
        stats = apply(caja, page([inventory_change(row)], reset=True))
        assert (
            stats.reset,
            stats.requeued_ops,
            stats.cleared_positions,
            stats.dropped_deferred,
        ) == (True, 1, 1, 1)
        queue = one(caja.store, "SELECT status, attempts FROM sync_queue")
        assert tuple(queue) == ("pending", 0)
        assert (
            one(caja.store, "SELECT cloud_position FROM transactions WHERE id = ?", movement)[0]
            is None
        )
        # The restored cloud lacks the sale: 10 there, 9 at the caja until it is re-pushed.
        assert stock(caja, pid) == 9_000
        assert one(caja.store, "SELECT count(*) FROM products")[0] == len(caja.products)

    def test_a_malformed_change_rolls_back_the_page_and_its_cursor(self, caja: Caja) -> None:
        tenant = caja.sede["tenant_id"]
        first = product_row(tenant)
        apply(caja, page([change("products", first["id"], first)]))
        before = caja.store.read(pull_state)
        good = product_row(tenant)
        bad = product_row(tenant, price="doce mil")
        with pytest.raises(ApplyError, match=bad["id"]):
            apply(
                caja,
                page([change("products", good["id"], good), change("products", bad["id"], bad)]),
            )
        assert one(caja.store, "SELECT 1 FROM products WHERE id = ?", good["id"]) is None
        assert caja.store.read(pull_state) == before

    def test_a_float_is_malformed(self, caja: Caja) -> None:
        row = product_row(caja.sede["tenant_id"], price=3500.5)
        with pytest.raises(ApplyError, match="exact"):
            apply(caja, page([change("products", row["id"], row)]))

    def test_cursor_epoch_and_time_are_stored(self, caja: Caja) -> None:
        assert caja.store.read(pull_state) == (None, None)
        pulled = page([])
        apply(caja, pulled)
        assert caja.store.read(pull_state) == (pulled.cursor, EPOCH)
        assert Cursor.decode(pulled.cursor).epoch == EPOCH
        assert (
            one(caja.store, "SELECT value FROM sync_state WHERE key = 'last_pull_at'") is not None
        )

    def test_unknown_entities_are_counted_and_ignored(self, caja: Caja) -> None:
        entities = ("sales", "shifts", "devices", "purchase_orders", "martians")
        changes = [
            change(entity, new_id_str(), {"id": new_id_str(), "whatever": Decimal("1.5")})
            for entity in entities
        ]
        stats = apply(caja, page(changes))
        assert stats.changes == 5
        assert stats.ignored == dict.fromkeys(entities, 1)
        assert sum(stats.applied.values()) == 0
