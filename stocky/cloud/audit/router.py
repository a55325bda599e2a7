"""GET /api/audit-logs: the tenant's audit trail, filtered and paginated (admin and owner;
a manager is refused: entries are not reliably one sede's, see the repository)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from stocky.cloud.audit.repository import AuditFilter, list_audit_logs
from stocky.cloud.audit.schemas import AuditLogOut, AuditPage
from stocky.cloud.auth.deps import TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory.repository import sede_exists
from stocky.core.errors import BadRequestError, NotFoundError, error_responses

router = APIRouter(prefix="/api", tags=["audit"])
Admin = Annotated[Principal, Depends(require_role("admin"))]


@router.get(
    "/audit-logs",
    summary="Audit trail, newest first (cursor: the last page's next_cursor)",
    response_model_by_alias=True,
    responses=error_responses(401, 403, 404, 422),
)
async def audit_logs(
    actor: Admin,
    session: TenantSession,
    entity_type: Annotated[str | None, Query(max_length=60)] = None,
    entity_id: Annotated[str | None, Query(max_length=80)] = None,
    user_id: Annotated[uuid.UUID | None, Query(description="Who did it (a user)")] = None,
    device_id: Annotated[uuid.UUID | None, Query(description="Who did it (a caja)")] = None,
    sede_id: Annotated[
        uuid.UUID | None,
        Query(description="Done by a caja or a user of this sede, or to the sede itself"),
    ] = None,
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
    if sede_id is not None and not await sede_exists(session, actor.tenant_id, sede_id):
        raise NotFoundError("No such sede.", field="sede_id")
    where = AuditFilter(
        entity_type, entity_id, user_id, device_id, sede_id, since, until, before_id
    )
    rows = await list_audit_logs(session, actor.tenant_id, where, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        items=[AuditLogOut.model_validate(r) for r in rows],
        next_cursor=str(rows[-1].id) if more and rows else None,
    )
