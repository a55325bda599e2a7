"""The sede page's installer card: the current caja installer of each OS, to download and
install before entering the activation code (seed §8.2)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from stocky.cloud.admin.pages import sedes_text as _texts  # noqa: F401 - registers the text
from stocky.ui.i18n import t


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def installers_card(listing: dict[str, Any]) -> None:
    installers = listing.get("installers") or []
    with ui.card().classes("stocky-card w-full p-4 gap-2").props('data-testid="installers-card"'):
        ui.label(t("admin.sedes.installers")).classes("text-lg font-bold")
        ui.label(t("admin.sedes.installers_help")).classes("stocky-muted text-sm")
        if not installers:
            ui.label(t("admin.sedes.no_installers")).classes("stocky-muted").props(
                'data-testid="no-installers"'
            )
            return
        for item in installers:
            os_name = str(item["os"])
            with (
                ui.row()
                .classes("w-full items-center gap-x-4 gap-y-1 border-t border-slate-200 pt-2")
                .props(f'data-testid="installer-{os_name}"')
            ):
                with ui.column().classes("gap-0 grow min-w-0"):
                    ui.label(
                        t(
                            "admin.sedes.installer_line",
                            os=t(f"admin.sedes.os_{os_name}"),
                            version=item["version"],
                        )
                    ).classes("font-semibold")
                    ui.label(f"{item['file_name']} · {_size(int(item['size']))}").classes("text-sm")
                    ui.label(f"SHA-256 {item['sha256']}").classes(
                        "stocky-muted text-xs font-mono break-all"
                    ).props(f'data-testid="installer-sha-{os_name}"')
                ui.link(t("admin.sedes.download_installer"), str(item["url"])).classes(
                    "font-semibold"
                ).props(f'download data-testid="installer-link-{os_name}"')
