"""The mutating routes of the cloud, each with a call that succeeds and who must hear it.

Used by tests/cloud/test_change_notices.py. A setup runs before the cajas listen, so what
it writes is not heard.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.models import AiRun, AiSuggestion, Customer, Finding, Inventory, Product, User
from stocky.edge.lan.identity import make_key_and_csr
from tests.cloud.factories import create_device, create_product, create_sede, create_user
from tests.cloud.realtime.world import RealtimeWorld
from tests.cloud.sync.ops import entry_op

PASSWORD = "correct horse battery"  # the owner's, from tests.cloud.factories


@dataclass
class Ctx:
    http: httpx.AsyncClient
    world: RealtimeWorld
    sm: SessionMaker
    found: dict[str, Any] = field(default_factory=dict)  # what a case's setup made


Call = Callable[[Ctx], Awaitable[httpx.Response]]
Setup = Callable[[Ctx], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # the route's path template, as the app lists it
    heard_by: str  # "every sede", "its sede" (centro) or "nobody"
    call: Call
    setup: Setup | None = None
    why: str = ""  # for "nobody": why the route changes no synced data
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.label if self.label else ''}"


def _owner(c: Ctx) -> dict[str, str]:
    return c.world.owner


# --- setups (run before the cajas listen, so what they write is not heard) --------------


async def _owner_email(c: Ctx) -> None:
    async with tenant_transaction(c.sm, c.world.tenant_id) as session:
        owner = (await session.execute(select(User).where(User.role == "owner"))).scalar_one()
    c.found["email"], c.found["owner"] = owner.email, owner.id


async def _owner_pin(c: Ctx) -> None:
    await _owner_email(c)
    response = await _set_pin(c)
    assert response.status_code == 204, response.text


def _set_pin(c: Ctx) -> Awaitable[httpx.Response]:
    return c.http.put(
        "/api/users/me/pin", json={"pin": "4821", "password": PASSWORD}, headers=_owner(c)
    )


async def _logged_in(c: Ctx) -> None:
    await _owner_email(c)
    response = await c.http.post(
        "/api/auth/login", json={"email": c.found["email"], "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    c.found["refresh_token"] = response.json()["refresh_token"]


async def _a_cashier(c: Ctx) -> None:
    c.found["user"] = (
        await create_user(c.sm, c.world.tenant_id, "cashier", c.world.centro)
    ).user_id


async def _a_third_sede(c: Ctx) -> None:
    c.found["sede"] = await create_sede(c.sm, c.world.tenant_id, "Sur")


async def _a_third_caja(c: Ctx) -> None:
    c.found["device"] = (await create_device(c.sm, c.world.tenant_id, c.world.centro)).device_id


async def _a_code(c: Ctx) -> None:
    response = await c.http.post(
        f"/api/sedes/{c.world.centro}/activation-codes", json={}, headers=_owner(c)
    )
    assert response.status_code == 201, response.text
    c.found["code"] = response.json()["code"]


async def _a_customer(c: Ctx) -> None:
    async with tenant_transaction(c.sm, c.world.tenant_id) as session:
        customer = Customer(tenant_id=c.world.tenant_id, id=uuid.uuid4(), name="Ana Gómez")
        session.add(customer)
    c.found["customer"] = customer.id


def caja_body(caja: Any, ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sede_id": str(caja.sede_id), "device_id": str(caja.device_id), "operations": ops}


def _product_edit_op(c: Ctx) -> dict[str, Any]:
    rice = c.world.rice
    return {
        "op_id": str(uuid.uuid4()),
        "kind": "product.upsert",
        "entity_id": str(rice.id),
        "base_version": rice.version,
        "client_ts": datetime.now(UTC).isoformat(),
        "payload": {"id": str(rice.id), "sku": rice.sku, "name": "Arroz (caja)", "price": "2600"},
    }


async def _push(c: Ctx, ops: list[dict[str, Any]]) -> httpx.Response:
    caja = c.world.caja
    return await c.http.post("/api/sync/push", json=caja_body(caja, ops), headers=caja.headers)


def _entry(c: Ctx) -> dict[str, Any]:
    return entry_op(c.world.rice.id, "3")


CASES: list[Case] = [
    # users, sedes and the catalog are the whole tenant's: every sede pulls them
    Case(
        "POST",
        "/api/users",
        "every sede",
        lambda c: c.http.post(
            "/api/users",
            json={
                "email": "nueva@example.co",
                "name": "Nueva",
                "password": PASSWORD,
                "role": "admin",
            },
            headers=_owner(c),
        ),
    ),
    Case(
        "PATCH",
        "/api/users/{user_id}",
        "every sede",
        lambda c: c.http.patch(
            f"/api/users/{c.found['user']}", json={"name": "Otro nombre"}, headers=_owner(c)
        ),
        setup=_a_cashier,
    ),
    Case(
        "DELETE",
        "/api/users/{user_id}",
        "every sede",
        lambda c: c.http.delete(f"/api/users/{c.found['user']}", headers=_owner(c)),
        setup=_a_cashier,
    ),
    Case("PUT", "/api/users/me/pin", "every sede", _set_pin),
    Case(
        "DELETE",
        "/api/users/me/pin",
        "every sede",
        lambda c: c.http.delete("/api/users/me/pin", headers=_owner(c)),
        setup=_owner_pin,
    ),
    Case(
        "DELETE",
        "/api/users/{user_id}/pin",
        "every sede",
        lambda c: c.http.delete(f"/api/users/{c.found['owner']}/pin", headers=_owner(c)),
        setup=_owner_pin,
    ),
    Case(
        "POST",
        "/api/sedes",
        "every sede",
        lambda c: c.http.post("/api/sedes", json={"name": "Sur"}, headers=_owner(c)),
    ),
    Case(
        "PATCH",
        "/api/sedes/{sede_id}",
        "every sede",
        lambda c: c.http.patch(
            f"/api/sedes/{c.world.centro}", json={"name": "Centro 2"}, headers=_owner(c)
        ),
    ),
    Case(
        "DELETE",
        "/api/sedes/{sede_id}",
        "every sede",
        lambda c: c.http.delete(f"/api/sedes/{c.found['sede']}", headers=_owner(c)),
        setup=_a_third_sede,
    ),
    Case(
        "POST",
        "/api/products",
        "every sede",
        lambda c: c.http.post(
            "/api/products",
            json={"sku": "FRJ-1", "name": "Fríjol 500 g", "price": "4200"},
            headers=_owner(c),
        ),
    ),
    Case(
        "POST",
        "/api/products/import",
        "every sede",
        lambda c: c.http.post(
            "/api/products/import",
            content=b"sku,name,price\nFRJ-1,Frijol 500 g,4200\n",
            headers={**_owner(c), "Content-Type": "text/csv"},
        ),
    ),
    Case(
        "PATCH",
        "/api/products/{product_id}",
        "every sede",
        lambda c: c.http.patch(
            f"/api/products/{c.world.rice.id}",
            json={"name": "Arroz Diana", "version": c.world.rice.version},
            headers=_owner(c),
        ),
    ),
    Case(
        "PUT",
        "/api/products/{product_id}",
        "every sede",
        lambda c: c.http.put(
            f"/api/products/{c.world.rice.id}",
            json={"name": "Arroz Diana", "version": c.world.rice.version},
            headers=_owner(c),
        ),
    ),
    Case(
        "DELETE",
        "/api/products/{product_id}",
        "every sede",
        lambda c: c.http.delete(f"/api/products/{c.world.rice.id}", headers=_owner(c)),
    ),
    Case(
        "POST",
        "/api/customers",
        "every sede",
        lambda c: c.http.post("/api/customers", json={"name": "Ana"}, headers=_owner(c)),
    ),
    Case(
        "PATCH",
        "/api/customers/{customer_id}",
        "every sede",
        lambda c: c.http.patch(
            f"/api/customers/{c.found['customer']}", json={"phone": "3001234567"}, headers=_owner(c)
        ),
        setup=_a_customer,
    ),
    # stock, cajas and a caja's documents are one sede's
    Case(
        "PUT",
        "/api/inventory/{sede_id}/{product_id}/thresholds",
        "its sede",
        lambda c: c.http.put(
            f"/api/inventory/{c.world.centro}/{c.world.rice.id}/thresholds",
            json={"min_stock": "2", "max_stock": "20"},
            headers=_owner(c),
        ),
    ),
    Case(
        "POST",
        "/api/inventory/{sede_id}/opening",
        "its sede",
        lambda c: c.http.post(
            f"/api/inventory/{c.world.centro}/opening",
            json={"lines": [{"product_id": str(c.world.rice.id), "quantity": "12"}]},
            headers=_owner(c),
        ),
    ),
    Case(
        "POST",
        "/api/inventory/{sede_id}/opening/import",
        "its sede",
        lambda c: c.http.post(
            f"/api/inventory/{c.world.centro}/opening/import",
            content=f"sku,quantity\n{c.world.rice.sku},12\n".encode(),
            headers={**_owner(c), "Content-Type": "text/csv"},
        ),
    ),
    Case(
        "POST",
        "/api/activate",
        "its sede",
        lambda c: c.http.post(
            "/api/activate", json={"code": c.found["code"], "device_name": "Caja 3"}
        ),
        setup=_a_code,
    ),
    Case(
        "POST",
        "/api/devices/{device_id}/revoke",
        "its sede",
        lambda c: c.http.post(f"/api/devices/{c.found['device']}/revoke", headers=_owner(c)),
        setup=_a_third_caja,
    ),
    Case("POST", "/api/sync/push", "its sede", lambda c: _push(c, [_entry(c)]), label="a sale"),
    Case(
        "POST",
        "/api/sync/push",
        "every sede",
        lambda c: _push(c, [_entry(c), _product_edit_op(c)]),
        label="with a product edit",
    ),
    # nothing synced changes
    Case(
        "POST",
        "/api/auth/login",
        "nobody",
        lambda c: c.http.post(
            "/api/auth/login", json={"email": c.found["email"], "password": PASSWORD}
        ),
        setup=_owner_email,
        why="a refresh token and the user's last login: neither is in the feed",
    ),
    Case(
        "POST",
        "/api/auth/refresh",
        "nobody",
        lambda c: c.http.post(
            "/api/auth/refresh", json={"refresh_token": c.found["refresh_token"]}
        ),
        setup=_logged_in,
        why="rotates a refresh token, which no caja keeps",
    ),
    Case(
        "POST",
        "/api/sedes/{sede_id}/activation-codes",
        "nobody",
        lambda c: c.http.post(
            f"/api/sedes/{c.world.centro}/activation-codes", json={}, headers=_owner(c)
        ),
        why="activation codes stay in the cloud; the caja they activate is the change",
    ),
    Case(
        "POST",
        "/api/sync/pull",
        "nobody",
        lambda c: c.http.post(
            "/api/sync/pull",
            json={"sede_id": str(c.world.centro), "cursor": None},
            headers=c.world.caja.headers,
        ),
        why="reads the feed",
    ),
    Case(
        "POST",
        "/api/sync/refetch",
        "nobody",
        lambda c: c.http.post(
            "/api/sync/refetch",
            json={"sede_id": str(c.world.centro), "table": "products"},
            headers=c.world.caja.headers,
        ),
        why="reads a synced table",
    ),
    Case(
        "PATCH",
        "/api/tenant",
        "nobody",
        lambda c: c.http.patch(
            "/api/tenant", json={"legal_name": "Tienda S.A.S."}, headers=_owner(c)
        ),
        why="the tenant row is not in the feed: a caja hears the receipt's business details "
        "in its next ping answer",
    ),
    Case(
        "POST",
        "/api/sync/ping",
        "nobody",
        lambda c: c.http.post("/api/sync/ping", json={}, headers=c.world.caja.headers),
        why="presence columns (last ping, online) are left out of the feed",
    ),
    Case(
        "POST",
        "/api/sync/lan/lease",
        "nobody",
        lambda c: c.http.post(
            "/api/sync/lan/lease",
            json={
                "sede_id": str(c.world.caja.sede_id),
                "device_id": str(c.world.caja.device_id),
                "epoch": 0,
            },
            headers=c.world.caja.headers,
        ),
        why="the sede's LAN lease is the cajas' own business, asked for, not pulled",
    ),
    Case(
        "POST",
        "/api/sync/lan/certificate",
        "nobody",
        lambda c: c.http.post(
            "/api/sync/lan/certificate",
            json={"csr_pem": make_key_and_csr("caja")[1]},
            headers=c.world.caja.headers,
        ),
        why="the tenant's CA and the caja's certificate are not synced tables",
    ),
]

# Routes that do change synced data, but whose change no caja can hear yet.
UNHEARD: dict[tuple[str, str], str] = {
    ("POST", "/api/signup"): "a new tenant has no sede, so no caja; its first sede's cajas "
    "pull the owner's row when they are activated",
}


# --- the owner's own account and activation codes (issue 14, web admin) ----------------


async def _a_code_id(c: Ctx) -> None:
    response = await c.http.post(
        f"/api/sedes/{c.world.centro}/activation-codes", json={}, headers=_owner(c)
    )
    assert response.status_code == 201, response.text
    c.found["code_id"] = response.json()["id"]


CASES += [
    Case(
        "PUT",
        "/api/users/me/password",
        "every sede",
        lambda c: c.http.put(
            "/api/users/me/password",
            json={"current_password": PASSWORD, "new_password": "another good secret"},
            headers=_owner(c),
        ),
    ),
    Case(
        "PATCH",
        "/api/users/me",
        "every sede",
        lambda c: c.http.patch("/api/users/me", json={"name": "La dueña"}, headers=_owner(c)),
    ),
    Case(
        "POST",
        "/api/auth/logout",
        "nobody",
        lambda c: c.http.post("/api/auth/logout", json={"refresh_token": c.found["refresh_token"]}),
        setup=_logged_in,
        why="revokes a refresh token, which no caja keeps",
    ),
    Case(
        "DELETE",
        "/api/sedes/{sede_id}/activation-codes/{code_id}",
        "nobody",
        lambda c: c.http.delete(
            f"/api/sedes/{c.world.centro}/activation-codes/{c.found['code_id']}",
            headers=_owner(c),
        ),
        setup=_a_code_id,
        why="activation codes stay in the cloud; an unused one activated nothing",
    ),
]


# --- product images (stocky/cloud/catalog/images.py) -------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(32))


def _put_image(c: Ctx, data: bytes = PNG) -> Awaitable[httpx.Response]:
    return c.http.put(
        f"/api/products/{c.world.rice.id}/image",
        files={"file": ("arroz.png", data, "image/png")},
        headers=_owner(c),
    )


async def _rice_has_an_image(c: Ctx) -> None:
    response = await _put_image(c, PNG + b"setup")
    assert response.status_code == 200, response.text


CASES += [
    Case("PUT", "/api/products/{product_id}/image", "every sede", _put_image),
    Case(
        "DELETE",
        "/api/products/{product_id}/image",
        "every sede",
        lambda c: c.http.delete(f"/api/products/{c.world.rice.id}/image", headers=_owner(c)),
        setup=_rice_has_an_image,
    ),
]


# --- transfers (issue 15): fed to both sedes; the job (not run by this server) is another
# transaction with its own notice --------------------------------------------------------


async def _both_online(c: Ctx) -> None:
    for caja in (c.world.caja, c.world.caja_norte):
        response = await c.http.post("/api/sync/ping", json={}, headers=caja.headers)
        assert response.status_code == 200, response.text


def _request_transfer(c: Ctx) -> Awaitable[httpx.Response]:
    body = {
        "from_sede_id": str(c.world.centro),
        "to_sede_id": str(c.world.norte),
        "lines": [{"product_id": str(c.world.rice.id), "quantity": "1"}],
    }
    return c.http.post("/api/transfers/request", json=body, headers=_owner(c))


async def _a_pending_transfer(c: Ctx) -> None:
    await _both_online(c)
    response = await _request_transfer(c)
    assert response.status_code == 201, response.text
    c.found["transfer"] = response.json()["id"]


def _decide(action: str, body: dict[str, Any]) -> Call:
    def call(c: Ctx) -> Awaitable[httpx.Response]:
        return c.http.post(
            f"/api/transfers/{c.found['transfer']}/{action}", json=body, headers=_owner(c)
        )

    return call


CASES += [
    Case("POST", "/api/transfers/request", "every sede", _request_transfer, setup=_both_online),
    Case(
        "POST",
        "/api/transfers/{transfer_id}/approve",
        "every sede",
        _decide("approve", {}),
        setup=_a_pending_transfer,
    ),
    Case(
        "POST",
        "/api/transfers/{transfer_id}/reject",
        "every sede",
        _decide("reject", {"reason": "no hay"}),
        setup=_a_pending_transfer,
    ),
    Case(
        "POST",
        "/api/transfers/{transfer_id}/cancel",
        "every sede",
        _decide("cancel", {}),
        setup=_a_pending_transfer,
    ),
]


# --- reconciliation (issue 17): findings are not in the change feed; a correction writes a
# movement and touches the stock row, which the sede's cajas pull -------------------------


async def _a_finding(c: Ctx, kind: str, *, drift: bool = False) -> None:
    """A finding as the checks record it, on centro's rice (with a real drift if asked)."""
    await _push(c, [_entry(c)])  # a stock row for rice at centro: 5 units, one movement
    async with tenant_transaction(c.sm, c.world.tenant_id) as session:
        if drift:
            await session.execute(
                update(Inventory)
                .where(Inventory.sede_id == c.world.centro)
                .where(Inventory.product_id == c.world.rice.id)
                .values(quantity=Inventory.quantity + 2)
            )
        finding = Finding(
            tenant_id=c.world.tenant_id,
            kind=kind,
            sede_id=c.world.centro,
            subject=f"{c.world.centro}:{c.world.rice.id}",
            details={"product_id": str(c.world.rice.id), "difference": "2"},
        )
        session.add(finding)
        await session.flush()
        c.found["finding"] = finding.id


