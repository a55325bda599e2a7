"""What the desktop commands print to the person at the caja, in Spanish and English."""

from __future__ import annotations

from stocky.ui.i18n import register_texts

ES = {
    "desktop.focused": "La caja ya está abierta; se trajo al frente",
    "desktop.open_no_window": "La caja ya está abierta en {url} (sin ventana que traer al frente)",
    "desktop.open_headless": "La caja ya está abierta sin pantallas (--headless) en {url}",
    "desktop.not_answering": (
        "La caja ya está abierta (proceso {pid}) pero no responde en {url}; "
        "ciérrela o espere a que termine de arrancar"
    ),
    "desktop.fallback": "Stocky caja: sin ventana propia ({reason}); se abre en el navegador",
    "desktop.no_desktop": "Stocky caja: sin escritorio ({reason}); ábrala en {url}",
    "desktop.focus_nothing": "Stocky caja: otra apertura pidió traerla al frente (sin ventana)",
}
EN = {
    "desktop.focused": "The caja is already open; brought it to the front",
    "desktop.open_no_window": "The caja is already open at {url} (no window to bring to front)",
    "desktop.open_headless": "The caja is already open without screens (--headless) at {url}",
    "desktop.not_answering": (
        "The caja is already open (process {pid}) but does not answer at {url}; "
        "close it or wait for it to finish starting"
    ),
    "desktop.fallback": "Stocky caja: no window of its own ({reason}); opening the browser",
    "desktop.no_desktop": "Stocky caja: no desktop ({reason}); open it at {url}",
    "desktop.focus_nothing": "Stocky caja: another launch asked to bring it to front (no window)",
}

register_texts(ES, EN)
