"""Returns, cash in / cash out and past Z reports in Chromium (issue 12 items 1, 2, 10).

The caja runs with the shop's real money rules (a cash sale needs a shift; a whole ticket
needs a manager), not the looser defaults tests/conftest.py sets for other tests.
Screenshots 30-37 go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.edge.ui.test_journey import (
    ARROZ,
    LECHE,
    _activate,
    _caja,
    _close_shift,
    _scan,
    _seed,
    _sell,
    _shot,
    page,
    pytestmark,
)
from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin

__all__ = ["page", "pytestmark"]

RULES = {"shift_required": "cash", "return_approval_whole_ticket": True}
ANA_PIN = "482193"


@pytest.fixture
def strict_caja(tmp_path: Path) -> Iterator[str]:
    with _caja(tmp_path, env={"STOCKY_CAJA_POLICY": json.dumps(RULES)}) as url:
        yield url


def _set_pin(cloud: str, email: str, pin: str) -> None:
    """The manager sets their approval PIN in the cloud, with their password."""
    login = httpx.post(f"{cloud}/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    r = httpx.put(
        f"{cloud}/api/users/me/pin",
        json={"pin": pin, "password": PASSWORD},
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
    )
    assert r.status_code == 204, r.text


def _stock(tmp_path: Path, sku: str) -> int:
    """The caja's own stock of a product, in thousandths (read-only, from its SQLite file)."""
    db = next((tmp_path / "caja").rglob("caja.db"))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT i.quantity_milli FROM inventory i JOIN products p ON p.id = i.product_id"
            " WHERE p.sku = ?",
            (sku,),
        ).fetchone()
    return int(row[0])


def _log_in_as(page: Any, email: str) -> None:
    tid = page.get_by_test_id
    tid("login-email").fill(email)
    tid("login-password").fill(PASSWORD)
    tid("login-submit").click()
    page.wait_for_url("**/vender")


def _pay_card(page: Any, codes: tuple[str, ...], total: str) -> None:
    tid = page.get_by_test_id
    _scan(page, *codes)
    expect(tid("cart-total")).to_have_text(total)
    page.keyboard.press("F4")
    tid("pay-mode").get_by_text("Tarjeta").click()
    tid("pay-confirm").click()
    tid("receipt").wait_for()
    tid("new-sale").click()
    page.wait_for_url("**/vender")


def _toast(page: Any, text: str) -> None:
    expect(page.locator(".q-notification").filter(has_text=text).first).to_be_visible()


def _find(page: Any, number: str) -> None:
    tid = page.get_by_test_id
    tid("nav-devoluciones").click()
    page.wait_for_url("**/devoluciones")
    tid("return-number").fill(number)
    tid("return-find").click()
    tid("refund-preview").wait_for()


