"""The roles of a tenant's people, weakest first; both the cloud and the caja check them."""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "admin", "manager", "cashier"]
ROLE_RANK: dict[str, int] = {"cashier": 0, "manager": 1, "admin": 2, "owner": 3}


def at_least(role: str, wanted: str) -> bool:
    """Whether `role` is `wanted` or above (an unknown role is below everything)."""
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[wanted]
