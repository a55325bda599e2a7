"""GET /api/audit-logs: the tenant's audit trail, filtered and paginated (admin)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from stocky.cloud.audit.repository import AuditFilter, list_audit_logs
from stocky.cloud.audit.schemas import AuditLogOut, AuditPage
from stocky.cloud.auth.deps import TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.core.errors import BadRequestError

router = APIRouter(prefix="/api", tags=["audit"])
Admin = Annotated[Principal, Depends(require_role("admin"))]


@router.get(
    "/audit-logs",
    summary="Audit trail, newest first",
    response_model_by_alias=True,
)
async def audit_logs(
    actor: Admin,
    session: TenantSession,
    entity_type: Annotated[str | None, Query(max_length=60)] = None,
    entity_id: Annotated[str | None, Query(max_length=80)] = None,
    user_id: uuid.UUID | None = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> AuditPage:
    before_id = None
    if cursor:
        try:
            before_id = uuid.UUID(cursor)
        except ValueError as exc:
            raise BadRequestError("cursor: not a cursor this API gave.", field="cursor") from exc
    where = AuditFilter(entity_type, entity_id, user_id, since, until, before_id)
    rows = await list_audit_logs(session, actor.tenant_id, where, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        items=[AuditLogOut.model_validate(r) for r in rows],
        next_cursor=str(rows[-1].id) if more and rows else None,
    )
