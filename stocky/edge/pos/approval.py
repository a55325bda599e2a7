"""A manager's approval at the counter (a whole-ticket return, a discount above the limit):
the user if a manager or above, else the manager who approved at this caja with their email
and password, or their approval PIN, as the caja's policy (`approval`) allows.

A PIN is checked against the one manager chosen (their email), never looked up among all
the managers: a PIN need not be unique, a guess is a guess at one manager's PIN, and nobody
learns another manager's PIN by being refused one. Wrong PINs are throttled per manager and
overall, tighter than passwords since 4 digits are few (stocky.edge.auth.throttle).
"""

from __future__ import annotations

import sqlite3
import weakref
from dataclasses import dataclass
from typing import Final

from stocky.core.errors import FieldError, ForbiddenError
from stocky.core.passwords import DUMMY_HASH, verify_password
from stocky.core.roles import ROLE_RANK, at_least
from stocky.edge.auth.session import LocalUser
from stocky.edge.auth.throttle import LoginThrottle, check_login
from stocky.edge.outbox import write_audit
from stocky.edge.pos.schemas import ManagerLogin
from stocky.edge.shifts.policy import Approval, caja_policy
from stocky.edge.store import Store
from stocky.edge.store.sede import load_sede_info
from stocky.edge.store.timestamps import utc_now

# 10^4 PINs of 4 digits: 5 wrong per manager in 15 minutes makes an average guess take
# about ten days of trying at the till, 20 overall keeps one from trying every manager.
MAX_WRONG_PINS_PER_MANAGER: Final = 5
MAX_WRONG_PINS_OVERALL: Final = 20
WRONG_LOGIN: Final = "manager: that is not a manager's email and password"
WRONG_PIN: Final = "manager: that is not a manager's PIN"


@dataclass(frozen=True, slots=True)
class PinManager:
    """A manager who can approve with a PIN at this caja, as the dialog lists them."""

    email: str
    name: str


@dataclass(frozen=True, slots=True)
class ApprovalOptions:
    """What this caja's approval dialog offers: its policy, and who has a PIN."""

    mode: Approval
    managers: list[PinManager]


def _sede_id(conn: sqlite3.Connection) -> str | None:
    info = load_sede_info(conn)
    return None if info is None else info.sede_id


def _manager_roles() -> list[str]:
    return [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK["manager"]]


def approval_options(conn: sqlite3.Connection) -> ApprovalOptions:
    """The policy's approval mode and the sede's active managers with a PIN, by name."""
    roles = _manager_roles()
    rows = conn.execute(
        f"""
        SELECT email, name FROM users
        WHERE active = 1 AND pin_hash IS NOT NULL AND (sede_id IS NULL OR sede_id = ?)
        AND role IN ({", ".join("?" * len(roles))})
        ORDER BY name COLLATE NOCASE, email
        """,
        (_sede_id(conn), *roles),
    ).fetchall()
    return ApprovalOptions(caja_policy(conn).approval, [PinManager(r[0], r[1]) for r in rows])


def pin_holder(conn: sqlite3.Connection, email: str, pin: str) -> sqlite3.Row | None:
    """The active user of this sede with this email whose PIN this is, or None.

    Slow on purpose (argon2): run it on a reader, never on the writer thread.
    """
    candidates = conn.execute(
        """
        SELECT * FROM users WHERE email = ? COLLATE NOCASE AND active = 1
        AND pin_hash IS NOT NULL AND (sede_id IS NULL OR sede_id = ?)
        """,
        (email.strip(), _sede_id(conn)),
    ).fetchall()
    if not candidates:
        verify_password(DUMMY_HASH, pin)  # the same cost: no telling who has a PIN
        return None
    for row in candidates:
        if verify_password(row["pin_hash"], pin):
            found: sqlite3.Row = row
            return found
    return None


# One PIN throttle per open store (per caja), beside the login one.
_pin_throttles: weakref.WeakKeyDictionary[Store, LoginThrottle] = weakref.WeakKeyDictionary()


def pin_throttle_for(store: Store) -> LoginThrottle:
    throttle = _pin_throttles.get(store)
    if throttle is None:
        throttle = _pin_throttles[store] = LoginThrottle(
            per_email=MAX_WRONG_PINS_PER_MANAGER, overall=MAX_WRONG_PINS_OVERALL
        )
    return throttle


async def check_pin(store: Store, email: str, pin: str) -> sqlite3.Row | None:
    """The user behind this email and PIN, or None; throttled (RateLimitedError)."""
    throttle = pin_throttle_for(store)
    slot = throttle.take(email)
    user = await store.aread(lambda conn: pin_holder(conn, email, pin))
    if user is not None:
        throttle.give_back(slot)
    return user


async def approver(store: Store, user: LocalUser, manager: ManagerLogin | None) -> str | None:
    """Who approves, or None when nobody offered to; a wrong login or PIN is a 403 naming
    `manager`, a kind of approval this caja's policy does not take a 422 naming it.

    Both are throttled like every local login (a cashier cannot guess a manager's password
    or PIN at the approval dialog), and argon2 runs on a reader, never on the writer.
    """
    if user.at_least("manager"):
        return user.id
    if manager is None:
        return None
    mode = await store.aread(lambda conn: caja_policy(conn).approval)
    if manager.pin is not None:
        if mode == "login":
            raise FieldError("manager.pin", "this caja takes a manager's email and password")
        row = await check_pin(store, manager.email, manager.pin)
    else:
        if mode == "pin":
            raise FieldError("manager.password", "this caja takes a manager's PIN")
        row = await check_login(store, manager.email, manager.password or "")
    if row is None or not at_least(str(row["role"]), "manager"):
        raise ForbiddenError(WRONG_LOGIN if manager.pin is None else WRONG_PIN, field="manager")
    manager_id = str(row["id"])
    # The sale or return records who approved; this row records how, and at whose request.
    how = "pin" if manager.pin is not None else "login"
    await store.awrite(
        lambda conn: write_audit(
            conn,
            user_id=manager_id,
            action=f"approval.{how}",
            entity_type="user",
            entity_id=manager_id,
            ts=utc_now(),
            after={"asked_by": user.id, "method": how},
        )
    )
    return manager_id
