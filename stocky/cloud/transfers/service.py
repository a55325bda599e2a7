"""Transfers: who may request, decide and see them, and the state they may move between.

The request owns the transaction (services never commit). Approving defers the job that
moves the stock in that same transaction (`stocky.cloud.jobs.defer`), so an approval that
rolls back leaves no job, and a committed one always has its job.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.audit.recorder import AUDIT_KEY, AuditContext, attach
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.jobs.defer import defer_in
from stocky.cloud.kit.pagination import (
    decode_time_cursor,
    encode_cursor,
)
from stocky.cloud.models import Sede, Transfer
from stocky.cloud.transfers import repository as repo
from stocky.cloud.transfers.events import announce_after_commit
from stocky.cloud.transfers.schemas import (
    ApproveIn,
    CancelIn,
    RejectIn,
    TransferOut,
    TransferPage,
    TransferRequest,
)
from stocky.cloud.transfers.views import transfer_out, transfers_out
from stocky.core.errors import ConflictError, FieldError, ForbiddenError, NotFoundError
from stocky.core.ids import new_id
from stocky.core.ops import whole_units_problem

EXECUTE_TASK = "transfers.execute"


def _online(sede: Sede, now: datetime, window: timedelta) -> bool:
    return sede.last_ping_at is not None and sede.last_ping_at >= now - window


def _offline_message(sede: Sede, role: str, now: datetime) -> str:
    if sede.last_ping_at is None:
        heard = "no caja of it has ever contacted the cloud"
    else:
        minutes = int((now - sede.last_ping_at).total_seconds() // 60)
        heard = f"its cajas were last heard {minutes} min ago"
    return (
        f"The {role} sede {sede.name!r} is offline ({heard}); a transfer needs a caja of "
        "both sedes online."
    )


async def request_transfer(
    session: AsyncSession,
    app: FastAPI,
    user: Principal,
    body: TransferRequest,
    presence_window: timedelta,
) -> TransferOut:
    if user.is_device or user.user_id is None:
        raise ForbiddenError("A person requests a transfer (a manager of the destination).")
    if body.from_sede_id == body.to_sede_id:
        raise FieldError("to_sede_id", "must differ from from_sede_id")
    if not user.at_least("admin") and not (
        user.at_least("manager") and user.sede_id == body.to_sede_id
    ):
        raise ForbiddenError(
            "Only a manager of the destination sede, an admin or the owner requests a transfer."
        )
    found = await repo.sedes(session, user.tenant_id, [body.from_sede_id, body.to_sede_id])
    for field, sede_id in (("from_sede_id", body.from_sede_id), ("to_sede_id", body.to_sede_id)):
        if sede_id not in found:
            raise NotFoundError("No such sede.", field=field)
    origin, destination = found[body.from_sede_id], found[body.to_sede_id]
    quantities = _merged_lines(body)
    products = await repo.products(session, user.tenant_id, list(quantities))
    for i, line in enumerate(body.lines):
        product = products.get(line.product_id)
        if product is None:
            raise NotFoundError(
                f"No such product: {line.product_id}.", field=f"lines.{i}.product_id"
            )
        if not product.active:
            raise FieldError(f"lines.{i}.product_id", f"{product.name} is inactive")
        if problem := whole_units_problem(product.unit, line.quantity):
            raise FieldError(f"lines.{i}.quantity", problem)
    now = datetime.now(UTC)
    for sede, role in ((origin, "origin"), (destination, "destination")):
        if not sede.active:
            raise ConflictError(
                f"The {role} sede {sede.name!r} is deactivated.", sede_id=str(sede.id)
            )
        if not _online(sede, now, presence_window):
            raise ConflictError(_offline_message(sede, role, now), sede_id=str(sede.id))
    transfer = Transfer(
        tenant_id=user.tenant_id,
        id=new_id(),
        from_sede_id=origin.id,
        to_sede_id=destination.id,
        status="pending",
        note=body.note or None,
        requested_by=user.user_id,
        requested_by_name=await _name(session, user),
    )
    lines = [
        {
            "tenant_id": user.tenant_id,
            "id": new_id(),
            "transfer_id": transfer.id,
            "from_sede_id": origin.id,
            "to_sede_id": destination.id,
            "product_id": product_id,
            "quantity": qty,
        }
        for product_id, qty in quantities.items()
    ]
    await repo.insert_transfer(session, transfer, lines)
    names = {origin.id: origin.name, destination.id: destination.name}
    announce_after_commit(session, app, transfer, names, status="pending")
    return await _detail(session, user.tenant_id, transfer.id)


async def _name(session: AsyncSession, person: Principal) -> str | None:
    if person.user_id is None:
        return None
    names = await repo.user_names(session, person.tenant_id, [person.user_id])
    return names.get(person.user_id)


def _merged_lines(body: TransferRequest) -> dict[uuid.UUID, Decimal]:
    """One quantity per product: the same product on two lines is summed, in first order."""
    merged: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for line in body.lines:
        merged[line.product_id] += line.quantity
    return dict(merged)


async def _acting_person(
    session: AsyncSession, caller: Principal, acting_user_id: uuid.UUID | None
) -> Principal:
    """Who decides: the user calling, or for a caja the manager signed in at it.

    A caja vouches for the person it authenticated (offline login, the same trust as the
    sales it records for them); that person must be active, allowed at the caja's sede and
    at least a manager.
    """
    if not caller.is_device:
        return caller
    if acting_user_id is None:
        raise FieldError("acting_user_id", "a caja names the manager signed in at it")
    person = await repo.user(session, caller.tenant_id, acting_user_id)
    if person is None or not person.active:
        raise FieldError("acting_user_id", "no such active user")
    if person.sede_id is not None and person.sede_id != caller.sede_id:
        raise ForbiddenError("That user may not sign in at this caja's sede.")
    # The audit trail names both: the caja that called and the person it acted for.
    context = session.info.get(AUDIT_KEY)
    if isinstance(context, AuditContext):
        attach(session, replace(context, user_id=person.id))
    return Principal(
        tenant_id=caller.tenant_id,
        role=person.role,
        user_id=person.id,
        sede_id=person.sede_id if person.sede_id is not None else caller.sede_id,
        device_id=caller.device_id,
    )


def _may_decide(person: Principal, caller: Principal, transfer: Transfer) -> None:
    if caller.is_device and caller.sede_id != transfer.from_sede_id:
        raise ForbiddenError("A caja decides only the transfers out of its own sede.")
    if person.at_least("admin"):
        return
    if person.at_least("manager") and person.sede_id == transfer.from_sede_id:
        return
    raise ForbiddenError("Only a manager of the origin sede, an admin or the owner decides.")


async def _pending(session: AsyncSession, caller: Principal, transfer_id: uuid.UUID) -> Transfer:
    transfer = await repo.get(session, caller.tenant_id, transfer_id, lock=True)
    if transfer is None or not _may_see(caller, transfer):
        raise NotFoundError("No such transfer.", field="transfer_id")
    return transfer


def _refuse_unless_pending(transfer: Transfer, action: str) -> None:
    if transfer.status != "pending":
        raise ConflictError(
            f"This transfer is {transfer.status}; only a pending transfer can be {action}.",
            status=transfer.status,
        )


async def approve(
    session: AsyncSession, app: FastAPI, caller: Principal, transfer_id: uuid.UUID, body: ApproveIn
) -> TransferOut:
    transfer = await _pending(session, caller, transfer_id)
    person = await _acting_person(session, caller, body.acting_user_id)
    _may_decide(person, caller, transfer)
    _refuse_unless_pending(transfer, "approved")
    # The job row is written in this transaction: no approval without its job, and back.
    job_id = await defer_in(
        session,
        app.state.jobs,
        EXECUTE_TASK,
        lock=f"transfer:{transfer.id}",
        tenant_id=str(transfer.tenant_id),
        transfer_id=str(transfer.id),
    )
    return await _decide(session, app, transfer, person, "processing", job_id=job_id)


async def _decide(
    session: AsyncSession,
    app: FastAPI,
    transfer: Transfer,
    person: Principal,
    status: str,
    *,
    reason: str | None = None,
    job_id: int | None = None,
) -> TransferOut:
    """Record who decided a pending transfer and how, and announce it after the commit."""
    values = {"job_id": job_id} if job_id is not None else {}
    await repo.set_state(
        session,
        transfer,
        status=status,
        reason=reason,
        decided_by=person.user_id,
        decided_by_name=await _name(session, person),
        decided_at=datetime.now(UTC),
        **values,
    )
    names = await repo.sede_names(session, transfer.tenant_id)
    announce_after_commit(session, app, transfer, names, status=status, reason=reason)
    return await _detail(session, transfer.tenant_id, transfer.id)


async def reject(
    session: AsyncSession, app: FastAPI, caller: Principal, transfer_id: uuid.UUID, body: RejectIn
) -> TransferOut:
    transfer = await _pending(session, caller, transfer_id)
    person = await _acting_person(session, caller, body.acting_user_id)
    _may_decide(person, caller, transfer)
    _refuse_unless_pending(transfer, "rejected")
    return await _decide(session, app, transfer, person, "rejected", reason=body.reason)


async def cancel(
    session: AsyncSession, app: FastAPI, user: Principal, transfer_id: uuid.UUID, body: CancelIn
) -> TransferOut:
    transfer = await _pending(session, user, transfer_id)
    if not user.at_least("admin") and transfer.requested_by != user.user_id:
        raise ForbiddenError("Only whoever requested a transfer (or an admin) cancels it.")
    _refuse_unless_pending(transfer, "cancelled")
    return await _decide(session, app, transfer, user, "cancelled", reason=body.reason)


def _visible_sede(caller: Principal) -> uuid.UUID | None:
    """The one sede whose transfers the caller sees (None: all of the tenant's)."""
    if not caller.is_device and caller.at_least("admin"):
        return None
    if caller.sede_id is None:
        raise ForbiddenError("Your user belongs to no sede, so it sees no transfers.")
    return caller.sede_id


def _may_see(caller: Principal, transfer: Transfer) -> bool:
    sede = _visible_sede(caller)
    return sede is None or sede in (transfer.from_sede_id, transfer.to_sede_id)


async def _detail(
    session: AsyncSession, tenant_id: uuid.UUID, transfer_id: uuid.UUID
) -> TransferOut:
    transfer = await repo.get(session, tenant_id, transfer_id)
    assert transfer is not None
    return await transfer_out(session, transfer)


async def get_transfer(
    session: AsyncSession, caller: Principal, transfer_id: uuid.UUID
) -> TransferOut:
    transfer = await repo.get(session, caller.tenant_id, transfer_id)
    if transfer is None or not _may_see(caller, transfer):
        raise NotFoundError("No such transfer.", field="transfer_id")
    return await transfer_out(session, transfer)


async def list_transfers(
    session: AsyncSession,
    caller: Principal,
    *,
    status: str | None,
    sede_id: uuid.UUID | None,
    direction: str | None,
    cursor: str | None,
    limit: int,
) -> TransferPage:
    visible = _visible_sede(caller)
    if visible is not None:
        if sede_id is not None and sede_id != visible:
            raise ForbiddenError("You see only the transfers of your own sede.")
        sede_id = visible
    if direction and sede_id is None:
        raise FieldError("direction", "needs sede_id (incoming or outgoing where?)")
    rows = await repo.page(
        session,
        caller.tenant_id,
        status=status,
        sede_id=sede_id,
        direction=direction,
        before=decode_time_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(last.created_at.isoformat(), str(last.id))
    return TransferPage(items=await transfers_out(session, page), next_cursor=next_cursor)
