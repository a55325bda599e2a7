"""The catalog normalizer screen in Chromium, against a cloud that runs its jobs: from the
catalog's "Normalizar" button an owner starts a run, the progress bar follows it to done,
then the owner accepts a rename, edits another, rejects a third and accepts a merge in bulk."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.cloud.admin.conftest import WIDE, expect, go, shot, sign_in
from tests.fixtures.cloud_admin import CloudAdmin
from tests.fixtures.cloud_process import CloudProcess


@pytest.fixture
def cloud_process(cloud_process: CloudProcess) -> CloudProcess:
    """The same cloud, restarted with the jobs running in it: "Analizar" queues a job."""
    cloud_process.kill()
    cloud_process.with_worker = True
    cloud_process.start()
    return cloud_process


def _product(owner: CloudAdmin, product_id: str) -> dict[str, Any]:
    r = httpx.get(f"{owner.url}/api/products/{product_id}", headers=owner.headers)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def _suggestions(owner: CloudAdmin, run_id: str, **params: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{owner.url}/api/ai/runs/{run_id}/suggestions", headers=owner.headers, params=params
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_owner_runs_the_normalizer_and_reviews(new_page: Any, owner: CloudAdmin) -> None:
    ids = {
        sku: owner.product(sku=sku, name=name, price="2500")
        for sku, name in [
            ("CAF-1", "Cafe Nescafe Tradicion 170g"),
            ("CAF-2", "  Cafe  Nescafe Tradicion 170 grs"),
            ("ARZ-1", "ARROZ DIANA 500GR"),
            ("ACE-1", "aceite premier 1000 ml"),
        ]
    }
    page = new_page(WIDE)
    sign_in(page)
    go(page, "/catalogo")
    page.get_by_test_id("catalog-normalize").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Normalizar catálogo")
    page.get_by_test_id("norm-start").click()
    label = page.get_by_test_id("norm-progress-label")
    expect(label).to_have_attribute("data-status", "done", timeout=60_000)
    expect(label).to_contain_text("4 de 4 productos")
    run_id = page.url.split("run=")[1]
    cards = page.locator('[data-testid^="suggestion-"][data-kind]')
    pending = _suggestions(owner, run_id, status="pending")
    expect(cards).to_have_count(len(pending))
    shot(page, "normalize-review")

    renames = {s["product_ids"][0]: s for s in pending if s["kind"] == "rename"}
    (merge,) = [s for s in pending if s["kind"] == "merge"]
    accepted = renames[ids["ARZ-1"]]
    page.get_by_test_id(f"accept-{accepted['id']}").click()
    expect(page.get_by_test_id(f"suggestion-{accepted['id']}")).to_have_count(0)
    assert _product(owner, ids["ARZ-1"])["name"] == accepted["proposed"]["name"]

    edited = renames[ids["ACE-1"]]
    page.get_by_test_id(f"edit-{edited['id']}").click()
    page.get_by_test_id("edit-name").fill("Aceite Premier Girasol 1 L")
    page.get_by_test_id("edit-confirm").click()
    expect(page.get_by_test_id(f"suggestion-{edited['id']}")).to_have_count(0)
    assert _product(owner, ids["ACE-1"])["name"] == "Aceite Premier Girasol 1 L"

    rejected = renames[ids["CAF-2"]]
    page.get_by_test_id(f"reject-{rejected['id']}").click()
    expect(page.get_by_test_id(f"suggestion-{rejected['id']}")).to_have_count(0)

    page.get_by_test_id(f"select-{merge['id']}").click()
    page.get_by_test_id("norm-bulk-accept").click()
    expect(page.get_by_test_id(f"suggestion-{merge['id']}")).to_have_count(0)
    merged = merge["proposed"]["merged_ids"][0]
    assert _product(owner, merged)["active"] is False
    statuses = {s["id"]: s["status"] for s in _suggestions(owner, run_id)}
    assert statuses[accepted["id"]] == "accepted"
    assert statuses[edited["id"]] == "edited"
    assert statuses[rejected["id"]] == "rejected"
    assert statuses[merge["id"]] == "accepted"

    # Opened again without a run in the address, the screen shows the latest run.
    go(page, "/catalogo/normalizar")
    expect(page.get_by_test_id("norm-progress-label")).to_have_attribute("data-status", "done")
    survivor_rename = renames[ids["CAF-1"]]  # the one left pending
    expect(cards).to_have_count(1)
    expect(page.get_by_test_id(f"suggestion-{survivor_rename['id']}")).to_be_visible()
