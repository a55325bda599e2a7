"""Change notices are a property of the transaction: every mutating route, walked.

Each route of the app that changes synced data is called for real against a live server,
with a caja of each sede listening on Socket.IO; the sedes its change concerns hear
`sync.changes` exactly once, the others not at all. Routes that change no synced data are
listed with the reason, and are called too, to show they nudge nobody. A route added to the
app without an entry here fails `test_every_mutating_route_is_walked`.

"Not heard" never waits on a clock: after the call, each caja pushes a stock entry of its
own (a fence) and the first `sync.changes` it hears must be its fence's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from stocky.cloud.app import create_app
from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.embedded import Services
from stocky.cloud.models import Product
from tests.cloud.notice_cases import CASES, UNHEARD, Case, Ctx, caja_body
from tests.cloud.realtime import conftest as realtime_fixtures
from tests.cloud.realtime.conftest import Listener, Live, bearer
from tests.cloud.realtime.world import RealtimeWorld, push_entry
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio

# The live server, its world and the Socket.IO listeners of tests/cloud/realtime.
live = realtime_fixtures.live
live_overrides = realtime_fixtures.live_overrides
live_with_worker = realtime_fixtures.live_with_worker
world = realtime_fixtures.world
listeners = realtime_fixtures.listeners

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _api_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every API route, inside included routers too (FastAPI keeps an
    included router as one entry of app.routes)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _api_routes(included.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, set(route.methods)


def _mutating_routes(settings: Settings, database: DatabaseUrls) -> set[tuple[str, str]]:
    services = Services(database.owner_url, database.app_url, str(settings.redis_url))
    app = create_app(settings, services)
    return {
        (method, path) for path, methods in _api_routes(app.routes) for method in methods & MUTATING
    }


@pytest.mark.filterwarnings("ignore:.*marked with '@pytest.mark.asyncio'")
def test_every_mutating_route_is_walked(settings: Settings, database: DatabaseUrls) -> None:
    walked = {(case.method, case.path) for case in CASES} | set(UNHEARD)
    routes = _mutating_routes(settings, database)
    assert len(routes) > 20, "the walk found the app's routes"
    assert routes - walked == set(), "a mutating route with no case here: add one"
    assert walked - routes == set(), "a case for a route the app no longer has"
    assert all(case.why for case in CASES if case.heard_by == "nobody")


async def _heard_before_fence(
    listener: Listener, caja: Any, url: str, product: uuid.UUID
) -> list[str]:
    """The positions of `sync.changes` this caja hears before its own fence push's."""
    fence = (await push_entry(url, caja, product)).json()
    position = fence["results"][0]["position"]
    heard: list[str] = []
    while (event := await listener.next("sync.changes"))["position"] != position:
        heard.append(event["position"])
    return heard


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_the_sedes_a_change_concerns_hear_it_once(
    case: Case, live: Live, world: RealtimeWorld, listeners, app_sessionmaker: SessionMaker
) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        ctx = Ctx(http, world, app_sessionmaker)
        if case.setup is not None:
            await case.setup(ctx)
        cajas = {world.centro: world.caja, world.norte: world.caja_norte}
        ears: dict[uuid.UUID, Listener] = {}
        for sede_id, caja in cajas.items():
            ears[sede_id] = listeners()
            await ears[sede_id].connect(live.url, bearer(caja.headers))
        response = await case.call(ctx)
        assert response.status_code < 300, response.text
        expected = {
            "every sede": set(cajas),
            "its sede": {world.centro},
            "nobody": set(),
        }[case.heard_by]
        positions = set()
        for sede_id in expected:
            event = await ears[sede_id].next("sync.changes")
            assert event["sede_id"] == str(sede_id)
            positions.add(event["position"])
        assert len(positions) <= 1, "one transaction, one position"
        for sede_id, caja in cajas.items():
            extra = await _heard_before_fence(ears[sede_id], caja, live.url, world.rice.id)
            assert extra == [], f"{case.id}: sede {sede_id} heard more than it should"


async def _rename(session: Any, world: RealtimeWorld, name: str) -> None:
    product = await session.get(Product, (world.tenant_id, world.rice.id))
    assert product is not None
    product.name = name
    await session.flush()  # the products trigger writes the feed row now


async def _rename_then_fail(sm: SessionMaker, world: RealtimeWorld, *, savepoint: bool) -> None:
    """Rename the rice, then raise: in the transaction, or in a savepoint of one that commits."""
    async with tenant_transaction(sm, world.tenant_id) as session:
        if not savepoint:
            await _rename(session, world, "Nunca")
            raise RuntimeError("after the write")
        try:
            async with session.begin_nested():
                await _rename(session, world, "Tampoco")
                raise RuntimeError("inside the savepoint")
        except RuntimeError:
            pass


class TestRolledBack:
    async def test_a_refused_request_nudges_nobody(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        centro = listeners()
        await centro.connect(live.url, bearer(world.caja.headers))
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            stale = await http.patch(
                f"/api/products/{world.rice.id}",
                json={"name": "Tarde", "version": world.rice.version + 3},
                headers=world.owner,
            )
            # A caja's batch whose op is refused before anything is applied.
            refused = await http.post(
                "/api/sync/push",
                json=caja_body(world.caja_norte, []),
                headers=world.caja.headers,
            )
        assert stale.status_code == 409, stale.text
        assert refused.status_code in (403, 422), refused.text
        assert await _heard_before_fence(centro, world.caja, live.url, world.rice.id) == []

    async def test_a_transaction_that_wrote_and_rolled_back_nudges_nobody(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        """The app's own sessions, a real feed row written, then the transaction fails."""
        centro = listeners()
        await centro.connect(live.url, bearer(world.caja.headers))
        sm: SessionMaker = live.app.state.sessionmaker
        with pytest.raises(RuntimeError, match="after the write"):
            await live.in_server(_rename_then_fail(sm, world, savepoint=False))
        # A savepoint that wrote and rolled back, inside a transaction that commits.
        await live.in_server(_rename_then_fail(sm, world, savepoint=True))
        assert await _heard_before_fence(centro, world.caja, live.url, world.rice.id) == []

    async def test_a_released_savepoint_is_heard_once_at_the_commit(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        centro = listeners()
        await centro.connect(live.url, bearer(world.caja.headers))
        sm: SessionMaker = live.app.state.sessionmaker

        async def rename_twice() -> None:
            async with tenant_transaction(sm, world.tenant_id) as session:
                for name in ("Uno", "Dos"):
                    async with session.begin_nested():
                        await _rename(session, world, name)

        await live.in_server(rename_twice())
        event = await centro.next("sync.changes")
        assert event["sede_id"] == str(world.centro)
        assert await _heard_before_fence(centro, world.caja, live.url, world.rice.id) == []
