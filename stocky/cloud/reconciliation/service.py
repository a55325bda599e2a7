"""Findings for people: the list, acknowledging one, and correcting a stock drift.

The request owns the transaction; what these change goes through the session, so the audit
recorder keeps who acknowledged or corrected what (stocky.cloud.audit.recorder).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory import repository as stock_repo
from stocky.cloud.inventory.service import InvalidMovementError, Movement, validate_movement
from stocky.cloud.kit.pagination import (
    decode_time_cursor,
    encode_cursor,
)
from stocky.cloud.models import Finding
from stocky.cloud.reconciliation import repository as repo
from stocky.cloud.reconciliation.checks import STOCK_DRIFT
from stocky.cloud.reconciliation.jobs import defer_tenant_check
from stocky.cloud.reconciliation.schemas import (
    AcknowledgeIn,
    CorrectIn,
    CorrectionOut,
    FindingOut,
    FindingPage,
    StockRunOut,
)
from stocky.core.errors import ConflictError, ForbiddenError, NotFoundError
from stocky.core.ids import new_id


def _visible_sede(user: Principal) -> uuid.UUID | None:
    """The one sede whose findings the user sees (None: the whole tenant's)."""
    if user.at_least("admin"):
        return None
    if not user.at_least("manager"):
        raise ForbiddenError("Findings are for managers, admins and the owner.")
    if user.sede_id is None:
        raise ForbiddenError("Your user belongs to no sede, so it sees no findings.")
    return user.sede_id


async def list_findings(
    session: AsyncSession,
    user: Principal,
    *,
    kind: str | None,
    sede_id: uuid.UUID | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> FindingPage:
    """Newest first; a manager sees only those of their own sede."""
    visible = _visible_sede(user)
    if visible is not None:
        if sede_id is not None and sede_id != visible:
            raise ForbiddenError("You see only the findings of your own sede.")
        sede_id = visible
    rows = await repo.page(
        session,
        user.tenant_id,
        kind=kind,
        sede_id=sede_id,
        status=status,
        before=decode_time_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(last.detected_at.isoformat(), str(last.id))
    return FindingPage(items=[FindingOut.model_validate(f) for f in items], next_cursor=next_cursor)


async def _finding(session: AsyncSession, user: Principal, finding_id: uuid.UUID) -> Finding:
    """The finding, locked; 404 when it is another tenant's or a sede the user does not see."""
    finding = await repo.get(session, user.tenant_id, finding_id, lock=True)
    visible = _visible_sede(user)
    if finding is None or (visible is not None and finding.sede_id != visible):
        raise NotFoundError("No such finding.", field="finding_id")
    return finding


async def acknowledge(
    session: AsyncSession, user: Principal, finding_id: uuid.UUID, body: AcknowledgeIn
) -> FindingOut:
    """A person has seen it: it stays listed (acknowledged) until it resolves."""
    finding = await _finding(session, user, finding_id)
    if finding.status != "open":
        raise ConflictError(
            f"This finding is {finding.status}; only an open finding can be acknowledged.",
            status=finding.status,
        )
    finding.status = "acknowledged"
    finding.acknowledged_by = user.user_id
    finding.acknowledged_at = datetime.now(UTC)
    finding.ack_note = body.note
    finding.updated_at = finding.acknowledged_at
    await session.flush()
    return FindingOut.model_validate(finding)


async def correct(
    session: AsyncSession, user: Principal, finding_id: uuid.UUID, body: CorrectIn
) -> CorrectionOut:
    """Correct a stock drift with an adjustment movement of the difference, and resolve it.

    The stock row is what the cajas have been shown and have sold against, so the movement
    makes the movements add up to it: it is recorded like any movement (insert-if-absent, the
    stock row touched so the cajas pull it) but the row's quantity stays as it is. The
    difference is read again under the stock row's lock, not taken from the finding.
    """
    if not user.at_least("admin"):
        raise ForbiddenError("Correcting stock needs the admin role or higher.")
    finding = await _finding(session, user, finding_id)
    if finding.kind != STOCK_DRIFT:
        raise ConflictError("Only a stock drift can be corrected.", kind=finding.kind)
    if finding.status == "resolved":
        raise ConflictError("This finding is already resolved.", status=finding.status)
    product_id = uuid.UUID(finding.details["product_id"])
    held, moved = await repo.locked_stock(session, user.tenant_id, finding.sede_id, product_id)
    difference = held - moved
    movement_id: uuid.UUID | None = None
    now = datetime.now(UTC)
    if difference != 0:
        movement = Movement(
            product_id=product_id,
            type="adjustment",
            quantity=difference,
            client_timestamp=now,
            document_id=new_id(),
            user_id=user.user_id,
            note=_note(finding, body),
        )
        try:
            qty = validate_movement(movement)
        except InvalidMovementError as exc:  # a drift past the column's range, say
            raise ConflictError(f"The drift cannot be recorded as a movement: {exc}") from exc
        # The movement's own fields, in the columns the inventory path writes.
        row = {
            **{k: getattr(movement, k) for k in stock_repo.MOVEMENT_COLUMNS[2:]},
            "tenant_id": user.tenant_id,
            "sede_id": finding.sede_id,
            "quantity": qty,
        }
        await stock_repo.insert_movements(session, [row])
        await stock_repo.add_to_stock(
            session, user.tenant_id, finding.sede_id, [(product_id, Decimal(0))]
        )
        movement_id = movement.id
    finding.status = "resolved"
    finding.resolved_at = now
    finding.updated_at = now
    finding.details = {
        **finding.details,
        "resolution": "corrected" if movement_id else "no longer drifted",
        "corrected_by": str(user.user_id),
        "correction_movement_id": str(movement_id) if movement_id else None,
        "corrected_quantity": str(difference),
    }
    await session.flush()
    return CorrectionOut(
        finding=FindingOut.model_validate(finding),
        movement_id=movement_id,
        quantity=str(difference),
    )


def _note(finding: Finding, body: CorrectIn) -> str:
    said = f": {body.note}" if body.note else ""
    return f"reconciliation correction of finding {finding.id}{said}"[:1000]


async def run_checks(session: AsyncSession, app: FastAPI, user: Principal) -> StockRunOut:
    """Queue the tenant's checks now (stock, clocks, rejected ops, open shift gaps)."""
    if not user.at_least("admin"):
        raise ForbiddenError("Running the checks needs the admin role or higher.")
    job_id = await defer_tenant_check(session, app.state.jobs, user.tenant_id)
    return StockRunOut(job_id=job_id)
