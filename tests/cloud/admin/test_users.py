"""The Users screen in Chromium: create, change, disable, reset, by role and tenant."""

from __future__ import annotations

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
from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin
from tests.fixtures.cloud_process import CloudProcess


def _login(url: str, email: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{url}/api/auth/login", json={"email": email, "password": password})


def _pick(page: Any, testid: str, option: str) -> None:
    page.get_by_test_id(testid).click()
    page.get_by_role("option", name=option, exact=True).click()


def _row_id(page: Any, email: str) -> str:
    testid = page.get_by_text(email, exact=True).get_attribute("data-testid")
    return str(testid).removeprefix("user-email-")


def test_owner_creates_changes_resets_and_disables_users(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    url = cloud_process.url
    owner.sede("Centro")
    owner.sede("Norte")
    page = new_page(WIDE)
    sign_in(page)
    go(page, "/usuarios")
    me = _row_id(page, "owner@example.com")
    expect(page.get_by_test_id(f"user-row-{me}")).to_contain_text("(usted)")
    expect(page.get_by_test_id(f"user-actions-{me}")).to_have_count(0)  # that is "Mi cuenta"

    # Create an admin: the form names each field it refuses.
    page.get_by_test_id("user-new").click()
    page.get_by_test_id("user-save").click()
    expect(page.get_by_text("Nombre: es obligatorio").last).to_be_visible()
    expect(page.get_by_text("Correo: es obligatorio").last).to_be_visible()
    page.get_by_test_id("user-name").fill("Ana Admin")
    page.get_by_test_id("user-email").fill("ana@example.com")
    page.get_by_test_id("user-password").fill("corta")
    page.get_by_test_id("user-save").click()
    expect(page.get_by_text("Contraseña: mínimo 8 caracteres").last).to_be_visible()
    page.get_by_test_id("user-password").fill(PASSWORD)
    _pick(page, "user-role", "Administrador")
    page.get_by_test_id("user-save").click()
    expect(page.get_by_text("Usuario creado").last).to_be_visible()
    ana = _row_id(page, "ana@example.com")
    expect(page.get_by_test_id(f"user-role-{ana}")).to_have_text("Administrador")

    # A cashier needs a sede.
    page.get_by_test_id("user-new").click()
    page.get_by_test_id("user-name").fill("Carlos Cajero")
    page.get_by_test_id("user-email").fill("carlos@example.com")
    page.get_by_test_id("user-password").fill(PASSWORD)
    page.get_by_test_id("user-save").click()  # the role defaults to cashier
    expect(page.get_by_text("Sede: es obligatorio").last).to_be_visible()
    _pick(page, "user-sede", "Centro")
    page.get_by_test_id("user-save").click()
    expect(page.get_by_text("Usuario creado").last).to_be_visible()
    carlos = _row_id(page, "carlos@example.com")
    expect(page.get_by_test_id(f"user-sede-{carlos}")).to_have_text("Centro")

    # An email already used is refused on its field.
    page.get_by_test_id("user-new").click()
    page.get_by_test_id("user-name").fill("Otro")
    page.get_by_test_id("user-email").fill("carlos@example.com")
    page.get_by_test_id("user-password").fill(PASSWORD)
    _pick(page, "user-sede", "Norte")
    page.get_by_test_id("user-save").click()
    expect(page.get_by_text("already used").last).to_be_visible()
    page.keyboard.press("Escape")

    # Change role, sede and language.
    page.get_by_test_id(f"user-actions-{carlos}").click()
    page.get_by_test_id(f"user-edit-{carlos}").click()
    _pick(page, "user-role", "Gerente de sede")
    _pick(page, "user-sede", "Norte")
    _pick(page, "user-language", "English")
    page.get_by_test_id("user-save").click()
    expect(page.get_by_test_id(f"user-role-{carlos}")).to_have_text("Gerente de sede")
    expect(page.get_by_test_id(f"user-sede-{carlos}")).to_have_text("Norte")
    expect(page.get_by_test_id(f"user-row-{carlos}")).to_contain_text("English")

    # Reset the password: the new one signs in, the old one no longer.
    page.get_by_test_id(f"user-actions-{carlos}").click()
    page.get_by_test_id(f"user-password-{carlos}").click()
    page.get_by_test_id("reset-password").fill("nueva clave 123")
    page.get_by_test_id("reset-repeat").fill("otra cosa 1234")
    page.get_by_test_id("reset-save").click()
    expect(page.get_by_text("Las contraseñas no coinciden").last).to_be_visible()
    page.get_by_test_id("reset-repeat").fill("nueva clave 123")
    page.get_by_test_id("reset-save").click()
    expect(page.get_by_text("Contraseña restablecida").last).to_be_visible()
    assert _login(url, "carlos@example.com", "nueva clave 123").status_code == 200
    assert _login(url, "carlos@example.com").status_code == 401

    # Disable (confirmed), then enable again.
    page.get_by_test_id(f"user-actions-{carlos}").click()
    page.get_by_test_id(f"user-disable-{carlos}").click()
    expect(page.get_by_test_id("confirm-message")).to_contain_text("Carlos Cajero")
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id(f"user-status-{carlos}")).to_have_text("Desactivado")
    assert _login(url, "carlos@example.com", "nueva clave 123").status_code != 200
    page.get_by_test_id(f"user-actions-{carlos}").click()
    page.get_by_test_id(f"user-enable-{carlos}").click()
    expect(page.get_by_test_id(f"user-status-{carlos}")).to_have_text("Activo")

    # Live: a user created elsewhere (over the API) appears without a reload.
    centro = owner.post("/api/sedes", {"name": "Sur"})["id"]
    owner.user("dora@example.com", "Dora Caja", "cashier", centro)
    expect(page.get_by_text("dora@example.com", exact=True).last).to_be_visible()
    shot(page, "users")

    # An admin may not touch the owner: the API says no and the screen shows it.
    admin = new_page(WIDE)
    sign_in(admin, "ana@example.com")
    go(admin, "/usuarios")
    admin.get_by_test_id(f"user-actions-{me}").click()
    admin.get_by_test_id(f"user-disable-{me}").click()
    admin.get_by_test_id("confirm-yes").click()
    expect(admin.get_by_text("Su rol no permite esta acción").last).to_be_visible()
    expect(admin.get_by_test_id(f"user-status-{me}")).to_have_text("Activo")
    # The roles an admin can give: below its own.
    admin.get_by_test_id("user-new").click()
    admin.get_by_test_id("user-role").click()
    expect(admin.get_by_role("option", name="Dueño", exact=True)).to_have_count(0)
    expect(admin.get_by_role("option", name="Administrador", exact=True)).to_have_count(0)
    expect(admin.get_by_role("option", name="Cajero", exact=True)).to_be_visible()
    assert _login(url, "owner@example.com").status_code == 200

    phone = new_page(PHONE)
    sign_in(phone)
    go(phone, "/usuarios")
    expect(phone.get_by_test_id(f"user-row-{carlos}")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "users")
    phone.get_by_test_id(f"user-actions-{carlos}").click()
    phone.get_by_test_id(f"user-edit-{carlos}").click()
    expect(phone.get_by_test_id("user-save")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "user-edit")


def test_a_manager_sees_its_sede_and_manages_only_its_cashiers(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    url = cloud_process.url
    centro, norte = owner.sede("Centro"), owner.sede("Norte")
    manager = owner.user("gerente@example.com", "Gina Gerente", "manager", centro)
    cashier = owner.user("caja@example.com", "Carla Caja", "cashier", centro)
    peer = owner.user("otro.gerente@example.com", "Omar Gerente", "manager", centro)
    elsewhere = owner.user("norte@example.com", "Nico Norte", "cashier", norte)
    token = _login(url, "gerente@example.com").json()["access_token"]
    r = httpx.put(
        f"{url}/api/users/me/pin",
        json={"pin": "4321", "password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 204, r.text
    page = new_page(WIDE)
    sign_in(page, "gerente@example.com")
    go(page, "/usuarios")
    expect(page.get_by_test_id("users-read-only")).to_be_visible()
    expect(page.get_by_test_id(f"user-pin-{manager}")).to_be_visible()  # has_pin, not the PIN
    for visible in (manager, cashier, peer):
        expect(page.get_by_test_id(f"user-row-{visible}")).to_be_visible()
    expect(page.get_by_test_id(f"user-row-{elsewhere}")).to_have_count(0)
    expect(page.get_by_text("owner@example.com")).to_have_count(0)
    expect(page.get_by_text("norte@example.com")).to_have_count(0)
    expect(page.get_by_test_id(f"user-actions-{peer}")).to_have_count(0)
    expect(page.get_by_test_id(f"user-actions-{manager}")).to_have_count(0)
    expect(page.get_by_test_id(f"user-actions-{cashier}")).to_be_visible()
    shot(page, "users-manager")

    # A new cashier lands in the manager's sede; there is no sede to pick, no role above.
    page.get_by_test_id("user-new").click()
    expect(page.get_by_test_id("user-sede")).to_have_count(0)
    page.get_by_test_id("user-role").click()
    expect(page.get_by_role("option", name="Gerente de sede", exact=True)).to_have_count(0)
    page.keyboard.press("Escape")
    page.get_by_test_id("user-name").fill("Nuevo Cajero")
    page.get_by_test_id("user-email").fill("nuevo@example.com")
    page.get_by_test_id("user-password").fill(PASSWORD)
    page.get_by_test_id("user-save").click()
    expect(page.get_by_text("Usuario creado").last).to_be_visible()
    new = _row_id(page, "nuevo@example.com")
    expect(page.get_by_test_id(f"user-sede-{new}")).to_have_text("Centro")

    page.get_by_test_id(f"user-actions-{cashier}").click()
    page.get_by_test_id(f"user-password-{cashier}").click()
    page.get_by_test_id("reset-password").fill("clave nueva 99")
    page.get_by_test_id("reset-repeat").fill("clave nueva 99")
    page.get_by_test_id("reset-save").click()
    expect(page.get_by_text("Contraseña restablecida").last).to_be_visible()
    assert _login(url, "caja@example.com", "clave nueva 99").status_code == 200


def test_another_tenant_sees_none_of_these_users(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    url = cloud_process.url
    centro = owner.sede("Centro")
    carla = owner.user("caja@example.com", "Carla Caja", "cashier", centro)
    other = CloudAdmin.signup(url, "Otra Tienda", email="otra@example.com")
    page = new_page(WIDE)
    sign_in(page, "otra@example.com")
    go(page, "/usuarios")
    expect(page.get_by_text("otra@example.com", exact=True).last).to_be_visible()
    expect(page.locator('[data-testid^="user-row-"]')).to_have_count(1)
    expect(page.get_by_text("caja@example.com")).to_have_count(0)
    expect(page.get_by_text("owner@example.com")).to_have_count(0)
    # The first tenant's ids mean nothing to the second (what the screen's actions call).
    for method, body in (("GET", None), ("PATCH", {"active": False})):
        r = httpx.request(method, f"{url}/api/users/{carla}", json=body, headers=other.headers)
        assert r.status_code == 404, r.text
    assert _login(url, "caja@example.com").status_code == 200
