"""A manager's approval at the counter (a whole-ticket return, a discount above the limit):
the user if a manager or above, else the manager who typed their login at this caja."""

from __future__ import annotations

from stocky.core.roles import at_least
from stocky.edge.auth.session import LocalUser
from stocky.edge.auth.throttle import check_login
from stocky.edge.errors import ForbiddenError
from stocky.edge.pos.schemas import ManagerLogin
from stocky.edge.store import Store


async def approver(store: Store, user: LocalUser, manager: ManagerLogin | None) -> str | None:
    """Who approves, or None when nobody offered to; a wrong login is a 403 naming `manager`.

    The login is throttled like every local login (a cashier cannot guess a manager's
    password at the approval dialog), and argon2 runs on a reader, never on the writer.
    """
    if user.at_least("manager"):
        return user.id
    if manager is None:
        return None
    row = await check_login(store, manager.email, manager.password)
    if row is None or not at_least(str(row["role"]), "manager"):
        raise ForbiddenError("manager: that is not a manager's email and password", field="manager")
    return str(row["id"])
