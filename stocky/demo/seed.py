"""The demo tenant, set up through the cloud's public API like an owner would.

A business with two sedes, a cashier per sede, the demo catalog (one CSV import), opening
stock at both sedes, and an activation code per caja (two at the first sede).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from stocky.demo.catalog import DemoProduct, catalog_csv, demo_catalog

OWNER_EMAIL = "owner@demo.stocky.co"
OWNER_PASSWORD = "stocky-demo-2024"
CASHIER_PASSWORD = "cajero-demo-2024"
SEDE_NAMES = ("Sede Centro", "Sede Norte")
CAJAS_AT_FIRST_SEDE = 2


class SeedError(RuntimeError):
    """The cloud refused a step of the setup; the message names the step."""


@dataclass(frozen=True)
class DemoSede:
    id: str
    name: str
    cashier_email: str
    # One per caja: the first sede gets two cajas, which sync over the LAN.
    activation_codes: tuple[str, ...]


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    owner_email: str
    owner_password: str
    cashier_password: str
    sedes: list[DemoSede]
    products: list[DemoProduct]


def _ok(response: httpx.Response, step: str) -> Any:
    if response.status_code >= 300:
        raise SeedError(f"{step}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()


def opening_quantity(rng: random.Random) -> Decimal:
    return Decimal(rng.randrange(20, 120))


async def seed_tenant(cloud: httpx.AsyncClient) -> DemoTenant:
    """Create the demo business; `cloud` has the cloud's base URL."""
    signup = _ok(
        await cloud.post(
            "/api/signup",
            json={
                "tenant_name": "Mercados La Esquina (demo)",
                "email": OWNER_EMAIL,
                "password": OWNER_PASSWORD,
            },
        ),
        "signup",
    )
    owner = {"Authorization": f"Bearer {signup['tokens']['access_token']}"}
    products = demo_catalog()
    report = _ok(
        await cloud.post(
            "/api/products/import",
            content=catalog_csv(products).encode(),
            headers={**owner, "Content-Type": "text/csv"},
        ),
        "catalog import",
    )
    if report.get("errors"):
        raise SeedError(f"catalog import: {report['errors'][:3]}")
    rng = random.Random(7)
    sedes = []
    for n, name in enumerate(SEDE_NAMES, start=1):
        sede = _ok(await cloud.post("/api/sedes", json={"name": name}, headers=owner), name)
        email = f"cajero{n}@demo.stocky.co"
        _ok(
            await cloud.post(
                "/api/users",
                json={
                    "email": email,
                    "name": f"Cajero {name.removeprefix('Sede ')}",
                    "password": CASHIER_PASSWORD,
                    "role": "cashier",
                    "sede_id": sede["id"],
                },
                headers=owner,
            ),
            f"cashier of {name}",
        )
        lines = [{"sku": p.sku, "quantity": str(opening_quantity(rng))} for p in products]
        opening = _ok(
            await cloud.post(
                f"/api/inventory/{sede['id']}/opening",
                json={"lines": lines, "note": "Inventario inicial (demo)"},
                headers=owner,
            ),
            f"opening stock of {name}",
        )
        if opening.get("errors"):
            raise SeedError(f"opening stock of {name}: {opening['errors'][:3]}")
        codes = [
            _ok(
                await cloud.post(f"/api/sedes/{sede['id']}/activation-codes", headers=owner),
                f"activation code of {name}",
            )["code"]
            for _ in range(CAJAS_AT_FIRST_SEDE if n == 1 else 1)
        ]
        sedes.append(DemoSede(sede["id"], name, email, tuple(codes)))
    return DemoTenant(
        tenant_id=signup["tenant"]["id"],
        owner_email=OWNER_EMAIL,
        owner_password=OWNER_PASSWORD,
        cashier_password=CASHIER_PASSWORD,
        sedes=sedes,
        products=products,
    )


async def owner_headers(cloud: httpx.AsyncClient) -> dict[str, str]:
    """A fresh owner token (access tokens are short-lived)."""
    answer = _ok(
        await cloud.post(
            "/api/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
        ),
        "owner login",
    )
    return {"Authorization": f"Bearer {answer['access_token']}"}
