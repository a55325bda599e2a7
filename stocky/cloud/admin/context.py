"""What the admin's pages need from the process that serves them: the API app to call and
the room watchers to listen on. Set once by `mount.mount_admin` (or by a test)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from nicegui import ui

from stocky.cloud.admin.api import AdminApi
from stocky.cloud.admin.session import AdminSession, current_session
from stocky.cloud.realtime.watchers import RoomWatchers


@dataclass
class AdminContext:
    api_app: FastAPI
    watchers: RoomWatchers


_current: dict[str, AdminContext] = {}


def set_context(context: AdminContext) -> None:
    _current["admin"] = context


def get_context() -> AdminContext:
    context = _current.get("admin")
    if context is None:
        raise RuntimeError("the web admin is not mounted in this process")
    return context


def client_ip() -> str:
    try:
        return ui.context.client.ip or "127.0.0.1"
    except RuntimeError:
        return "127.0.0.1"


def api_for(session: AdminSession | None) -> AdminApi:
    return AdminApi(get_context().api_app, session, client_ip())


def api() -> AdminApi:
    """The API as the person at this browser (nobody, before login)."""
    return api_for(current_session())
