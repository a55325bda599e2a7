"""Signing up, in and out of the web admin in Chromium, and who may enter at all."""

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


def test_sign_up_a_business_then_sign_out_and_in(new_page: Any, cloud_process: CloudProcess):
    page = new_page(WIDE)
    page.goto("/")  # the cloud's root sends a person to the admin
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    shot(page, "login")
    page.get_by_test_id("to-signup").click()
    expect(page.get_by_test_id("signup-submit")).to_be_visible()
    page.get_by_test_id("signup-submit").click()  # empty: every required field is named
    expect(page.get_by_text("Nombre del negocio: es obligatorio").last).to_be_visible()
    page.get_by_test_id("signup-name").fill("Ferretería El Tornillo")
    page.get_by_test_id("signup-legal").fill("El Tornillo S.A.S.")
    page.get_by_test_id("signup-tax-id").fill("900123456-7")
    page.get_by_test_id("signup-owner").fill("Marta Ruiz")
    page.get_by_test_id("signup-email").fill("marta@example.com")
    page.get_by_test_id("signup-password").fill("corta")
    page.get_by_test_id("signup-submit").click()
    expect(
        page.get_by_text("Contraseña (mínimo 8 caracteres): mínimo 8 caracteres", exact=True)
    ).to_be_visible()
    shot(page, "signup")
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("tenant-name")).to_have_text("Ferretería El Tornillo")
    shot(page, "dashboard-empty")

    # The legal details the form took reached the tenant (receipts print them).
    tokens = httpx.post(
        f"{cloud_process.url}/api/auth/login",
        json={"email": "marta@example.com", "password": PASSWORD},
    ).json()
    business = httpx.get(
        f"{cloud_process.url}/api/tenant",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert (business["legal_name"], business["tax_id"]) == ("El Tornillo S.A.S.", "900123456-7")

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    page.goto("/admin/")  # signed out: the dashboard is not reachable
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    sign_in(page, "marta@example.com")


def test_wrong_password_and_cashier_are_refused(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    sede = owner.sede("Centro")
    owner.user("caja1@example.com", "Carlos Cajero", "cashier", sede)
    page = new_page(WIDE)
    page.goto("/admin/login")
    page.get_by_test_id("login-email").fill("owner@example.com")
    page.get_by_test_id("login-password").fill("not the password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Correo o contraseña incorrectos")
    page.get_by_test_id("login-email").fill("caja1@example.com")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("Los cajeros trabajan en la caja")
    page.goto("/admin/")
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def test_english_per_user_and_password_change(new_page: Any, owner: CloudAdmin):
    page = new_page(WIDE)
    sign_in(page)
    go(page, "/cuenta")
    page.get_by_test_id("language-toggle").click()
    expect(page.get_by_test_id("page-title")).to_have_text("My account")
    # The choice is the user's, kept in the cloud: another browser signs in in English.
    other = new_page(PHONE)
    sign_in(other)
    expect(other.get_by_test_id("page-title")).to_have_text("Dashboard")
    assert no_horizontal_scroll(other)
    shot(other, "dashboard-empty-en")

    page.get_by_test_id("password-current").fill("not the password")
    page.get_by_test_id("password-new").fill("a brand new secret")
    page.get_by_test_id("password-repeat").fill("a brand new secret")
    page.get_by_test_id("password-save").click()
    expect(page.get_by_text("The current password is not right").last).to_be_visible()
    page.get_by_test_id("password-current").fill(PASSWORD)
    page.get_by_test_id("password-save").click()
    expect(page.get_by_text("Password changed").last).to_be_visible()
    shot(page, "account")
    fresh = new_page(WIDE)
    sign_in(fresh, password="a brand new secret")
