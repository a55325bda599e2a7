"""The Sedes screen in Chromium: sedes, activation codes and cajas, by role and tenant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

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

CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


def _activate(url: str, code: str, name: str = "Caja 1") -> dict[str, Any]:
    r = httpx.post(f"{url}/api/activate", json={"code": code, "device_name": name})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _ping(url: str, credential: str, client_now: str | None = None) -> None:
    body = {} if client_now is None else {"client_now": client_now}
    r = httpx.post(
        f"{url}/api/sync/ping", json=body, headers={"Authorization": f"Bearer {credential}"}
    )
    assert r.status_code == 200, r.text


def test_owner_creates_a_sede_issues_codes_and_revokes_a_caja(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    url = cloud_process.url
    page = new_page(WIDE)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    sign_in(page)
    go(page, "/sedes")
    expect(page.get_by_test_id("sede-empty")).to_be_visible()

    page.get_by_test_id("sede-new").click()
    page.get_by_test_id("sede-save").click()  # empty: the field is named
    expect(page.get_by_text("Nombre: es obligatorio").last).to_be_visible()
    page.get_by_test_id("sede-name").fill("Centro")
    page.get_by_test_id("sede-address").fill("Cra 7 # 12-30")
    page.get_by_test_id("sede-save").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Centro")
    sede_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_test_id("sede-info-address")).to_have_text("Cra 7 # 12-30")
    expect(page.get_by_test_id("no-codes")).to_be_visible()
    expect(page.get_by_test_id("no-cajas")).to_be_visible()

    # A code, big, with its expiry, copied to the clipboard.
    page.get_by_test_id("code-generate").click()
    expect(page.get_by_test_id("code-value")).to_be_visible()
    code = page.get_by_test_id("code-value").inner_text()
    assert CODE.match(code), code
    expect(page.get_by_test_id("code-expires")).to_contain_text("Vence:")
    shot(page, "sede-code")
    page.get_by_test_id("code-copy").click()
    expect(page.get_by_text("Código copiado").last).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == code
    page.get_by_test_id("code-close").click()
    # A second code, then revoke it: one usable code is left.
    page.get_by_test_id("code-generate").click()
    second = page.get_by_test_id("code-value").inner_text()
    page.get_by_test_id("code-close").click()
    expect(page.locator('[data-testid^="code-row-"]')).to_have_count(2)
    page.locator('[data-testid^="code-revoke-"]').first.click()  # newest first: the second
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_text("Código revocado").last).to_be_visible()
    expect(page.locator('[data-testid^="code-row-"]')).to_have_count(1)
    r = httpx.post(f"{url}/api/activate", json={"code": second, "device_name": "X"})
    assert r.status_code in (400, 404, 422), r.text  # the revoked code activates nothing

    # A caja activated from the CLI appears on its own, and its code leaves the list.
    activated = _activate(url, code)
    device_id = activated["device"]["id"]
    expect(page.get_by_test_id(f"caja-row-{device_id}")).to_be_visible()
    expect(page.get_by_test_id("no-codes")).to_be_visible()
    # Its clock runs 3 min 12 s ahead: past the 2 min threshold, flagged with the offset.
    ahead = datetime.now(UTC) + timedelta(minutes=3, seconds=12)
    _ping(url, activated["device_credential"], ahead.isoformat())
    page.reload()
    expect(page.get_by_test_id(f"caja-online-{device_id}")).to_have_text("En línea")
    expect(page.get_by_test_id(f"caja-clock-{device_id}")).to_contain_text(
        "Reloj desfasado: +3 min"
    )
    expect(page.get_by_test_id("sede-online")).to_have_text("En línea")
    shot(page, "sede-detail")

    page.get_by_test_id(f"caja-revoke-{device_id}").click()
    expect(page.get_by_test_id("confirm-message")).to_contain_text("Caja 1")
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id(f"caja-status-{device_id}")).to_have_text("Revocada")
    expect(page.get_by_test_id(f"caja-online-{device_id}")).to_have_text("Sin conexión")
    r = httpx.post(
        f"{url}/api/sync/ping",
        json={},
        headers={"Authorization": f"Bearer {activated['device_credential']}"},
    )
    assert r.status_code == 401

    # Edit, then the list: a sede opened over the API meanwhile shows up live.
    page.get_by_test_id("sede-edit").click()
    page.get_by_test_id("sede-address").fill("Calle 10 # 5-20")
    page.get_by_test_id("sede-save").click()
    expect(page.get_by_test_id("sede-info-address")).to_have_text("Calle 10 # 5-20")
    page.get_by_test_id("sede-back").click()
    expect(page.get_by_test_id(f"sede-card-{sede_id}")).to_be_visible()
    expect(page.get_by_test_id(f"sede-cajas-{sede_id}")).to_have_text("0 cajas")
    norte = owner.sede("Norte")
    expect(page.get_by_test_id(f"sede-card-{norte}")).to_be_visible()
    # A name taken is refused on the field.
    page.get_by_test_id("sede-new").click()
    page.get_by_test_id("sede-name").fill("Norte")
    page.get_by_test_id("sede-save").click()
    expect(page.get_by_text("already exists").last).to_be_visible()
    page.keyboard.press("Escape")

    # Close Norte (with a confirmation), then reopen it.
    page.get_by_test_id(f"sede-open-{norte}").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Norte")
    page.get_by_test_id("sede-close").click()
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("sede-closed")).to_be_visible()
    expect(page.get_by_test_id("code-generate")).to_be_disabled()
    page.get_by_test_id("sede-reopen").click()
    expect(page.get_by_test_id("sede-closed")).to_have_count(0)
    go(page, "/sedes")
    expect(page.get_by_test_id(f"sede-card-{norte}")).to_be_visible()
    shot(page, "sedes")

    phone = new_page(PHONE)
    sign_in(phone)
    go(phone, "/sedes")
    expect(phone.get_by_test_id(f"sede-card-{norte}")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "sedes")
    go(phone, f"/sedes/{sede_id}")
    expect(phone.get_by_test_id(f"caja-row-{device_id}")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "sede-detail")
    phone.get_by_test_id("code-generate").click()
    expect(phone.get_by_test_id("code-value")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "sede-code")


def test_a_manager_sees_only_its_sede_and_no_admin_actions(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    url = cloud_process.url
    centro, norte = owner.sede("Centro"), owner.sede("Norte")
    owner.user("gerente@example.com", "Gina Gerente", "manager", centro)
    own = _activate(url, owner.activation_code(centro), "Caja Centro")["device"]["id"]
    other = _activate(url, owner.activation_code(norte), "Caja Norte")["device"]["id"]
    page = new_page(WIDE)
    sign_in(page, "gerente@example.com")
    go(page, "/sedes")
    expect(page.get_by_test_id(f"sede-card-{centro}")).to_be_visible()
    expect(page.get_by_test_id(f"sede-cajas-{centro}")).to_have_text("1 caja")
    expect(page.get_by_test_id(f"sede-card-{norte}")).to_have_count(0)
    expect(page.get_by_test_id("sede-new")).to_have_count(0)

    page.get_by_test_id(f"sede-open-{centro}").click()
    expect(page.get_by_test_id(f"caja-row-{own}")).to_be_visible()
    expect(page.get_by_test_id(f"caja-revoke-{own}")).to_have_count(0)
    # Activated but never pinged: not online, as its sede is not.
    expect(page.get_by_test_id(f"caja-online-{own}")).to_have_text("Sin conexión")
    expect(page.get_by_test_id("codes-card")).to_have_count(0)
    expect(page.get_by_test_id("sede-close")).to_have_count(0)
    # A manager may edit its own sede's details.
    page.get_by_test_id("sede-edit").click()
    page.get_by_test_id("sede-address").fill("Av. Siempre Viva 742")
    page.get_by_test_id("sede-save").click()
    expect(page.get_by_test_id("sede-info-address")).to_have_text("Av. Siempre Viva 742")
    shot(page, "sede-manager")

    go(page, f"/sedes/{norte}")
    expect(page.get_by_test_id("not-found")).to_be_visible()
    expect(page.get_by_text("Caja Norte")).to_have_count(0)
    expect(page.get_by_test_id(f"caja-row-{other}")).to_have_count(0)


def test_another_tenant_sees_none_of_these_sedes(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    url = cloud_process.url
    centro = owner.sede("Centro")
    _activate(url, owner.activation_code(centro), "Caja Centro")
    CloudAdmin.signup(url, "Otra Tienda", email="otra@example.com")
    page = new_page(WIDE)
    sign_in(page, "otra@example.com")
    go(page, "/sedes")
    expect(page.get_by_test_id("sede-empty")).to_be_visible()
    expect(page.get_by_text("Centro")).to_have_count(0)
    go(page, f"/sedes/{centro}")
    expect(page.get_by_test_id("not-found")).to_be_visible()
    expect(page.get_by_text("Caja Centro")).to_have_count(0)
    go(page, "/sedes/not-a-uuid")
    expect(page.get_by_test_id("not-found")).to_be_visible()
