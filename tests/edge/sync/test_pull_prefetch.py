"""The pull asks for the next page while it applies one: pages still apply in order, and a
link that drops mid-pull leaves the caja at the last page it applied, from which the next
pull resumes without a gap or a repeat."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from tests.edge.sync.live_shop import Shop, open_store, seed_shop

pytestmark = pytest.mark.asyncio


class DropsAfter(httpx.AsyncBaseTransport):
    """A link that dies after `ok` requests (every later one fails to connect)."""

    def __init__(self, ok: int) -> None:
        self.ok = ok
        self.sent = 0
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent > self.ok:
            raise httpx.ConnectError("link down", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _client(store: Store, transport: httpx.AsyncBaseTransport | None = None) -> CloudClient:
    url, credential = store.read(
        lambda c: c.execute("SELECT cloud_url, device_credential FROM sede_info").fetchone()
    )
    return CloudClient(url, credential, transport=transport)


def _skus(store: Store) -> set[str]:
    return {r[0] for r in store.read(lambda c: c.execute("SELECT sku FROM products").fetchall())}


def _new_products(shop: Shop, count: int) -> set[str]:
    skus = {f"NEW-{i}" for i in range(count)}
    for sku in sorted(skus):
        r = httpx.post(
            f"{shop.url}/api/products",
            json={"sku": sku, "name": f"Producto {sku}", "price": "1000"},
            headers=shop.owner,
        )
        assert r.status_code == 201, r.text
    return skus


async def test_a_drop_mid_pull_resumes_from_the_last_applied_page(
    live_cloud: str, tmp_path: Path
) -> None:
    shop = seed_shop(live_cloud, tmp_path / "caja")
    store = open_store(shop.data_dir)
    healthy = _client(store)
    try:
        assert not (await PullWorker(store, healthy, sede_id=shop.sede).run_once()).failed
        before = _skus(store)
        added = _new_products(shop, 9)  # one change each
        # Two requests get through: page 1, then page 2 (asked for while page 1 applied);
        # page 3, asked for while page 2 applies, meets the dead link.
        link = DropsAfter(ok=2)
        flaky = _client(store, link)
        outcome = await PullWorker(store, flaky, sede_id=shop.sede, limit=2).run_once()
        await flaky.aclose()
        assert outcome.failed
        assert (outcome.pages, outcome.changes, link.sent) == (2, 4, 3)
        first = _skus(store) - before
        assert first == set(sorted(added)[:4])  # created in this order, pulled in commit order

        again = await PullWorker(store, healthy, sede_id=shop.sede, limit=2).run_once()
        assert not again.failed
        assert again.changes == 5  # the rest, none of the four again
        assert _skus(store) == before | added
    finally:
        await healthy.aclose()
        store.close()