def test_returns_refund_only_what_is_chosen(
    live_cloud: str, strict_caja: str, page: Any, tmp_path: Path
) -> None:
    shop = _seed(live_cloud)
    admin = CloudAdmin(live_cloud, shop.headers["Authorization"].removeprefix("Bearer "))
    admin.user("beto@example.com", "Beto Ruiz", "cashier", shop.sede)
    _set_pin(live_cloud, "ana@example.com", ANA_PIN)  # the caja gets it at activation
    tid = page.get_by_test_id
    page.goto(f"{strict_caja}/")
    _activate(page, live_cloud, shop.code)
    _log_in_as(page, "beto@example.com")

    # A cash sale with no shift open: the sentence and a button to open one.
    _scan(page, LECHE)
    page.keyboard.press("F4")
    tid("pay-received").fill("5000")
    tid("pay-confirm").click()
    expect(tid("error-shift")).to_contain_text("Abra un turno")
    _shot(page, "30-cash-needs-shift.png")
    tid("error-open-shift").click()
    page.wait_for_url("**/turno")
    tid("shift-float").fill("100000")
    tid("shift-open").click()
    page.wait_for_url("**/vender")
    # The cart waited; now it sells.
    expect(tid("cart-total")).to_have_text("$ 3.900")
    page.keyboard.press("F4")
    tid("pay-received").fill("5000")
    tid("pay-confirm").click()
    tid("receipt").wait_for()
    tid("new-sale").click()
    page.wait_for_url("**/vender")  # ticket 1: leche, cash
    _pay_card(page, (ARROZ, LECHE), "$ 8.400")  # ticket 2: arroz + leche, card
    arroz_before = _stock(tmp_path, "ARROZ-1")

    # Nothing chosen: refused in words, nothing recorded.
    _find(page, "2")
    tid("return-submit").click()
    _toast(page, "No eligió nada para devolver")
    _shot(page, "31-return-nothing-chosen.png")
    expect(tid("return-confirm")).to_have_count(0)

    # One arroz back of the card sale: refunded by card, shown before confirming.
    tid("return-qty-0").fill("1")
    tid("return-qty-0").press("Enter")
    expect(tid("refund-card")).to_have_text("$ 4.500")
    expect(tid("refund-total")).to_have_text("$ 4.500")
    expect(tid("refund-cash")).to_have_count(0)
    _shot(page, "32-return-preview.png", no_toasts=True)
    tid("return-submit").click()
    tid("return-confirm").wait_for()
    _shot(page, "33-return-confirm.png")
    tid("return-confirm").click()
    _toast(page, "Devolución registrada")
    assert _stock(tmp_path, "ARROZ-1") == arroz_before + 1000

    # More than is left: a sentence naming the line, in Spanish.
    expect(tid("return-qty-0")).to_be_disabled()  # nothing of it is left
    tid("return-qty-1").fill("2")
    tid("return-submit").click()
    _toast(page, "De «Leche entera Alquería 1 L» solo quedan 1 por devolver")

    # The whole of ticket 1 asks a manager: the PIN first (Ana, the one manager with one),
    # the login below it; a wrong login says so, Ana's PIN records it.
    _find(page, "1")
    tid("return-all-0").click()
    expect(tid("refund-cash")).to_have_text("$ 3.900")
    tid("return-submit").click()
    tid("return-confirm").click()
    expect(tid("manager-reason")).to_contain_text("tiquete completo")
    expect(tid("manager-pick")).to_contain_text("Ana Gómez")
    page.get_by_text("O con correo y contraseña").click()
    tid("manager-email").fill("ana@example.com")
    tid("manager-password").fill("wrong-password")
    tid("manager-approve").click()
    expect(tid("manager-problem")).to_contain_text("no son de un administrador")
    tid("manager-pin").fill("000000")
    tid("manager-approve").click()
    expect(tid("manager-problem")).to_contain_text("Ese PIN no es")
    _shot(page, "34-return-manager.png")
    tid("manager-pin").fill(ANA_PIN)
    tid("manager-approve").click()
    _toast(page, "Devolución registrada")

    # The Z: card 8.400 - 4.500; cash 3.900 sold and 3.900 refunded; the drawer as opened.
    _close_shift(page, "100000")
    expect(tid("z-net-card")).to_have_text("$ 3.900")
    expect(tid("z-net-cash")).to_have_text("$ 0")
    expect(tid("z-expected")).to_have_text("$ 100.000")
    expect(tid("z-difference")).to_have_text("$ 0")
    expect(tid("z-cashier")).to_have_text("Beto Ruiz")


def test_cash_in_and_out_reach_the_z_and_a_past_z_reprints(
    live_cloud: str, strict_caja: str, page: Any
) -> None:
    shop = _seed(live_cloud)
    tid = page.get_by_test_id
    page.goto(f"{strict_caja}/")
    _activate(page, live_cloud, shop.code)
    _log_in_as(page, "ana@example.com")
    tid("nav-turno").click()
    tid("shift-float").fill("100000")
    tid("shift-open").click()
    page.wait_for_url("**/vender")
    _sell(page, (ARROZ,), "$ 4.500", "5000")

    tid("nav-turno").click()
    tid("cash-amount").fill("20000")
    tid("cash-submit").click()
    _toast(page, "Escriba el motivo")
    tid("cash-reason").fill("Sencillo del banco")
    tid("cash-submit").click()
    expect(tid("cash-movements")).to_contain_text("Sencillo del banco")
    tid("cash-type").get_by_text("Salida").click()
    tid("cash-amount").fill("5.000")
    tid("cash-reason").fill("Pago del hielo")
    tid("cash-submit").click()
    expect(tid("cash-movements")).to_contain_text("-$ 5.000")
    _shot(page, "35-cash-in-out.png", no_toasts=True)

    # 100.000 + 4.500 + 20.000 - 5.000
    _close_shift(page, "119500")
    expect(tid("z-paid-in")).to_have_text("$ 20.000")
    expect(tid("z-paid-out")).to_have_text("-$ 5.000")
    expect(tid("z-expected")).to_have_text("$ 119.500")
    expect(tid("z-difference")).to_have_text("$ 0")
    expect(tid("z-business")).to_have_text("Mercado La 14")
    expect(tid("z-sede")).to_have_text("Sede Centro")

    # A new shift; the closed one is listed and its Z reprints, alone on the printed page.
    tid("z-new-shift").click()
    tid("shift-float").fill("119500")
    tid("shift-open").click()
    page.wait_for_url("**/vender")
    tid("nav-turno").click()
    shifts = tid("closed-shifts")
    shifts.get_by_role("button", name="Ver reporte Z").click()
    report = page.locator('.q-dialog [data-testid="z-report"]')
    expect(report).to_contain_text("Pago del hielo")
    expect(report.get_by_test_id("z-expected")).to_have_text("$ 119.500")
    _shot(page, "36-z-reprint.png")
    page.emulate_media(media="print")
    expect(tid("cash-submit")).not_to_be_visible()
    expect(report).to_be_visible()
    _shot(page, "37-z-print.png")
