"""Pulled transfers and their lines at the caja (issue 15): cloud wins, only this sede's,
deletes remove them, and a notice (the screens' toast) only for news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stocky.core.ids import new_id_str
from stocky.edge.store.timestamps import to_iso, utc_now
from stocky.edge.sync.apply import ApplyStats, apply_page
from tests.edge.factories import Caja, caja
from tests.edge.sync.cloud_rows import change, page, transaction_row

__all__ = ["caja"]


def apply(caja: Caja, *changes: Any) -> ApplyStats:
    sede_id = caja.sede["sede_id"]
    return caja.store.write(
        lambda c: apply_page(c, page(list(changes)), sede_id=sede_id, now=utc_now()),
        durable=False,
    )


def transfer_row(caja: Caja, **overrides: Any) -> dict[str, Any]:
    now = to_iso(datetime.now(UTC))
    row: dict[str, Any] = {
        "tenant_id": caja.sede["tenant_id"],
        "id": new_id_str(),
        "from_sede_id": caja.sede["sede_id"],
        "to_sede_id": new_id_str(),
        "status": "pending",
        "note": "reposición",
        "reason": None,
        "failure_reason": None,
        "requested_by": new_id_str(),
        "requested_at": now,
        "decided_by": None,
        "decided_at": None,
        "completed_at": None,
        "job_id": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    row.update(overrides)
    return row


def line_row(transfer: dict[str, Any], product_id: str, quantity: str) -> dict[str, Any]:
    return {
        "tenant_id": transfer["tenant_id"],
        "id": new_id_str(),
        "transfer_id": transfer["id"],
        "from_sede_id": transfer["from_sede_id"],
        "to_sede_id": transfer["to_sede_id"],
        "product_id": product_id,
        "quantity": quantity,
        "version": 1,
    }


def rows(caja: Caja, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    return caja.store.read(lambda c: [tuple(r) for r in c.execute(sql, args)])


class TestTransfers:
    def test_upsert_then_status_change_then_delete(self, caja: Caja) -> None:
        product = caja.products[0]["id"]
        t = transfer_row(caja)
        line = line_row(t, product, "2.500")
        stats = apply(
            caja, change("transfers", t["id"], t), change("transfer_lines", line["id"], line)
        )
        assert stats.applied == {"transfers": 1, "transfer_lines": 1}
        assert rows(caja, "SELECT status, note FROM transfers") == [("pending", "reposición")]
        assert rows(caja, "SELECT product_id, quantity_milli FROM transfer_lines") == [
            (product, 2500)
        ]
        done = {**t, "status": "completed", "completed_at": t["updated_at"], "version": 3}
        apply(caja, change("transfers", t["id"], done))
        assert rows(caja, "SELECT status, version FROM transfers") == [("completed", 3)]
        # The same status again (a re-pull) is no news.
        apply(caja, change("transfers", t["id"], done))
        assert rows(caja, "SELECT status FROM transfer_notices ORDER BY seq") == [
            ("pending",),
            ("completed",),
        ]
        apply(caja, change("transfers", t["id"], None, op="delete"))
        assert rows(caja, "SELECT * FROM transfers") == []
        assert rows(caja, "SELECT * FROM transfer_lines") == []

    def test_another_pair_of_sedes_is_ignored(self, caja: Caja) -> None:
        t = transfer_row(caja, from_sede_id=new_id_str())
        line = line_row(t, caja.products[0]["id"], "1")
        stats = apply(
            caja, change("transfers", t["id"], t), change("transfer_lines", line["id"], line)
        )
        assert stats.ignored == {"transfers": 1, "transfer_lines": 1}
        assert rows(caja, "SELECT * FROM transfers") == []

    def test_incoming_is_kept_and_old_history_is_no_news(self, caja: Caja) -> None:
        old = to_iso(datetime.now(UTC) - timedelta(days=3))
        t = transfer_row(
            caja,
            from_sede_id=new_id_str(),
            to_sede_id=caja.sede["sede_id"],
            status="completed",
            updated_at=old,
            requested_at=old,
        )
        apply(caja, change("transfers", t["id"], t))
        assert rows(caja, "SELECT status FROM transfers") == [("completed",)]
        assert rows(caja, "SELECT * FROM transfer_notices") == []

    def test_a_transfer_movement_keeps_its_transfer(self, caja: Caja) -> None:
        t = transfer_row(caja, status="completed")
        product = caja.products[0]["id"]
        row = transaction_row(
            caja.sede["tenant_id"],
            caja.sede["sede_id"],
            product,
            "-2.000",
            type="transfer_out",
            document_id=t["id"],
            transfer_id=t["id"],
        )
        apply(caja, change("transfers", t["id"], t), change("transactions", row["id"], row))
        assert rows(
            caja,
            "SELECT type, quantity_milli, transfer_id FROM transactions"
            " WHERE transfer_id IS NOT NULL",
        ) == [("transfer_out", -2000, t["id"])]


class TestWhatTheScreenSays:
    def test_another_sedes_people_by_name_and_a_failure_in_spanish(self, caja: Caja) -> None:
        from stocky.edge.transfers.queries import list_transfers
        from stocky.edge.ui.transfers import failure_text
        from stocky.ui.i18n import language, set_language

        product = caja.products[0]
        t = transfer_row(
            caja,
            status="failed",
            requested_by_name="Marta de Norte",
            decided_by=new_id_str(),
            decided_by_name="Luis",
            failure_reason="insufficient stock at Centro: X: has 1, needs 3",
            failure_code="insufficient_stock",
            shortages=[
                {
                    "product_id": product["id"],
                    "sku": product["sku"],
                    "name": product["name"],
                    "available": "1.000",
                    "requested": "3.000",
                }
            ],
        )
        apply(caja, change("transfers", t["id"], t))
        (shown,) = caja.store.read(lambda c: list_transfers(c))
        assert shown.requested_by is not None
        assert shown.requested_by.name == "Marta de Norte"
        assert shown.decided_by is not None
        assert shown.decided_by.name == "Luis"
        before = language()
        set_language("es")
        try:
            text = failure_text(shown, "es-CO")
        finally:
            set_language(before)
        assert text.startswith("no hay existencias suficientes en ")
        assert f"{product['sku']} {product['name']} tiene 1, se piden 3" in text
