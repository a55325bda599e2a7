"""Each browser's own language: kept in NiceGUI's per-browser user storage.

The caja's setting (STOCKY_UI_LANGUAGE) is only the default; a person who switches to
English changes their own screens, never another browser's page at the same caja.
"""

from __future__ import annotations

from nicegui import app, ui

from stocky.ui.i18n import LANGUAGES, language, set_session_resolver

STORAGE_KEY = "language"


def browser_language() -> str | None:
    """This browser's choice, or None outside a page or event (the caja's default applies)."""
    try:
        chosen = app.storage.user.get(STORAGE_KEY)
    except (RuntimeError, AssertionError):  # no request in context, or no storage yet
        return None
    return chosen if chosen in LANGUAGES else None


def choose_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    app.storage.user[STORAGE_KEY] = lang


def toggle_language() -> None:
    """The top bar's button: switch this browser to the other language and redraw."""
    choose_language("en" if language() == "es" else "es")
    ui.navigate.reload()


set_session_resolver(browser_language)
