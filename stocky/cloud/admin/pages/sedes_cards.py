"""The parts of a sede's page: its activation codes (issued big, listed, revoked), its
cajas (online, last contact, pending ops, revoke) and the small pieces both use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi
from stocky.cloud.admin.layout import handled
from stocky.cloud.admin.pages import sedes_text as _texts  # noqa: F401 - registers the text
from stocky.cloud.admin.session import AdminSession
from stocky.cloud.admin.widgets import age, seconds_since
from stocky.ui.clock_health import clock_skew_text
from stocky.ui.formats import format_datetime
from stocky.ui.i18n import t

# A caja pings every few seconds; one silent this long is offline (the cloud's default
# presence timeout for a whole sede).
ONLINE_WINDOW_S = 90.0


def sede_age(iso: str | None) -> str:
    return age(iso, t("admin.sedes.never"))


def caja_online(device: dict[str, Any]) -> bool:
    seconds = seconds_since(device.get("last_seen_at"))
    return device.get("status") == "active" and seconds is not None and seconds < ONLINE_WINDOW_S


def sede_timezone(session: AdminSession) -> str:
    return str(session.tenant.get("timezone") or "UTC")


def badge(text: str, color: str, testid: str) -> None:
    ui.badge(text, color=color).props(f'data-testid="{testid}"').classes("px-2 py-1")


def online_badge(online: bool, testid: str) -> None:
    text = t("admin.sedes.online" if online else "admin.sedes.offline")
    badge(text, "positive" if online else "grey-6", testid)


def confirm(holder: ui.element, message: str, action: Callable[[], Awaitable[None]]) -> None:
    """A yes/no dialog; `action` runs (handled) on yes."""
    holder.clear()  # a closed dialog is left behind otherwise
    with holder, ui.dialog() as dialog, ui.card().classes("w-full max-w-[440px] p-5 gap-4"):
        ui.label(message).props('data-testid="confirm-message"')
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("admin.common.cancel"), on_click=dialog.close).props(
                'flat no-caps data-testid="confirm-no"'
            )

            @handled
            async def yes() -> None:
                dialog.close()
                await action()

            ui.button(t("admin.sedes.confirm"), on_click=yes).props(
                'unelevated no-caps color=negative data-testid="confirm-yes"'
            )
    dialog.open()


def _code_dialog(holder: ui.element, issued: dict[str, Any], zone: str) -> None:
    code = str(issued["code"])
    holder.clear()  # a closed dialog is left behind otherwise
    with holder, ui.dialog() as dialog, ui.card().classes("w-full max-w-[520px] p-5 gap-3"):
        ui.label(t("admin.sedes.code_title")).classes("text-lg font-bold")
        with ui.element("div").classes("w-full bg-slate-100 rounded-xl py-4 text-center"):
            ui.label(code).classes(
                "font-mono font-bold tracking-wider whitespace-nowrap text-[26px] sm:text-[40px]"
            ).props('data-testid="code-value"')
        ui.label(
            t("admin.sedes.code_expires", when=format_datetime(str(issued["expires_at"]), zone))
        ).props('data-testid="code-expires"')
        ui.label(t("admin.sedes.code_hint")).classes("stocky-muted text-sm")

        def copy() -> None:
            ui.clipboard.write(code)
            ui.notify(t("admin.sedes.copied"), type="positive")

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("admin.sedes.copy"), icon="content_copy", on_click=copy).props(
                'unelevated no-caps data-testid="code-copy"'
            )
            ui.button(t("admin.common.close"), on_click=dialog.close).props(
                'flat no-caps data-testid="code-close"'
            )
    dialog.open()


def codes_card(
    session: AdminSession,
    api: AdminApi,
    holder: ui.element,
    sede: dict[str, Any],
    codes: list[dict[str, Any]],
    redraw: Callable[[], Awaitable[None]],
) -> None:
    zone = sede_timezone(session)
    sid = str(sede["id"])

    @handled
    async def generate() -> None:
        issued = await api.post(f"/api/sedes/{sid}/activation-codes", {})
        _code_dialog(holder, issued, zone)
        await redraw()

    def revoke(code_id: str) -> None:
        async def go() -> None:
            await api.delete(f"/api/sedes/{sid}/activation-codes/{code_id}")
            ui.notify(t("admin.sedes.code_revoked"), type="positive")
            await redraw()

        confirm(holder, t("admin.sedes.revoke_code_confirm"), go)

    with ui.card().classes("stocky-card w-full p-4 gap-2").props('data-testid="codes-card"'):
        with ui.row().classes("w-full items-center justify-between gap-2"):
            ui.label(t("admin.sedes.codes")).classes("text-lg font-bold")
            button = ui.button(t("admin.sedes.generate"), icon="key", on_click=generate)
            button.props('unelevated no-caps data-testid="code-generate"')
            if not sede.get("active"):
                button.disable()
        ui.label(t("admin.sedes.codes_help")).classes("stocky-muted text-sm")
        if not codes:
            ui.label(t("admin.sedes.no_codes")).classes("stocky-muted").props(
                'data-testid="no-codes"'
            )
        for code in codes:
            cid = str(code["id"])
            with (
                ui.row()
                .classes("w-full items-center gap-x-4 gap-y-0 border-t border-slate-200 pt-2")
                .props(f'data-testid="code-row-{cid}"')
            ):
                ui.label(
                    f"{t('admin.sedes.code_created')}: "
                    f"{format_datetime(str(code['created_at']), zone)}"
                ).classes("text-sm")
                ui.label(
                    f"{t('admin.sedes.code_expiry')}: "
                    f"{format_datetime(str(code['expires_at']), zone)}"
                ).classes("text-sm")
                ui.space()
                ui.button(
                    t("admin.sedes.revoke_code"), icon="close", on_click=lambda c=cid: revoke(c)
                ).props(f'flat dense no-caps color=negative data-testid="code-revoke-{cid}"')


def cajas_card(
    session: AdminSession,
    api: AdminApi,
    holder: ui.element,
    devices: list[dict[str, Any]],
    redraw: Callable[[], Awaitable[None]],
) -> None:
    def revoke(device: dict[str, Any]) -> None:
        async def go() -> None:
            await api.post(f"/api/devices/{device['id']}/revoke")
            ui.notify(t("admin.sedes.caja_revoked_done"), type="positive")
            await redraw()

        confirm(holder, t("admin.sedes.revoke_caja_confirm", name=device["name"]), go)

    headers = [
        (t("admin.sedes.caja_name"), ""),
        (t("admin.sedes.caja_status"), ""),
        (t("admin.sedes.caja_last_seen"), ""),
        (t("admin.sedes.caja_version"), "gt-sm"),
        (t("admin.sedes.caja_pending"), "gt-sm"),
        ("", ""),
    ]
    with ui.card().classes("stocky-card w-full p-4 gap-2").props('data-testid="cajas-card"'):
        ui.label(t("admin.sedes.cajas")).classes("text-lg font-bold")
        if not devices:
            ui.label(t("admin.sedes.no_cajas")).classes("stocky-muted").props(
                'data-testid="no-cajas"'
            )
            return
        with ui.element("div").classes("w-full overflow-x-auto"):
            with ui.element("table").classes("w-full text-sm border-collapse"):
                with ui.element("tr").classes("text-left stocky-muted border-b border-slate-300"):
                    for label, extra in headers:
                        with ui.element("th").classes(f"py-2 pr-3 font-medium {extra}"):
                            ui.label(label)
                for device in devices:
                    _caja_row(session, device, revoke)


def _caja_row(
    session: AdminSession, device: dict[str, Any], revoke: Callable[[dict[str, Any]], None]
) -> None:
    did = str(device["id"])
    active = device.get("status") == "active"
    online = bool(device.get("online"))
    with (
        ui.element("tr")
        .classes("border-b border-slate-200 align-middle")
        .props(f'data-testid="caja-row-{did}"')
    ):
        with ui.element("td").classes("py-2 pr-3"):
            ui.label(str(device["name"])).classes("font-semibold whitespace-nowrap")
            ui.label(str(device.get("receipt_prefix") or "")).classes("stocky-muted text-xs")
            # The cloud judges it (clock_skew_threshold_s); a revoked caja's clock is moot.
            if active and device.get("clock_skewed"):
                ui.label("⚠ " + clock_skew_text(int(device["clock_offset_ms"]))).classes(
                    "text-amber-700 text-xs font-semibold whitespace-nowrap"
                ).props(f'data-testid="caja-clock-{did}"')
        with ui.element("td").classes("py-2 pr-3"), ui.row().classes("gap-1"):
            badge(
                t("admin.sedes.caja_active" if active else "admin.sedes.caja_revoked"),
                "primary" if active else "grey-8",
                f"caja-status-{did}",
            )
            online_badge(online, f"caja-online-{did}")
        with ui.element("td").classes("py-2 pr-3 whitespace-nowrap"):
            ui.label(sede_age(device.get("last_seen_at"))).props(f'data-testid="caja-seen-{did}"')
        with ui.element("td").classes("py-2 pr-3 gt-sm"):
            ui.label(str(device.get("app_version") or "—"))
        with ui.element("td").classes("py-2 pr-3 gt-sm"):
            pending = device.get("pending_ops")
            label = ui.label("—" if pending is None else str(pending))
            if pending is None:
                label.tooltip(t("admin.sedes.pending_unknown"))
        with ui.element("td").classes("py-2 text-right"):
            if session.sees_every_sede and active:
                ui.button(t("admin.sedes.revoke_caja"), on_click=lambda d=device: revoke(d)).props(
                    f'flat dense no-caps color=negative data-testid="caja-revoke-{did}"'
                )
