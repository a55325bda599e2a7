"""Local API: login, logout, product lookup, status."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field

from stocky.core.errors import NotFoundError, UnauthorizedError
from stocky.edge.api.deps import (
    SQLITE_MAX_INT,
    CurrentUser,
    SettingsDep,
    StoreDep,
    bearer_token,
    idle_timeout,
)
from stocky.edge.auth.session import create_session, end_session, hash_token
from stocky.edge.auth.throttle import check_login
from stocky.edge.inventory import queries
from stocky.edge.inventory.queries import Stocked
from stocky.edge.inventory.schemas import Strict
from stocky.edge.store.timestamps import to_iso
from stocky.edge.sync.status import caja_status

router = APIRouter(tags=["caja"])


class LoginIn(Strict):
    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class LoginOut(BaseModel):
    # The cloud's words (OAuth2's): `access_token` and `token_type`, so one client reads both.
    token_type: Literal["bearer"] = "bearer"
    access_token: str
    expires_at: str
    user: dict[str, str]
    token: str = Field(
        deprecated=True,
        description="Deprecated duplicate of access_token, kept one release for older clients.",
    )


class ProductOut(BaseModel):
    id: str
    sku: str
    name: str
    barcode: str | None
    category: str | None
    price: Decimal
    tax_rate: Decimal
    unit: str
    active: bool
    version: int
    quantity: Decimal


class ProductPage(BaseModel):
    items: list[ProductOut]
    limit: int
    offset: int


@router.post("/login")
async def login(body: LoginIn, store: StoreDep, settings: SettingsDep) -> LoginOut:
    # Throttled per email and overall (429); argon2 runs on a reader thread, never the writer.
    user = await check_login(store, body.email, body.password)
    if user is None:
        raise UnauthorizedError("wrong email or password")
    now = datetime.now(UTC)
    idle = idle_timeout(settings)
    token, expires = await store.awrite(
        lambda conn: create_session(conn, user["id"], now=now, idle=idle)
    )
    return LoginOut(
        access_token=token,
        token=token,
        expires_at=to_iso(expires),
        user={"id": user["id"], "name": user["name"], "role": user["role"]},
    )


@router.post("/logout", status_code=204)
async def logout(
    user: CurrentUser, store: StoreDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    token_hash = hash_token(bearer_token(authorization))
    await store.awrite(lambda conn: end_session(conn, token_hash))


def _product_out(stocked: Stocked) -> ProductOut:
    r = stocked.product
    return ProductOut(
        **stocked.shown(),
        category=r["category"],
        active=bool(r["active"]),
        version=r["version"],
    )


@router.get("/products")
async def products(
    user: CurrentUser,
    store: StoreDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    barcode: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=SQLITE_MAX_INT)] = 0,
) -> ProductPage:
    """By barcode (404 when unknown), by text (FTS5, every word as a prefix), or by name."""

    def find(conn: sqlite3.Connection) -> list[Stocked]:
        if barcode is not None:
            found = queries.product_with_barcode(conn, barcode)
            if found is None:
                raise NotFoundError(f"barcode: no product has barcode {barcode}", field="barcode")
            return [found]
        if q is not None and q.strip():
            return queries.search(conn, q, limit=limit, offset=offset)
        return queries.active_products(conn, limit=limit, offset=offset)

    items = [_product_out(stocked) for stocked in await store.aread(find)]
    return ProductPage(items=items, limit=limit, offset=offset)


@router.get("/status")
async def status(store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    threshold = settings.clock_skew_threshold_seconds
    return await store.aread(lambda conn: caja_status(conn, clock_skew_threshold_s=threshold))
