"""Plain factory functions for cloud tests: tenants, sedes, users, products, tokens.

Rows are inserted as the application role inside a transaction scoped to the tenant, the
same way the API writes them (RLS applies).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI

from stocky.cloud.auth.tokens import issue_access_token
from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.models import Product, Sede, User
from stocky.cloud.tenants.service import create_tenant
from stocky.core.ids import new_id


@dataclass(frozen=True)
class Actor:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    sede_id: uuid.UUID | None = None


async def create_tenant_with_owner(sm: SessionMaker, name: str = "Tienda") -> Actor:
    async with sm() as session, session.begin():
        created = await create_tenant(
            session,
            name=name,
            owner_email=f"owner-{uuid.uuid4().hex[:8]}@example.co",
            owner_password="correct horse battery",
        )
    return Actor(created.tenant.id, created.owner.id, "owner")


async def create_sede(sm: SessionMaker, tenant_id: uuid.UUID, name: str | None = None) -> uuid.UUID:
    sede_id = new_id()
    async with tenant_transaction(sm, tenant_id) as session:
        session.add(Sede(tenant_id=tenant_id, id=sede_id, name=name or f"Sede {sede_id.hex[-6:]}"))
    return sede_id


async def create_user(
    sm: SessionMaker, tenant_id: uuid.UUID, role: str, sede_id: uuid.UUID | None = None
) -> Actor:
    user_id = new_id()
    async with tenant_transaction(sm, tenant_id) as session:
        session.add(
            User(
                tenant_id=tenant_id,
                id=user_id,
                sede_id=sede_id,
                email=f"{role}-{user_id.hex[-8:]}@example.co",
                name=role.title(),
                password_hash="not-used",
                role=role,
            )
        )
    return Actor(tenant_id, user_id, role, sede_id)


async def create_product(sm: SessionMaker, tenant_id: uuid.UUID, **overrides: Any) -> Product:
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "id": new_id(),
        "sku": f"SKU-{uuid.uuid4().hex[:8]}",
        "name": "Arroz Diana 500 g",
        "price": Decimal("2500.00"),
    }
    values |= overrides
    async with tenant_transaction(sm, tenant_id) as session:
        product = Product(**values)
        session.add(product)
        await session.flush()
        await session.refresh(product)
    return product


def token_for(app: FastAPI, actor: Actor) -> dict[str, str]:
    """Authorization headers for the actor, signed with the app's key ring."""
    token, _ = issue_access_token(
        app.state.keys,
        user_id=actor.user_id,
        tenant_id=actor.tenant_id,
        sede_id=actor.sede_id,
        role=actor.role,
        ttl=timedelta(minutes=15),
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Shop:
    """A tenant with one sede and one user of each role, ready to call the API."""

    tenant_id: uuid.UUID
    sede_id: uuid.UUID
    owner: dict[str, str]
    admin: dict[str, str]
    manager: dict[str, str]
    cashier: dict[str, str]


async def create_shop(app: FastAPI, name: str = "Tienda") -> Shop:
    sm: SessionMaker = app.state.sessionmaker
    owner = await create_tenant_with_owner(sm, name)
    sede_id = await create_sede(sm, owner.tenant_id, "Centro")
    users = {
        role: await create_user(sm, owner.tenant_id, role, sede_id)
        for role in ("admin", "manager", "cashier")
    }
    return Shop(
        tenant_id=owner.tenant_id,
        sede_id=sede_id,
        owner=token_for(app, owner),
        admin=token_for(app, users["admin"]),
        manager=token_for(app, users["manager"]),
        cashier=token_for(app, users["cashier"]),
    )


@dataclass(frozen=True)
class Caja:
    """A device (caja) registered under a sede, with its credential's auth headers."""

    tenant_id: uuid.UUID
    sede_id: uuid.UUID
    device_id: uuid.UUID
    headers: dict[str, str]


async def create_device(sm: SessionMaker, tenant_id: uuid.UUID, sede_id: uuid.UUID) -> Caja:
    from stocky.cloud.auth.service import new_device_credential, sha256_hex
    from stocky.cloud.models import Device

    device_id = new_id()
    credential = new_device_credential(tenant_id, device_id)
    async with tenant_transaction(sm, tenant_id) as session:
        session.add(
            Device(
                tenant_id=tenant_id,
                id=device_id,
                sede_id=sede_id,
                name=f"Caja {device_id.hex[-4:]}",
                credential_hash=sha256_hex(credential),
            )
        )
    return Caja(tenant_id, sede_id, device_id, {"Authorization": f"Bearer {credential}"})
