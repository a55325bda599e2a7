"""Pages that redraw when the tenant's data changes, told by the change notices.

A page asks `live_refresh(session, redraw, entities=...)`; each `tenant.changes` or
`sede.presence` of the tenant (after its commit, from any cloud process) marks the page
stale, and a light timer in the page's own context redraws at most once a second. The
timer only looks at a flag in memory: the database is read on a notice, never by polling.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from nicegui import ui

from stocky.cloud.admin.context import get_context
from stocky.cloud.admin.session import AdminSession
from stocky.cloud.realtime.schemas import SEDE_PRESENCE, TENANT_CHANGES, tenant_room

log = logging.getLogger(__name__)

CHECK_EVERY_S = 0.5


class LiveRefresh:
    def __init__(
        self,
        redraw: Callable[[], Awaitable[None] | None],
        entities: frozenset[str] | None,
        presence: bool,
        sede_id: str | None,
    ) -> None:
        self.redraw = redraw
        self.entities = entities
        self.presence = presence
        self.sede_id = sede_id
        self.stale = False
        self.redraws = 0

    def hear(self, event: str, data: Any) -> None:
        if event == SEDE_PRESENCE:
            if self.presence and self._concerns_sede([data.get("sede_id")], False):
                self.stale = True
            return
        if event != TENANT_CHANGES or not isinstance(data, dict):
            return
        if self.entities is not None and not self.entities & set(data.get("entities") or ()):
            return
        if self._concerns_sede(data.get("sede_ids") or [], bool(data.get("whole_tenant"))):
            self.stale = True

    def _concerns_sede(self, sede_ids: list[Any], whole_tenant: bool) -> bool:
        return self.sede_id is None or whole_tenant or self.sede_id in {str(s) for s in sede_ids}

    async def check(self) -> None:
        if not self.stale:
            return
        self.stale = False
        self.redraws += 1
        try:
            result = self.redraw()
            if result is not None:
                await result
        except Exception:
            log.exception("a live page failed to redraw")


def live_refresh(
    session: AdminSession,
    redraw: Callable[[], Awaitable[None] | None],
    *,
    entities: Iterable[str] | None = None,
    presence: bool = False,
    sede_id: str | None = None,
) -> LiveRefresh:
    """Redraw when the tenant's `entities` change (None: any), optionally on sede presence;
    `sede_id` narrows to one sede (a manager's pages). Stops with the page."""
    live = LiveRefresh(
        redraw,
        frozenset(entities) if entities is not None else None,
        presence,
        sede_id,
    )
    timer = ui.timer(CHECK_EVERY_S, live.check)

    def hear(event: str, data: Any) -> None:
        # A sub-page swap deletes the timer with the page: the first notice after that
        # ends the listening (the closed tab's client is deleted below).
        if timer.is_deleted:
            stop()
            return
        live.hear(event, data)

    stop = get_context().watchers.watch(tenant_room(session.tenant_id), hear)
    ui.context.client.on_delete(stop)
    return live
