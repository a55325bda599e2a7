"""The reconciliation screen in Chromium, against a cloud that runs its jobs: an owner runs
the checks, sees a stock drift (made by a direct SQL change) and a caja with a skewed clock,
acknowledges the clock with a note and corrects the drift by an adjustment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from stocky.cloud.embedded import libpq_url
from tests.cloud.admin.conftest import WIDE, expect, go, shot, sign_in
from tests.fixtures.cloud_admin import CloudAdmin
from tests.fixtures.cloud_process import CloudProcess
from tests.fixtures.database import DatabaseUrls


@pytest.fixture
def cloud_process(cloud_process: CloudProcess) -> CloudProcess:
    """The same cloud, restarted with the jobs running in it: "check now" queues a job."""
    cloud_process.kill()
    cloud_process.with_worker = True
    cloud_process.start()
    return cloud_process


def findings(owner: CloudAdmin, **params: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{owner.url}/api/reconciliation", headers=owner.headers, params=params)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_owner_runs_the_checks_acknowledges_and_corrects(
    new_page: Any, owner: CloudAdmin, database: DatabaseUrls
) -> None:
    centro = owner.sede("Centro")
    owner.product(sku="ARZ-1", name="Arroz Diana 500 g", price="2500")
    owner.opening(centro, {"ARZ-1": "20"})
    r = httpx.post(
        f"{owner.url}/api/activate",
        json={"code": owner.activation_code(centro), "device_name": "Caja Centro"},
    )
    assert r.status_code == 200, r.text
    caja = {"Authorization": f"Bearer {r.json()['device_credential']}"}
    ahead = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    r = httpx.post(f"{owner.url}/api/sync/ping", json={"client_now": ahead}, headers=caja)
    assert r.status_code == 200, r.text
    with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
        conn.execute("UPDATE inventory SET quantity = quantity - 2")

    page = new_page(WIDE)
    sign_in(page)
    go(page, "/conciliacion")
    expect(page.get_by_test_id("page-title")).to_have_text("Conciliación")
    expect(page.get_by_test_id("recon-empty")).to_be_visible()
    page.get_by_test_id("recon-run").click()
    cards = page.locator('[data-testid^="finding-"][data-kind]')
    expect(cards).to_have_count(2, timeout=60_000)  # the page follows the job it queued
    drift = next(f for f in findings(owner) if f["kind"] == "stock_drift")
    clock = next(f for f in findings(owner) if f["kind"] == "clock_skew")
    expect(page.get_by_test_id(f"finding-summary-{drift['id']}")).to_contain_text(
        "ARZ-1 Arroz Diana 500 g: existencias 18"
    )
    expect(page.get_by_test_id(f"finding-summary-{clock['id']}")).to_contain_text("Caja Centro")
    shot(page, "reconciliation-findings")

    page.get_by_test_id(f"ack-{clock['id']}").click()
    page.get_by_test_id("ack-dialog-note").fill("Se ajusta la hora mañana")
    page.get_by_test_id("ack-dialog-confirm").click()
    # The list shows open findings: the acknowledged one leaves it.
    expect(page.get_by_test_id(f"finding-{clock['id']}")).to_have_count(0)
    (acked,) = findings(owner, status="acknowledged")
    assert acked["ack_note"] == "Se ajusta la hora mañana"

    page.get_by_test_id(f"correct-{drift['id']}").click()
    expect(page.get_by_test_id("correct-dialog")).to_contain_text("-2")
    page.get_by_test_id("correct-dialog-confirm").click()
    expect(page.get_by_test_id("recon-empty")).to_be_visible()
    (resolved,) = findings(owner, status="resolved")
    assert resolved["details"]["resolution"] == "corrected"
    expect(page.get_by_test_id("nav-conciliacion")).to_be_visible()