async def _a_drift(c: Ctx) -> None:
    await _a_finding(c, "stock_drift", drift=True)


async def _a_skew(c: Ctx) -> None:
    await _a_finding(c, "clock_skew")


CASES += [
    Case(
        "POST",
        "/api/reconciliation/stock/run",
        "nobody",
        lambda c: c.http.post("/api/reconciliation/stock/run", headers=_owner(c)),
        why="queues the checks as a job; findings are no synced data",
    ),
    Case(
        "POST",
        "/api/reconciliation/{finding_id}/acknowledge",
        "nobody",
        lambda c: c.http.post(
            f"/api/reconciliation/{c.found['finding']}/acknowledge",
            json={"note": "visto"},
            headers=_owner(c),
        ),
        setup=_a_skew,
        why="a finding's status is no synced data",
    ),
    Case(
        "POST",
        "/api/reconciliation/{finding_id}/correct",
        "its sede",
        lambda c: c.http.post(
            f"/api/reconciliation/{c.found['finding']}/correct", json={}, headers=_owner(c)
        ),
        setup=_a_drift,
    ),
]


# --- the catalog normalizer (issue 18): runs and suggestions are not in the change feed;
# accepting a rename edits the product through the versioned update, which every sede pulls


async def _a_suggestion(c: Ctx) -> None:
    """A pending rename of rice, as a finished run stores it."""
    async with tenant_transaction(c.sm, c.world.tenant_id) as session:
        rice = (
            await session.execute(select(Product).where(Product.id == c.world.rice.id))
        ).scalar_one()
        run = AiRun(tenant_id=c.world.tenant_id, provider="local", status="done")
        session.add(run)
        await session.flush()
        suggestion = AiSuggestion(
            tenant_id=c.world.tenant_id,
            run_id=run.id,
            kind="rename",
            product_ids=[rice.id],
            versions={str(rice.id): rice.version},
            proposed={"name": "Arroz Diana 500 g", "category": "Granos"},
            confidence=0.9,
            reasons=["marca Diana"],
        )
        session.add(suggestion)
        await session.flush()
        c.found["suggestion"] = suggestion.id


