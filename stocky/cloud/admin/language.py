"""The admin's language: the signed-in user's own (kept in the cloud, users.language), or
before sign-in this browser's choice; Spanish for whoever has not chosen."""

from __future__ import annotations

from nicegui import app

from stocky.cloud.admin.session import current_session
from stocky.ui.i18n import LANGUAGES, set_session_resolver

STORAGE_KEY = "admin_language"


def browser_language() -> str | None:
    session = current_session()
    if session is not None:
        return session.language
    try:
        chosen = app.storage.user.get(STORAGE_KEY)
    except (RuntimeError, AssertionError):
        return None
    return chosen if chosen in LANGUAGES else None


def remember_browser_language(lang: str) -> None:
    app.storage.user[STORAGE_KEY] = lang


def install() -> None:
    set_session_resolver(browser_language)
