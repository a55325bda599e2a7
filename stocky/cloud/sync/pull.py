"""Pull: a sede's scope of the change feed, in commit order, page by page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.sync import repository
from stocky.cloud.sync.checksums import table_checksums
from stocky.core.errors import BadRequestError
from stocky.core.sync import Change, Cursor, CursorError, PullResponse


def _position(epoch: str, row: repository.FeedRow) -> Cursor:
    return Cursor(epoch=epoch, xid=row.xid, id=row.id)


def may_log_in_at(user: dict[str, Any], sede_id: uuid.UUID) -> bool:
    """A user row reaches a sede's cajas (with its password hash) only if it may log in
    there: tenant-wide users (no sede) and users of that sede, as the caja's login checks.
    The users checksum (stocky.cloud.sync.checksums) sums the same set."""
    user_sede = user.get("sede_id")
    return user_sede is None or str(user_sede) == str(sede_id)


def _change(epoch: str, sede_id: uuid.UUID, row: repository.FeedRow) -> Change:
    op: Literal["upsert", "delete"] = "delete" if row.op == "delete" else "upsert"
    data = row.data
    if row.entity == "users" and op == "upsert" and not may_log_in_at(data or {}, sede_id):
        # Users' feed rows are tenant-wide (scope ''): a user of another sede, or one that
        # just moved away, is a delete here, and its hash stays in the cloud.
        op, data = "delete", None
    return Change(
        position=_position(epoch, row).encode(),
        entity=row.entity,
        entity_id=row.entity_id,
        op=op,
        version=row.version,
        data=data,
    )


async def pull_changes(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    cursor_token: str | None,
    limit: int,
) -> PullResponse:
    """One page of the sede's changes after the cursor.

    A cursor from another epoch, or ahead of anything this server has issued (the database
    was rolled back), restarts the feed from the beginning with `reset` set, so the caja
    rebuilds its copy and re-pushes what the cloud no longer has. The last page carries
    the checksums of the sede's synced tables at its cursor (stocky.cloud.sync.checksums).
    """
    epoch = await repository.server_epoch(session)
    reset = False
    if cursor_token is None:
        cursor = Cursor.start(epoch)
    else:
        try:
            cursor = Cursor.decode(cursor_token)
        except CursorError as exc:
            raise BadRequestError(f"cursor: {exc}", field="cursor") from exc
        if cursor.epoch != epoch or cursor.xid >= await repository.next_xid(session):
            cursor, reset = Cursor.start(epoch), True
    rows = await repository.read_feed(
        session,
        tenant_id=tenant_id,
        sede_id=sede_id,
        after_xid=cursor.xid,
        after_id=cursor.id,
        limit=limit + 1,
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    changes = [_change(epoch, sede_id, row) for row in rows]
    last = _position(epoch, rows[-1]) if rows else cursor
    checksums = (
        None
        if has_more
        else await table_checksums(session, tenant_id=tenant_id, sede_id=sede_id, cursor=last)
    )
    return PullResponse(
        changes=changes,
        cursor=last.encode(),
        has_more=has_more,
        epoch=epoch,
        reset=reset,
        server_time=datetime.now(UTC),
        checksums=checksums,
    )