CASES += [
    Case(
        "POST",
        "/api/ai/normalize",
        "nobody",
        lambda c: c.http.post(
            "/api/ai/normalize",
            json={"product_ids": [str(c.world.rice.id)]},
            headers=_owner(c),
        ),
        why="only suggests; nothing is written",
    ),
    Case(
        "PUT",
        "/api/ai/settings",
        "nobody",
        lambda c: c.http.put("/api/ai/settings", json={"provider": "local"}, headers=_owner(c)),
        why="the tenant's normalizer settings are no synced data",
    ),
    Case(
        "POST",
        "/api/ai/runs",
        "nobody",
        lambda c: c.http.post("/api/ai/runs", headers=_owner(c)),
        why="queues a run as a job; its suggestions are no synced data",
    ),
    Case(
        "POST",
        "/api/ai/suggestions/{suggestion_id}/accept",
        "every sede",
        lambda c: c.http.post(
            f"/api/ai/suggestions/{c.found['suggestion']}/accept", headers=_owner(c)
        ),
        setup=_a_suggestion,
    ),
    Case(
        "POST",
        "/api/ai/suggestions/{suggestion_id}/reject",
        "nobody",
        lambda c: c.http.post(
            f"/api/ai/suggestions/{c.found['suggestion']}/reject", headers=_owner(c)
        ),
        setup=_a_suggestion,
        why="a suggestion's status is no synced data",
    ),
    Case(
        "POST",
        "/api/ai/suggestions/bulk",
        "nobody",
        lambda c: c.http.post(
            "/api/ai/suggestions/bulk",
            json={"ids": [str(c.found["suggestion"])], "action": "reject"},
            headers=_owner(c),
        ),
        setup=_a_suggestion,
        why="rejecting changes no synced data",
    ),
]


