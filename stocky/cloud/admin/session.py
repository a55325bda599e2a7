"""Who is signed in at each browser: tokens kept in this process's memory, never on disk.

NiceGUI gives each browser a signed id cookie (`app.storage.browser["id"]`); the tokens the
API issued at login live here under that id. A restart of the cloud process ends every
admin session (people sign in again); a load balancer must keep a browser on one process,
as NiceGUI's websocket needs anyway.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from nicegui import app

ROLES_WITH_ADMIN = ("owner", "admin", "manager")


@dataclass
class AdminSession:
    access_token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime
    user: dict[str, Any]
    tenant: dict[str, Any] = field(default_factory=dict)
    language: str = "es"
    refresh_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def user_id(self) -> uuid.UUID:
        return uuid.UUID(str(self.user["id"]))

    @property
    def tenant_id(self) -> uuid.UUID:
        return uuid.UUID(str(self.user["tenant_id"]))

    @property
    def role(self) -> str:
        return str(self.user["role"])

    @property
    def sede_id(self) -> uuid.UUID | None:
        sede = self.user.get("sede_id")
        return uuid.UUID(str(sede)) if sede else None

    @property
    def sees_every_sede(self) -> bool:
        """Owner and admin run the whole business; a manager sees its own sede."""
        return self.role in ("owner", "admin")

    @property
    def currency(self) -> str:
        return str(self.tenant.get("currency") or "COP")

    @property
    def locale(self) -> str:
        return str(self.tenant.get("locale") or "es-CO")

    def access_expiring(self, now: datetime | None = None) -> bool:
        """Renew a little early: a page's reads should not each meet a 401 first."""
        return (now or datetime.now(UTC)) >= self.expires_at - timedelta(seconds=20)

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.refresh_expires_at


_sessions: dict[str, AdminSession] = {}
_lock = threading.Lock()


def browser_id() -> str | None:
    try:
        return str(app.storage.browser["id"])
    except (RuntimeError, AssertionError, KeyError):  # outside a page or before storage
        return None


def current_session() -> AdminSession | None:
    key = browser_id()
    if key is None:
        return None
    session = _sessions.get(key)
    if session is not None and session.expired():
        end_session()
        return None
    return session


def start_session(session: AdminSession) -> None:
    key = browser_id()
    if key is None:
        raise RuntimeError("no browser in context")
    with _lock:
        _sessions[key] = session


def end_session() -> AdminSession | None:
    key = browser_id()
    if key is None:
        return None
    with _lock:
        return _sessions.pop(key, None)


def session_language() -> str | None:
    session = current_session()
    return session.language if session is not None else None
