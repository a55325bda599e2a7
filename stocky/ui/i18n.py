"""Screen text in Spanish (the default) and English, shared by the caja UI and the web admin.

Code names stay English; every word a person reads comes through here, from text_es.py and
text_en.py (see GLOSSARY.md).
`t("pos.total")` answers in the current language; a missing key shows the key itself, so a
gap is visible on screen instead of crashing a sale.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Final

from stocky.ui.text_en import EN
from stocky.ui.text_es import ES

LANGUAGES: Final = ("es", "en")
DEFAULT_LANGUAGE: Final = "es"

_CATALOGS: Final = {"es": dict(ES), "en": {**ES, **EN}}
_current = {"lang": os.environ.get("STOCKY_UI_LANGUAGE", DEFAULT_LANGUAGE)}


# The person's own choice (per browser), if the UI installed a way to read it; the caja's
# setting above is only the default for whoever has not chosen.
_session: dict[str, Callable[[], str | None] | None] = {"resolve": None}


def set_session_resolver(resolve: Callable[[], str | None] | None) -> None:
    """Install how to read the current person's language (None outside a session)."""
    _session["resolve"] = resolve


def session_language() -> str | None:
    """The language the current browser chose, or None (no session, or no choice)."""
    resolve = _session["resolve"]
    lang = resolve() if resolve is not None else None
    return lang if lang in _CATALOGS else None


def language() -> str:
    chosen = session_language()
    if chosen is not None:
        return chosen
    lang = _current["lang"]
    return lang if lang in _CATALOGS else DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    """Set the default language (the caja's setting), for every browser that has not chosen."""
    if lang not in _CATALOGS:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    _current["lang"] = lang


def t(key: str, **values: object) -> str:
    """The text for `key` in the current language, with {placeholders} filled."""
    text = _CATALOGS[language()].get(key, key)
    return text.format(**values) if values else text


def keys(lang: str) -> set[str]:
    return set(_CATALOGS[lang])


def register_texts(es: dict[str, str], en: dict[str, str]) -> None:
    """Add a feature's own screen text (the web admin's pages keep theirs beside them).

    Both languages must name the same keys, so a screen is never half translated; a key
    already taken with another text is refused, so two features cannot fight over one.
    """
    if set(es) != set(en):
        missing = sorted(set(es) ^ set(en))
        raise ValueError(f"texts must have the same keys in es and en; differ: {missing[:5]}")
    for key, text in es.items():
        known = _CATALOGS["es"].get(key)
        if known is not None and known != text:
            raise ValueError(f"text key {key!r} is already registered with another text")
    _CATALOGS["es"].update(es)
    _CATALOGS["en"].update(en)