# --- product merges (issue 18): the merged product's deactivation is catalog (every sede);
# its moved stock rows are each sede's own --------------------------------------------------


async def _a_second_rice(c: Ctx) -> None:
    twin = await create_product(c.sm, c.world.tenant_id, name="Arroz 500g", sku="ARZ-500-B")
    c.found["twin"] = twin.id


CASES += [
    Case(
        "POST",
        "/api/catalog/products/merge",
        "every sede",
        lambda c: c.http.post(
            "/api/catalog/products/merge",
            json={"survivor_id": str(c.world.rice.id), "merged_ids": [str(c.found["twin"])]},
            headers=_owner(c),
        ),
        setup=_a_second_rice,
    ),
]


# --- caja updates (issue 19): a caja's report of how an update went --------------------------

CASES += [
    Case(
        "POST",
        "/api/devices/me/update-reports",
        "nobody",
        lambda c: c.http.post(
            "/api/devices/me/update-reports",
            json={
                "version": "1.3.0",
                "previous_version": "1.2.0",
                "outcome": "rolled_back",
                "reason": "health check: sync refused",
                "happened_at": datetime.now(UTC).isoformat(),
            },
            headers=c.world.caja.headers,
        ),
        why="update reports are for owners to read; no caja pulls them",
    ),
]


# --- caja backups (issue 19 item 5) ----------------------------------------------------------


def _backup_upload(c: Ctx) -> Awaitable[httpx.Response]:
    import hashlib

    data = b"SQLite format 3\x00" + b"\x00" * 4080
    return c.http.post(
        "/api/backups",
        params={
            "sha256": hashlib.sha256(data).hexdigest(),
            "reason": "manual",
            "taken_at": datetime.now(UTC).isoformat(),
        },
        content=data,
        headers={**c.world.caja.headers, "Content-Type": "application/octet-stream"},
    )


CASES += [
    Case(
        "POST",
        "/api/backups",
        "nobody",
        _backup_upload,
        why="a caja's snapshot goes to the object storage and caja_backups, not a synced table",
    ),
]
