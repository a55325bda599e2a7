"""The banner that offers a staged update: "Actualización lista (versión X): reiniciar".

Shown only when a version is staged and no sale is open on any tab (cart empty, no payment
dialog), so a restart never lands mid-sale; the restart itself checks again.
"""

from __future__ import annotations

from nicegui import ui

from stocky.edge.ui.runtime import CajaRuntime
from stocky.edge.updates.service import SaleInProgressError
from stocky.edge.updates.slots import SlotError
from stocky.ui.i18n import register_texts, t

register_texts(
    {
        "update.ready": "Actualización lista (versión {version}): reiniciar",
        "update.restarting": "Reiniciando en la versión {version}…",
        "update.busy": "Hay una venta en curso: termínela o póngala en espera primero",
    },
    {
        "update.ready": "Update ready (version {version}): restart",
        "update.restarting": "Restarting into version {version}…",
        "update.busy": "A sale is in progress: finish it or put it on hold first",
    },
)

POLL_S = 1.5  # a few small file reads; the cashier sees the offer soon after a sale


def update_banner(runtime: CajaRuntime) -> None:
    service = runtime.updates
    if service is None:
        return
    banner = ui.row().classes(
        "fixed top-16 right-4 z-50 items-center gap-2 rounded-lg bg-amber-100 px-4 py-2 shadow"
    )
    banner.visible = False
    with banner:
        button = ui.button(icon="system_update").props(
            'unelevated no-caps data-testid="update-restart"'
        )

    async def restart() -> None:
        try:
            version = await service.restart()
        except SaleInProgressError:
            ui.notify(t("update.busy"), type="warning")
            return
        except SlotError as exc:
            ui.notify(str(exc), type="negative")
            return
        button.disable()
        ui.notify(t("update.restarting", version=version), type="info")

    button.on_click(restart)

    def refresh() -> None:
        ready = service.status()["ready"]
        banner.visible = bool(ready) and not service.sale_in_progress()
        if ready:
            button.text = t("update.ready", version=ready["version"])

    refresh()
    ui.timer(POLL_S, refresh)
