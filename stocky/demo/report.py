"""The demo's verdict: per sede, what its cajas hold against what the cloud holds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from rich.table import Table

from stocky.demo.cajas import Caja

PAGE = 200


@dataclass(frozen=True)
class SedeReport:
    sede: str
    recorded: int  # sales the demo rang up at the caja
    caja_sales: int
    cloud_sales: int
    caja_stock: Decimal
    cloud_stock: Decimal
    products_differing: int
    pending: int
    rejected: int

    def problems(self) -> list[str]:
        found = []
        if not self.recorded == self.caja_sales == self.cloud_sales:
            found.append(
                f"sales: rung up {self.recorded}, at the caja {self.caja_sales}, "
                f"in the cloud {self.cloud_sales}"
            )
        if self.caja_stock != self.cloud_stock or self.products_differing:
            found.append(
                f"stock: caja {self.caja_stock} vs cloud {self.cloud_stock} "
                f"({self.products_differing} products differ)"
            )
        if self.pending:
            found.append(f"{self.pending} operations still pending at the caja")
        if self.rejected:
            found.append(f"{self.rejected} operations rejected by the cloud")
        return [f"{self.sede}: {p}" for p in found]


async def _pages(
    cloud: httpx.AsyncClient, path: str, params: dict[str, Any], headers: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": PAGE} | ({"cursor": cursor} if cursor else {})
        response = await cloud.get(path, params=query, headers=headers)
        response.raise_for_status()
        page = response.json()
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items


async def cloud_stock(
    cloud: httpx.AsyncClient, sede_id: str, headers: dict[str, str]
) -> dict[str, Decimal]:
    rows = await _pages(cloud, "/api/inventory", {"sede_id": sede_id}, headers)
    return {row["product_id"]: Decimal(row["quantity"]) for row in rows}


async def cloud_sales(cloud: httpx.AsyncClient, sede_id: str, headers: dict[str, str]) -> int:
    rows = await _pages(cloud, "/api/transactions", {"sede_id": sede_id, "type": "sale"}, headers)
    return len({row["sale_id"] for row in rows})


async def sede_report(
    cajas: list[Caja], cloud: httpx.AsyncClient, headers: dict[str, str]
) -> SedeReport:
    """The sede's cajas against the cloud: every caja must show the cloud's stock."""
    sede_id = cajas[0].sede_id
    at_cloud = await cloud_stock(cloud, sede_id, headers)
    caja_stock = Decimal(0)
    differing = pending = rejected = 0
    for caja in cajas:
        status = await caja.status()
        at_caja = await caja.stock()
        differing = max(
            differing,
            sum(
                1
                for pid in at_caja.keys() | at_cloud.keys()
                if at_caja.get(pid, Decimal(0)) != at_cloud.get(pid, Decimal(0))
            ),
        )
        caja_stock = sum(at_caja.values(), Decimal(0))
        pending += int(status["pending_ops"])
        rejected += int(status["rejected_ops"]) + int(status["conflict_ops"])
    return SedeReport(
        sede=cajas[0].sede_name
        if len(cajas) == 1
        else f"{cajas[0].sede_name} ({len(cajas)} cajas)",
        recorded=sum(c.recorded_sales for c in cajas),
        caja_sales=sum(-1 if c.sales_at_close is None else c.sales_at_close for c in cajas),
        cloud_sales=await cloud_sales(cloud, sede_id, headers),
        caja_stock=caja_stock,
        cloud_stock=sum(at_cloud.values(), Decimal(0)),
        products_differing=differing,
        pending=pending,
        rejected=rejected,
    )


def _qty(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def report_table(reports: list[SedeReport]) -> Table:
    table = Table(title="Each caja against the cloud", title_justify="left")
    table.add_column("Sede")
    for column in (
        "Sales\ncaja",
        "Sales\ncloud",
        "Stock\ncaja",
        "Stock\ncloud",
        "Pending\nops",
        "",
    ):
        table.add_column(column, justify="right")
    for r in reports:
        ok = not r.problems()
        table.add_row(
            r.sede,
            str(r.caja_sales),
            str(r.cloud_sales),
            _qty(r.caja_stock),
            _qty(r.cloud_stock),
            str(r.pending),
            "[bold green]equal[/]" if ok else "[bold red]DIFFERENT[/]",
        )
    return table
