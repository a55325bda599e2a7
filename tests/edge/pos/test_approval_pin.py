"""A manager's approval by PIN at the local API (issue 12): the manager named by email, their
PIN checked against them alone; the caja's policy `approval` says whether it takes a PIN,
a login or either; wrong PINs are throttled like logins; the sale records who approved."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from stocky.core.passwords import hash_password
from stocky.edge.pos.approval import MAX_WRONG_PINS_PER_MANAGER, approval_options
from tests.edge.factories import PASSWORD, Caja
from tests.edge.shifts.money import set_policy
from tests.edge.store.factories import create_user

pytestmark = pytest.mark.asyncio
PIN = "4821"


def _give_pin(caja: Caja, user_id: str, pin: str = PIN) -> None:
    """As a pull leaves it: the argon2 hash on the user's row."""
    hashed = hash_password(pin)
    caja.store.write(
        lambda c: c.execute("UPDATE users SET pin_hash = ? WHERE id = ?", (hashed, user_id))
    )


def _discounted(caja: Caja, manager: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lines": [{"product_id": caja.products[0]["id"], "quantity": "2"}],
        "discount_percent": "50",
        "payments": [{"method": "cash", "amount": "100"}],
    }
    if manager is not None:
        body["manager"] = manager
    return body


def _field(r: httpx.Response) -> str:
    body = r.json()
    return str(body.get("field") or body["fields"][0]["field"])


@pytest.fixture
def strict(caja: Caja) -> Caja:
    set_policy(caja, shift_required="none", discount_approval_above_percent="10")
    _give_pin(caja, caja.manager["id"])
    return caja


async def test_the_right_pin_approves_and_is_recorded(
    api: httpx.AsyncClient, strict: Caja, cashier: dict[str, str]
) -> None:
    caja = strict
    refused = await api.post("/sales", json=_discounted(caja), headers=cashier)
    assert refused.status_code == 403, refused.text
    assert _field(refused) == "manager"
    login = {"email": caja.manager["email"].upper(), "pin": PIN}
    r = await api.post("/sales", json=_discounted(caja, login), headers=cashier)
    assert r.status_code == 201, r.text
    sale = r.json()
    assert sale["discount_approved_by"] == caja.manager["id"]
    audit = caja.store.read(
        lambda c: c.execute(
            "SELECT after_data FROM audit_logs WHERE entity_id = ?",
            (sale["id"],),
        ).fetchone()
    )
    assert caja.manager["id"] in audit[0]
    # How the manager approved, and at whose request, is its own audit row.
    how = caja.store.read(
        lambda c: c.execute(
            "SELECT action, after_data FROM audit_logs WHERE action LIKE 'approval.%'"
        ).fetchall()
    )
    assert [(row[0], json.loads(row[1])) for row in how] == [
        ("approval.pin", {"asked_by": caja.cashier["id"], "method": "pin"})
    ]


async def test_a_wrong_pin_or_someone_elses(
    api: httpx.AsyncClient, strict: Caja, cashier: dict[str, str]
) -> None:
    caja = strict
    # The cashier has a PIN too (set before a demotion): it approves nothing.
    _give_pin(caja, caja.cashier["id"], "1111")
    for login in (
        {"email": caja.manager["email"], "pin": "4822"},
        {"email": caja.cashier["email"], "pin": "1111"},
        {"email": "nobody@example.com", "pin": PIN},
    ):
        r = await api.post("/sales", json=_discounted(caja, login), headers=cashier)
        assert r.status_code == 403, r.text
        assert _field(r) == "manager"


async def test_two_managers_with_one_pin_each_approve_as_themselves(
    api: httpx.AsyncClient, strict: Caja, cashier: dict[str, str]
) -> None:
    caja = strict
    other = caja.store.write(
        lambda c: create_user(
            c,
            email="beto@example.com",
            name="Beto",
            role="manager",
            tenant_id=caja.sede["tenant_id"],
            password_hash=hash_password(PASSWORD),
        )
    )
    _give_pin(caja, other["id"])  # the same digits
    login = {"email": "beto@example.com", "pin": PIN}
    r = await api.post("/sales", json=_discounted(caja, login), headers=cashier)
    assert r.status_code == 201, r.text
    assert r.json()["discount_approved_by"] == other["id"]
    options = caja.store.read(approval_options)
    # By name (the factory's manager is called "Cajero"), for the dialog's list.
    assert (options.mode, [m.email for m in options.managers]) == (
        "either",
        ["beto@example.com", "admin@example.com"],
    )


async def test_wrong_pins_are_throttled_per_manager(
    api: httpx.AsyncClient, strict: Caja, cashier: dict[str, str]
) -> None:
    caja = strict
    wrong = {"email": caja.manager["email"], "pin": "0000"}
    for _ in range(MAX_WRONG_PINS_PER_MANAGER):
        r = await api.post("/sales", json=_discounted(caja, wrong), headers=cashier)
        assert r.status_code == 403, r.text
    r = await api.post("/sales", json=_discounted(caja, wrong), headers=cashier)
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) > 0
    # Even the right PIN waits now; the manager's password still works (its own budget).
    right = {"email": caja.manager["email"], "pin": PIN}
    r = await api.post("/sales", json=_discounted(caja, right), headers=cashier)
    assert r.status_code == 429
    login = {"email": caja.manager["email"], "password": PASSWORD}
    r = await api.post("/sales", json=_discounted(caja, login), headers=cashier)
    assert r.status_code == 201, r.text


async def test_the_policy_decides_pin_login_or_either(
    api: httpx.AsyncClient, strict: Caja, cashier: dict[str, str]
) -> None:
    caja = strict
    pin = {"email": caja.manager["email"], "pin": PIN}
    login = {"email": caja.manager["email"], "password": PASSWORD}
    set_policy(caja, shift_required="none", discount_approval_above_percent="10", approval="pin")
    r = await api.post("/sales", json=_discounted(caja, login), headers=cashier)
    assert (r.status_code, _field(r)) == (422, "manager.password"), r.text
    assert (
        await api.post("/sales", json=_discounted(caja, pin), headers=cashier)
    ).status_code == 201
    set_policy(caja, shift_required="none", discount_approval_above_percent="10", approval="login")
    r = await api.post("/sales", json=_discounted(caja, pin), headers=cashier)
    assert (r.status_code, _field(r)) == (422, "manager.pin"), r.text
    assert caja.store.read(approval_options).mode == "login"
    r = await api.post("/sales", json=_discounted(caja, login), headers=cashier)
    assert r.status_code == 201
    # A setting that does not read is "either", like every other rule's fallback.
    body = json.dumps({"caja_policy": {"approval": "fingerprint"}})
    caja.store.write(lambda c: c.execute("UPDATE sede_info SET config = ?", (body,)))
    assert caja.store.read(approval_options).mode == "either"


async def test_malformed_approvals_are_422_naming_manager(
    api: httpx.AsyncClient, strict: Caja, cashier: dict[str, str]
) -> None:
    caja = strict
    email = caja.manager["email"]
    for bad in (
        {"email": email},
        {"email": email, "pin": PIN, "password": PASSWORD},
        {"email": email, "pin": "12"},
        {"email": email, "pin": "１２３４"},  # full-width digits are not digits here
        {"email": email, "pin": 4821},
    ):
        r = await api.post("/sales", json=_discounted(caja, bad), headers=cashier)
        assert r.status_code == 422, (bad, r.text)
        assert "manager" in r.text
