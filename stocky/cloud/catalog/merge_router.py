"""POST /api/catalog/products/merge: merge duplicate products into one (admins and owners).

The same service the AI review's accepted merge calls (stocky.cloud.catalog.merge).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from stocky.cloud.auth.deps import TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.catalog.merge import merge_products
from stocky.core.errors import error_responses

router = APIRouter(prefix="/api/catalog/products", tags=["products"])
# Merging moves stock between products and cannot be undone: above a manager's edits.
Merger = Annotated[Principal, Depends(require_role("admin"))]


class MergeIn(BaseModel):
    survivor_id: uuid.UUID
    merged_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)


class MergeOut(BaseModel):
    survivor_id: uuid.UUID
    merged_ids: list[uuid.UUID]
    movements: int = Field(description="Movements re-pointed to the survivor")
    stock_rows: int = Field(description="Stock rows (sede, merged product) added to it")
    transfer_lines: int = Field(description="Open transfer lines moved to it")
    barcodes: list[str] = Field(description="Barcodes the survivor took")


@router.post(
    "/merge",
    summary="Merge duplicates into one product: movements, stock per sede, open transfer"
    " lines and barcodes move to it, the others are deactivated",
    responses=error_responses(403, 409, 422),
)
async def merge(user: Merger, session: TenantSession, body: MergeIn) -> MergeOut:
    result = await merge_products(
        session,
        tenant_id=user.tenant_id,
        survivor_id=body.survivor_id,
        merged_ids=body.merged_ids,
        actor_user_id=user.user_id,
    )
    return MergeOut(
        survivor_id=result.survivor_id,
        merged_ids=result.merged_ids,
        movements=result.movements,
        stock_rows=result.stock_rows,
        transfer_lines=result.transfer_lines,
        barcodes=result.barcodes,
    )
