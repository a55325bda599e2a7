"""The transfers screens in Chromium, against a cloud that runs its jobs (`serve
--with-worker`): an owner asks one online sede for stock for another, approves it and sees it
complete without a reload, with the movements at both sedes; a reject with its reason; an
offline sede refused in plain words; a manager sees only its sede's transfers and acts only
where the API lets it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.cloud.admin.conftest import (
    PHONE,
    WIDE,
    expect,
    go,
    no_horizontal_scroll,
    shot,
    sign_in,
)
from tests.fixtures.cloud_admin import CloudAdmin
from tests.fixtures.cloud_process import CloudProcess


@pytest.fixture
def cloud_process(cloud_process: CloudProcess) -> CloudProcess:
    """The same cloud, restarted with the jobs running in it: an approved transfer's job
    moves the stock."""
    cloud_process.kill()
    cloud_process.with_worker = True
    cloud_process.start()
    return cloud_process


def bring_online(owner: CloudAdmin, sede: str, name: str) -> dict[str, str]:
    """A caja activated with a code pings: its sede is online (the presence window)."""
    code = owner.activation_code(sede)
    r = httpx.post(f"{owner.url}/api/activate", json={"code": code, "device_name": name})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['device_credential']}"}
    r = httpx.post(f"{owner.url}/api/sync/ping", json={}, headers=headers)
    assert r.status_code == 200, r.text
    return headers


def seed(owner: CloudAdmin) -> dict[str, str]:
    ids = {
        "centro": owner.sede("Centro"),
        "norte": owner.sede("Norte"),
        "sur": owner.sede("Sur"),  # no caja: offline
        "ARZ-1": owner.product(sku="ARZ-1", name="Arroz Diana 500 g", price="2500"),
        "QSO-1": owner.product(sku="QSO-1", name="Queso campesino", price="18000", unit="weight"),
    }
    owner.opening(ids["centro"], {"ARZ-1": "20", "QSO-1": "5"})
    bring_online(owner, ids["centro"], "Caja Centro")
    bring_online(owner, ids["norte"], "Caja Norte")
    return ids


def pick(page: Any, testid: str, option: str) -> None:
    page.get_by_test_id(testid).click()
    page.get_by_role("option", name=option, exact=True).click()
    # The menu fades out: the next select's click must not land on this one's options.
    expect(page.locator(".q-menu")).to_have_count(0)


def add_line(page: Any, search: str, sku: str, quantity: str) -> None:
    box = page.get_by_test_id("transfer-search")
    box.fill(search)
    box.press("Enter")
    page.get_by_test_id(f"add-{sku}").click()
    page.get_by_test_id(f"line-qty-{sku}").fill(quantity)


def stock(owner: CloudAdmin, sede: str, sku: str) -> str:
    r = httpx.get(
        f"{owner.url}/api/inventory", headers=owner.headers, params={"sede_id": sede, "q": sku}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["items"][0]["quantity"])


def transfers(owner: CloudAdmin) -> list[dict[str, Any]]:
    r = httpx.get(f"{owner.url}/api/transfers", headers=owner.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_owner_requests_approves_and_sees_it_complete_live(
    new_page: Any, owner: CloudAdmin
) -> None:
    ids = seed(owner)
    page = new_page(WIDE)
    sign_in(page)
    go(page, "/traslados")
    expect(page.get_by_test_id("page-title")).to_have_text("Traslados")
    expect(page.get_by_test_id("transfers-empty")).to_be_visible()
    # A second window keeps the list open: it must follow without a reload.
    watcher = new_page(WIDE)
    sign_in(watcher)
    go(watcher, "/traslados")

    page.get_by_test_id("transfer-new").click()
    form = page.get_by_test_id("transfer-form")
    expect(form).to_be_visible()
    # Nothing picked: each missing piece is named on its input.
    page.get_by_test_id("transfer-submit").click()
    expect(form).to_contain_text("Sede de origen: es obligatorio")
    expect(form.get_by_text("Agregue al menos un producto")).to_have_count(2)
    pick(page, "transfer-origin", "Centro")
    pick(page, "transfer-destination", "Sur")
    add_line(page, "arroz", "ARZ-1", "2,5")
    add_line(page, "QSO", "QSO-1", "abc")
    page.get_by_test_id("transfer-submit").click()
    expect(form).to_contain_text("unidades enteras")  # rice moves in whole units
    expect(form).to_contain_text("Cantidad: no es un número válido")
    page.get_by_test_id("line-qty-ARZ-1").fill("3")
    page.get_by_test_id("line-qty-QSO-1").fill("1,25")
    # Sur has no caja online: the 409 says so plainly, on the sede it names.
    page.get_by_test_id("transfer-submit").click()
    banner = page.get_by_test_id("transfer-form-banner")
    expect(banner).to_contain_text("La sede Sur no está en línea")
    shot(page, "transfer-form")
    pick(page, "transfer-destination", "Norte")
    page.get_by_test_id("transfer-note").fill("Para el fin de semana")
    page.get_by_test_id("transfer-submit").click()

    # The new request's page: pending, its lines, who asked. (The click returns before the
    # request is made: wait for it rather than read the list at once.)
    expect(page).to_have_url(re.compile(r"/admin/traslados/[0-9a-f-]{36}$"), timeout=30_000)
    assert page.url == f"{owner.url}/admin/traslados/{transfers(owner)[0]['id']}"
    expect(page.get_by_test_id("transfer-status")).to_have_text("Pendiente")
    expect(page.get_by_test_id("page-title")).to_have_text("Traslado de Centro a Norte")
    lines = page.get_by_test_id("transfer-lines")
    expect(lines).to_contain_text("ARZ-1")
    expect(lines).to_contain_text("1,25")
    expect(page.get_by_test_id("transfer-note")).to_have_text("Para el fin de semana")
    expect(page.get_by_test_id("no-movements")).to_be_visible()
    transfer_id = transfers(owner)[0]["id"]
    row = watcher.get_by_test_id(f"transfer-status-{transfer_id}")
    expect(row).to_have_text("Pendiente")  # the notice of the request reached the list

    # Approved: the job moves the stock and the page turns completed by itself.
    page.get_by_test_id("transfer-approve").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Completado", timeout=60_000)
    expect(page.get_by_test_id("transfer-actions")).to_have_count(0)
    movements = page.get_by_test_id("transfer-movements")
    expect(movements.locator("tbody tr")).to_have_count(4)
    expect(movements).to_contain_text("Centro")
    expect(movements).to_contain_text("Norte")
    expect(movements).to_contain_text("-3")
    expect(page.get_by_test_id("transfer-decided-by")).not_to_have_text("—")
    expect(page.get_by_test_id("transfer-completed-at")).to_be_visible()
    expect(row).to_have_text("Completado", timeout=60_000)
    assert stock(owner, ids["centro"], "ARZ-1") == "17.000"
    assert stock(owner, ids["norte"], "QSO-1") == "1.250"
    shot(page, "transfer-detail")
    shot(watcher, "transfers")

    phone = new_page(PHONE)
    sign_in(phone)
    go(phone, "/traslados")
    expect(phone.get_by_test_id(f"transfer-status-{transfer_id}")).to_have_text("Completado")
    assert no_horizontal_scroll(phone)
    shot(phone, "transfers")
    phone.get_by_test_id(f"transfer-row-{transfer_id}").click()
    expect(phone.get_by_test_id("transfer-status")).to_have_text("Completado")
    assert no_horizontal_scroll(phone)
    shot(phone, "transfer-detail")


def request(owner: CloudAdmin, origin: str, destination: str, product: str, qty: str) -> str:
    body = {
        "from_sede_id": origin,
        "to_sede_id": destination,
        "lines": [{"product_id": product, "quantity": qty}],
    }
    return str(owner.post("/api/transfers/request", body)["id"])


def test_a_reject_needs_a_reason_and_shows_it(new_page: Any, owner: CloudAdmin) -> None:
    ids = seed(owner)
    transfer = request(owner, ids["centro"], ids["norte"], ids["ARZ-1"], "4")
    page = new_page(PHONE)
    sign_in(page)
    go(page, f"/traslados/{transfer}")
    expect(page.get_by_test_id("transfer-status")).to_have_text("Pendiente")
    page.get_by_test_id("transfer-reject").click()
    page.get_by_test_id("reject-confirm").click()
    dialog = page.get_by_test_id("reject-dialog")
    expect(dialog).to_contain_text("Motivo")
    expect(page.locator(".q-field--error")).to_have_count(1)
    # A notice meanwhile (another request) redraws the page, not the open dialog.
    other = request(owner, ids["centro"], ids["norte"], ids["ARZ-1"], "1")
    expect(page.get_by_test_id("transfer-requested-at")).to_be_visible()
    page.get_by_test_id("reject-reason").fill("No nos sobra arroz")
    shot(page, "transfer-reject")
    page.get_by_test_id("reject-confirm").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Rechazado")
    expect(page.get_by_test_id("transfer-reason")).to_have_text("No nos sobra arroz")
    expect(page.get_by_test_id("transfer-decided-by")).to_be_visible()
    expect(page.get_by_test_id("transfer-actions")).to_have_count(0)
    assert no_horizontal_scroll(page)
    assert stock(owner, ids["centro"], "ARZ-1") == "20.000"
    shot(page, "transfer-rejected")
    # Filtered by status, it is there; among the completed, it is not.
    go(page, "/traslados")
    pick(page, "filter-status", "Rechazado")
    expect(page.get_by_test_id(f"transfer-row-{transfer}")).to_be_visible()
    expect(page.get_by_test_id(f"transfer-row-{other}")).to_have_count(0)
    pick(page, "filter-status", "Completado")
    expect(page.get_by_test_id("transfers-empty")).to_be_visible()


def test_a_transfer_without_the_stock_fails_with_the_reason(
    new_page: Any, owner: CloudAdmin
) -> None:
    ids = seed(owner)
    transfer = request(owner, ids["centro"], ids["norte"], ids["QSO-1"], "7.5")
    page = new_page(WIDE)
    sign_in(page)
    go(page, f"/traslados/{transfer}")
    page.get_by_test_id("transfer-approve").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Fallido", timeout=60_000)
    failure = page.get_by_test_id("transfer-failure")
    expect(failure).to_contain_text("no hay existencias suficientes en Centro")
    expect(failure).to_contain_text("tiene 5, se piden 7,5")
    expect(page.get_by_test_id("no-movements")).to_be_visible()
    shot(page, "transfer-failed")
    assert stock(owner, ids["centro"], "QSO-1") == "5.000"


def test_the_list_pages_and_the_form_fits_a_phone(new_page: Any, owner: CloudAdmin) -> None:
    ids = seed(owner)
    made = [request(owner, ids["centro"], ids["norte"], ids["ARZ-1"], "1") for _ in range(51)]
    page = new_page(PHONE)
    sign_in(page)
    go(page, "/traslados")
    rows = page.locator("[data-testid^=transfer-row-]")
    expect(rows).to_have_count(50)
    expect(rows.first).to_have_attribute("data-testid", f"transfer-row-{made[-1]}")
    page.get_by_test_id("load-more").click()
    expect(rows).to_have_count(51)
    expect(page.get_by_test_id("load-more")).to_be_hidden()
    expect(page.get_by_test_id("transfers-count")).to_have_text("Traslados mostrados: 51")
    assert no_horizontal_scroll(page)
    page.get_by_test_id("transfer-new").click()
    pick(page, "transfer-origin", "Centro")
    pick(page, "transfer-destination", "Norte")
    # A weight typed with a dot after a zero is a fraction, never 125 kg.
    add_line(page, "queso", "QSO-1", "0.125")
    page.get_by_test_id("transfer-search").fill("arroz")
    page.get_by_test_id("transfer-search-go").click()
    expect(page.get_by_test_id("add-ARZ-1")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "transfer-form")
    page.get_by_test_id("transfer-submit").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Pendiente")
    expect(page.get_by_test_id("transfer-lines")).to_contain_text("0,125")


def test_a_manager_sees_only_its_sedes_transfers(new_page: Any, owner: CloudAdmin) -> None:
    ids = seed(owner)
    bring_online(owner, ids["sur"], "Caja Sur")
    owner.user("gerente@example.com", "Gina Gerente", "manager", ids["norte"])
    to_norte = request(owner, ids["centro"], ids["norte"], ids["ARZ-1"], "2")
    from_norte = request(owner, ids["norte"], ids["centro"], ids["ARZ-1"], "1")
    elsewhere = request(owner, ids["centro"], ids["sur"], ids["ARZ-1"], "1")

    page = new_page(WIDE)
    sign_in(page, "gerente@example.com")
    expect(page.get_by_test_id("nav-traslados")).to_be_visible()
    go(page, "/traslados")
    expect(page.get_by_test_id("transfers-own-sede")).to_have_text("Norte")
    expect(page.get_by_test_id(f"transfer-row-{to_norte}")).to_be_visible()
    expect(page.get_by_test_id(f"transfer-row-{from_norte}")).to_be_visible()
    expect(page.get_by_test_id(f"transfer-row-{elsewhere}")).to_have_count(0)
    pick(page, "filter-direction", "Entrantes")
    expect(page.get_by_test_id(f"transfer-row-{from_norte}")).to_have_count(0)
    expect(page.get_by_test_id(f"transfer-row-{to_norte}")).to_be_visible()
    shot(page, "transfers-manager")

    # Into its own sede: the owner decides (the origin's), the manager cannot.
    page.get_by_test_id(f"transfer-row-{to_norte}").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Pendiente")
    expect(page.get_by_test_id("transfer-approve")).to_have_count(0)
    expect(page.get_by_test_id("transfer-cancel")).to_have_count(0)  # the owner asked
    # Out of its sede: the manager of the origin approves or rejects.
    go(page, f"/traslados/{from_norte}")
    expect(page.get_by_test_id("transfer-approve")).to_be_visible()
    expect(page.get_by_test_id("transfer-reject")).to_be_visible()
    # Another sede's transfer is not there for it.
    go(page, f"/traslados/{elsewhere}")
    expect(page.get_by_test_id("transfer-not-found")).to_be_visible()

    # Its own request: the destination is its sede, fixed; it may cancel it.
    go(page, "/traslados")
    page.get_by_test_id("transfer-new").click()
    expect(page.get_by_test_id("transfer-destination")).to_contain_text("Norte")
    pick(page, "transfer-origin", "Sur")
    add_line(page, "ARZ", "ARZ-1", "1")
    page.get_by_test_id("transfer-submit").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Pendiente")
    expect(page.get_by_test_id("transfer-requested-by")).to_have_text("Gina Gerente")
    expect(page.get_by_test_id("transfer-approve")).to_have_count(0)
    page.get_by_test_id("transfer-cancel").click()
    page.get_by_test_id("cancel-confirm").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Cancelado")
    shot(page, "transfer-cancelled")
    # The same screens in English, on the person's request.
    page.get_by_test_id("language-toggle").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Cancelled")
    expect(page.get_by_test_id("page-title")).to_have_text("Transfer from Sur to Norte")
    go(page, "/traslados")
    expect(page.get_by_test_id("page-title")).to_have_text("Transfers")
    expect(page.get_by_test_id("transfer-new")).to_contain_text("New transfer")
