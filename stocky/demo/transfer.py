"""The demo's transfer: the owner moves a few products from the first sede to the second.

Run after the sales: the cloud's job locks both sedes' stock, moves it, and both cajas pull
the movements before the convergence table compares them with the cloud.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import httpx

from stocky.demo.seed import DemoTenant, owner_headers

TRANSFER_TIMEOUT_S = 60.0


def _answer(response: httpx.Response, expected: int, step: str) -> Any:
    if response.status_code != expected:
        raise RuntimeError(f"{step} answered HTTP {response.status_code}: {response.text}")
    return response.json()


async def _stocked(
    cloud: httpx.AsyncClient, sede_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    response = await cloud.get(
        "/api/inventory", params={"sede_id": sede_id, "limit": 200}, headers=headers
    )
    response.raise_for_status()
    items = [i for i in response.json()["items"] if Decimal(i["quantity"]) >= 4]
    return sorted(items, key=lambda i: Decimal(i["quantity"]), reverse=True)[:3]


async def run_transfer(cloud_url: str, tenant: DemoTenant) -> str:
    """Request, approve and wait for one transfer; the line the demo prints about it."""
    origin, destination = tenant.sedes[0], tenant.sedes[1]
    async with httpx.AsyncClient(base_url=cloud_url, timeout=30) as cloud:
        headers = await owner_headers(cloud)
        items = await _stocked(cloud, origin.id, headers)
        if not items:
            return f"no product at {origin.name} has stock to transfer"
        lines = [
            {"product_id": i["product_id"], "quantity": str(Decimal(i["quantity"]) // 4)}
            for i in items
        ]
        started = time.monotonic()
        body = {
            "from_sede_id": origin.id,
            "to_sede_id": destination.id,
            "lines": lines,
            "note": "Demo: reposición",
        }
        answer = await cloud.post("/api/transfers/request", json=body, headers=headers)
        transfer_id = _answer(answer, 201, "the transfer request")["id"]
        answer = await cloud.post(f"/api/transfers/{transfer_id}/approve", headers=headers)
        _answer(answer, 200, "the transfer approval")
        deadline = started + TRANSFER_TIMEOUT_S
        while True:
            answer = await cloud.get(f"/api/transfers/{transfer_id}", headers=headers)
            transfer = _answer(answer, 200, "the transfer")
            if transfer["status"] in ("completed", "failed") or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    elapsed_ms = (time.monotonic() - started) * 1000
    units = sum(Decimal(line["quantity"]) for line in lines)
    if transfer["status"] != "completed":
        raise RuntimeError(
            f"the transfer {origin.name} -> {destination.name} ended {transfer['status']}:"
            f" {transfer.get('failure_reason')}"
        )
    return (
        f"Transfer {origin.name} → {destination.name}: {len(lines)} products, {units} units,"
        f" approved and completed by the job in {elapsed_ms:.0f} ms"
    )
