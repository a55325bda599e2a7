"""Change notices: what a committed transaction added to the feed, told to whoever cares.

`stocky.cloud.db` finds, just before each COMMIT, which sedes the transaction's `changes`
rows touched and, once the COMMIT returns, hands them to the listener the app's
sessionmaker was made with: `change_notices(app)`. No route calls anything: a route that
changes synced data cannot forget to nudge the cajas, and a rollback nudges nothing.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from stocky.cloud.db import FeedListener, FeedTouched
from stocky.cloud.inventory.consolidated import stock_changed
from stocky.cloud.realtime.emit import emit_sync_changes, emit_tenant_changes


def change_notices(app: FastAPI) -> FeedListener:
    """The app's listener: each touched sede hears `sync.changes` once, the tenant's room
    hears `tenant.changes` (the web admin redraws), and cached stock views of the tenant go
    stale (what a sede is told to pull, a stock page no longer shows).
    """

    async def announce(touched: FeedTouched) -> None:
        sede_ids = None if touched.whole_tenant else sorted(touched.sede_ids)
        # Both log their own failures and never raise.
        await asyncio.gather(
            stock_changed(app.state.redis, touched.tenant_id),
            emit_sync_changes(app, touched.tenant_id, sede_ids, touched.position),
            emit_tenant_changes(app, touched),
        )

    return announce
