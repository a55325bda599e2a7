"""/api/sync: push, pull and ping for cajas (device credential); status for the admin."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from stocky.cloud.auth.deps import (
    CurrentDevice,
    CurrentUser,
    DeviceTenantSession,
    KeyRingDep,
    TenantSession,
)
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.deps import SettingsDep
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.cloud.observability import metrics
from stocky.cloud.realtime.emit import Realtime
from stocky.cloud.reconciliation.hooks import after_push
from stocky.cloud.sync import repository
from stocky.cloud.sync import status as sync_status_service
from stocky.cloud.sync.checksums import refetch_page
from stocky.cloud.sync.logs import SyncLogFilter, list_sync_logs
from stocky.cloud.sync.logs_schemas import LoggedStatus, SyncLogPage
from stocky.cloud.sync.pull import pull_changes
from stocky.cloud.sync.push import push_batch
from stocky.cloud.sync.schemas import PingIn, PingOut, SyncStatusOut
from stocky.core.errors import ForbiddenError, error_responses
from stocky.core.sync import (
    OpKind,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RefetchRequest,
    RefetchResponse,
)

router = APIRouter(prefix="/api/sync", tags=["sync"])


def _own_sede(device: Principal, sede_id: object, device_id: object = None) -> None:
    if sede_id != device.sede_id:
        raise ForbiddenError("sede_id: this caja belongs to another sede", field="sede_id")
    if device_id is not None and device_id != device.device_id:
        raise ForbiddenError("device_id: does not match the caja's credential", field="device_id")


@router.post("/push", summary="Apply a batch of a caja's operations (idempotent by op_id)")
async def push(
    request: Request,
    body: PushRequest,
    device: CurrentDevice,
    session: DeviceTenantSession,
    realtime: Realtime,
) -> PushResponse:
    # The sedes that must pull what this batch applied (its own; all of them when a product
    # edit applied) are told by the transaction itself: see stocky.cloud.realtime.notices.
    _own_sede(device, body.sede_id, body.device_id)
    assert device.device_id is not None
    answer = await push_batch(
        session,
        tenant_id=device.tenant_id,
        sede_id=body.sede_id,
        device_id=device.device_id,
        request=body,
    )
    # A closed shift's Z check, and re-checks of open shift gaps, in this transaction.
    await after_push(
        session,
        request.app.state.jobs,
        device.tenant_id,
        body.sede_id,
        body.operations,
        answer.results,
    )
    if any(r.status in ("rejected", "conflict") for r in answer.results):
        realtime.ops_refused(session, device.tenant_id, body.sede_id)
    for result in answer.results:
        metrics.PUSH_OPS.labels(result.status).inc()
    metrics.SEDE_LAST_CONTACT.labels(str(body.sede_id)).set_to_current_time()
    return answer


@router.post("/pull", summary="The sede's changes after a cursor, in commit order")
async def pull(
    body: PullRequest, device: CurrentDevice, session: DeviceTenantSession
) -> PullResponse:
    _own_sede(device, body.sede_id)
    page = await pull_changes(
        session,
        tenant_id=device.tenant_id,
        sede_id=body.sede_id,
        cursor_token=body.cursor,
        limit=body.limit,
    )
    metrics.PULL_PAGES.inc()
    metrics.PULL_ROWS.inc(len(page.changes))
    metrics.SEDE_LAST_CONTACT.labels(str(body.sede_id)).set_to_current_time()
    return page


@router.post("/refetch", summary="A synced table's current rows, by key (checksum repair)")
async def refetch(
    body: RefetchRequest, device: CurrentDevice, session: DeviceTenantSession
) -> RefetchResponse:
    _own_sede(device, body.sede_id)
    if body.after is None:  # the first page of a re-fetch: the caja's copy had diverged
        metrics.CHECKSUM_DIVERGENCES.labels(body.table).inc()
    return await refetch_page(
        session,
        tenant_id=device.tenant_id,
        sede_id=body.sede_id,
        device_id=device.device_id,
        epoch=await repository.server_epoch(session),
        table=body.table,
        after=body.after,
        limit=body.limit,
    )


@router.post("/ping", summary="Heartbeat: marks the sede online, measures clock offset")
async def ping(
    body: PingIn,
    device: CurrentDevice,
    session: DeviceTenantSession,
    keys: KeyRingDep,
    realtime: Realtime,
) -> PingOut:
    outbox = None if body.pending_ops is None else (body.pending_ops, body.stuck_ops)
    answer, came_online = await sync_status_service.ping(session, device, body.client_now, outbox)
    if device.sede_id is not None:
        metrics.SEDE_LAST_CONTACT.labels(str(device.sede_id)).set_to_current_time()
    if came_online and device.sede_id is not None:
        realtime.sede_online(session, device.tenant_id, device.sede_id, answer.server_time)
    return answer.model_copy(update={"signing_keys": [k.kid for k in keys.keys]})


@router.get("/status", summary="Sync health per sede (below admin: only your own)")
async def status(
    actor: CurrentUser, session: TenantSession, settings: SettingsDep
) -> SyncStatusOut:
    return await sync_status_service.sync_status(session, actor, settings.clock_skew_threshold_s)


@router.get(
    "/logs",
    summary="The ops cajas pushed, newest first by the cloud's time (manager: own sede)",
    responses=error_responses(401, 403, 404, 422),
)
async def logs(
    user: CurrentUser,
    session: TenantSession,
    sede_id: uuid.UUID | None = None,
    device_id: Annotated[uuid.UUID | None, Query(description="The caja")] = None,
    status: LoggedStatus | None = None,
    kind: OpKind | None = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="Server time, inclusive")
    ] = None,
    until: Annotated[
        datetime | None, Query(alias="to", description="Server time, exclusive")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> SyncLogPage:
    where = SyncLogFilter(sede_id, device_id, status, kind, since, until)
    return await list_sync_logs(session, user, where, cursor=cursor, limit=limit)
