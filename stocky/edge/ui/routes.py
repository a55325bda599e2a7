"""The single page every URL loads; sub_pages swaps the screen without a reload."""

from __future__ import annotations

from nicegui import ui

from stocky.edge.ui import (
    activation,
    history,
    login,
    pos,
    receipt,
    returns,
    shifts,
    stock,
    sync_page,
    transfers,
)
from stocky.edge.ui.layout import framed, home
from stocky.ui.theme import apply_theme


def root() -> None:
    apply_theme()
    ui.query("body").classes("bg-slate-100")
    ui.sub_pages(
        {
            "/": home,
            "/activar": activation.page,
            "/login": login.page,
            "/vender": framed("/vender", pos.body),
            "/recibo/{sale_id}": receipt.page,
            "/devoluciones": framed("/devoluciones", returns.body),
            "/historial": framed("/historial", history.body),
            "/inventario": framed("/inventario", stock.body),
            "/turno": framed("/turno", shifts.body),
            "/sincronizacion": framed("/sincronizacion", sync_page.body),
            "/traslados": framed("/traslados", transfers.body),
        }
    ).classes("w-full")
