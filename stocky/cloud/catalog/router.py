"""/api/products: the tenant's catalog. Managers and above edit; every role reads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import Response

from stocky.cloud.auth.deps import CurrentUser, TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.catalog import csv_import, images, service
from stocky.cloud.catalog.schemas import (
    ImportReport,
    ProductCreate,
    ProductOut,
    ProductPage,
    ProductUpdate,
)
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.cloud.kit.uploads import read_upload
from stocky.cloud.storage.router import StorageDep

router = APIRouter(prefix="/api/products", tags=["products"])
Editor = Annotated[Principal, Depends(require_role("manager"))]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("", summary="List products: search by name, SKU or barcode; filter by category")
async def list_products(
    user: CurrentUser,
    session: TenantSession,
    storage: StorageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=120)] = None,
    active: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Limit = DEFAULT_PAGE,
) -> ProductPage:
    page = await service.list_products(
        session, user, q=q, category=category, active=active, cursor=cursor, limit=limit
    )
    return images.page_with_urls(page, storage)


@router.post("", status_code=201, summary="Create a product")
async def create_product(
    user: Editor, session: TenantSession, storage: StorageDep, body: ProductCreate
) -> ProductOut:
    return images.with_url(await service.create_product(session, user, body), storage)


@router.get(
    "/export",
    summary="The whole catalog as CSV (imports back unchanged)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_products(
    user: CurrentUser,
    session: TenantSession,
    excel: Annotated[bool, Query(description="';', decimal commas and a BOM")] = False,
) -> Response:
    text = await csv_import.export_csv(session, user, excel=excel)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="productos.csv"'},
    )


@router.post(
    "/import",
    summary="Create or update products by SKU from a CSV file",
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            }
        }
    },
)
async def import_products(
    request: Request,
    user: Editor,
    session: TenantSession,
    dry_run: bool = False,
) -> ImportReport:
    data = await read_upload(request)
    return await csv_import.import_catalog(session, user, data, dry_run=dry_run)


@router.get("/{product_id}", summary="One product")
async def get_product(
    user: CurrentUser, session: TenantSession, storage: StorageDep, product_id: uuid.UUID
) -> ProductOut:
    return images.with_url(await service.get_product(session, user, product_id), storage)


@router.patch("/{product_id}", summary="Edit a product (carries the version it was based on)")
async def update_product(
    user: Editor,
    session: TenantSession,
    storage: StorageDep,
    product_id: uuid.UUID,
    body: ProductUpdate,
) -> ProductOut:
    return images.with_url(await service.update_product(session, user, product_id, body), storage)


@router.put("/{product_id}", include_in_schema=False)
async def replace_product(
    user: Editor,
    session: TenantSession,
    storage: StorageDep,
    product_id: uuid.UUID,
    body: ProductUpdate,
) -> ProductOut:
    return images.with_url(await service.update_product(session, user, product_id, body), storage)


@router.delete("/{product_id}", summary="Deactivate a product (never deleted)")
async def deactivate_product(
    user: Editor,
    session: TenantSession,
    storage: StorageDep,
    product_id: uuid.UUID,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> ProductOut:
    out = await service.deactivate_product(session, user, product_id, version)
    return images.with_url(out, storage)


@router.put(
    "/{product_id}/image",
    summary="Upload the product's image (JPEG, PNG or WebP), replacing any",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "image/*": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def put_product_image(
    request: Request,
    user: Editor,
    session: TenantSession,
    storage: StorageDep,
    tasks: BackgroundTasks,
    product_id: uuid.UUID,
    version: Annotated[int | None, Query(ge=1, description="Refuse (409) if it moved on")] = None,
) -> ProductOut:
    data = await images.read_image(request, request.app.state.settings.max_image_bytes)
    out = await images.set_image(session, user, storage, tasks, product_id, data, version)
    return images.with_url(out, storage)


@router.delete("/{product_id}/image", status_code=204, summary="Remove the product's image")
async def delete_product_image(
    user: Editor,
    session: TenantSession,
    storage: StorageDep,
    tasks: BackgroundTasks,
    product_id: uuid.UUID,
    version: Annotated[int | None, Query(ge=1, description="Refuse (409) if it moved on")] = None,
) -> Response:
    await images.remove_image(session, user, storage, tasks, product_id, version)
    return Response(status_code=204)
