"""/api/sales: a sale found by its printed receipt number (cajas and users of the sede)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stocky.cloud.auth.deps import CallerTenantSession, CurrentCaller
from stocky.cloud.sales import service
from stocky.core.errors import error_responses
from stocky.core.sale_lookup import SaleLookup

router = APIRouter(prefix="/api/sales", tags=["sales"])


@router.get(
    "/lookup",
    summary="A sale of the caller's sede by its receipt number (for a return at another caja)",
    responses=error_responses(401, 404, 422),
)
async def lookup(
    caller: CurrentCaller,
    session: CallerTenantSession,
    receipt: Annotated[str, Query(min_length=1, max_length=40, description="C01-000042")],
) -> SaleLookup:
    return await service.lookup_sale(session, caller, receipt)
