"""Sedes and their cajas: the list (active, online, how many cajas), one sede's page (edit,
close or reopen, activation codes, cajas with revoke); live on sede and caja changes.

Owner and admin run every sede; a manager sees and edits its own, and the API keeps codes,
closing and revoking to admins (the screen hides those, the API refuses them anyway).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import PageArguments, ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import FormErrors, notify_error
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.pages import sedes_text as _texts  # noqa: F401 - registers the text
from stocky.cloud.admin.pages.account import TIMEZONES
from stocky.cloud.admin.pages.sedes_cards import (
    badge,
    caja_online,
    cajas_card,
    codes_card,
    confirm,
    online_badge,
    sede_age,
    sede_timezone,
)
from stocky.cloud.admin.pages.sedes_installers import installers_card
from stocky.cloud.admin.session import AdminSession
from stocky.ui.formats import format_datetime
from stocky.ui.i18n import t

ENTITIES = ("sedes", "devices")


def sede_dialog(
    session: AdminSession,
    api: AdminApi,
    holder: ui.element,
    sede: dict[str, Any] | None,
    done: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Create (sede None) or edit a sede: name, address, time zone."""
    zones = {"": t("admin.sedes.timezone_tenant", zone=sede_timezone(session))}
    zones.update({zone: zone for zone in TIMEZONES})
    if sede and sede.get("timezone") and sede["timezone"] not in zones:
        zones[str(sede["timezone"])] = str(sede["timezone"])
    holder.clear()  # a closed dialog is left behind otherwise
    with holder, ui.dialog() as dialog, ui.card().classes("w-full max-w-[520px] p-5 gap-3"):
        ui.label(t("admin.sedes.edit") if sede else t("admin.sedes.new")).classes(
            "text-lg font-bold"
        )
        name = ui.input(t("admin.sedes.name"), value=(sede or {}).get("name") or "")
        name.props('outlined data-testid="sede-name"').classes("w-full")
        address = ui.input(t("admin.sedes.address"), value=(sede or {}).get("address") or "")
        address.props('outlined data-testid="sede-address"').classes("w-full")
        zone = ui.select(zones, value=(sede or {}).get("timezone") or "")
        zone.props(f'outlined label="{t("admin.sedes.timezone")}" data-testid="sede-timezone"')
        zone.classes("w-full")
        errors = FormErrors()

        @handled
        async def save() -> None:
            errors.clear(name, address)
            body = {
                "name": errors.required(name, t("admin.sedes.name")),
                "address": str(address.value or "").strip() or None,
                "timezone": zone.value or None,
            }
            if not errors.ok:
                return
            try:
                if sede is None:
                    saved = await api.post("/api/sedes", body)
                else:
                    saved = await api.patch(f"/api/sedes/{sede['id']}", body)
            except ApiError as error:
                fields = {
                    "name": (name, t("admin.sedes.name")),
                    "address": (address, t("admin.sedes.address")),
                }
                if error.status == 409 and "name" in error.message:
                    errors.add(name, f"{t('admin.sedes.name')}: {error.message}")
                elif not errors.show_api_error(error, fields):
                    notify_error(error)
                return
            dialog.close()
            ui.notify(t("admin.sedes.saved" if sede else "admin.sedes.created"), type="positive")
            await done(saved)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("admin.common.cancel"), on_click=dialog.close).props("flat no-caps")
            ui.button(t("admin.common.save"), on_click=save).props(
                'unelevated no-caps data-testid="sede-save"'
            )
    dialog.open()


# ---------------------------------------------------------------- the list


async def list_body(session: AdminSession, api: AdminApi) -> None:
    holder = ui.element("div")
    with ui.row().classes("w-full items-center justify-between gap-2"):
        page_title(t("admin.sedes.title"))
        if session.sees_every_sede:

            async def created(saved: dict[str, Any]) -> None:
                ui.navigate.to(f"/sedes/{saved['id']}")

            ui.button(
                t("admin.sedes.new"),
                icon="add",
                on_click=lambda: sede_dialog(session, api, holder, None, created),
            ).props('unelevated no-caps data-testid="sede-new"')
    cards = ui.row().classes("w-full gap-3 items-stretch").props('data-testid="sede-list"')
    shown: dict[str, Any] = {}

    async def draw() -> None:
        sedes, devices = await api.gather(api.get("/api/sedes"), api.get("/api/devices"))
        if shown.get("list") == (sedes, devices):
            return  # already on screen (its own action redrew it): keep open menus open
        shown["list"] = (sedes, devices)
        cajas: dict[str, int] = {}
        for device in devices:
            if device.get("status") == "active":
                cajas[str(device["sede_id"])] = cajas.get(str(device["sede_id"]), 0) + 1
        cards.clear()
        with cards:
            if not sedes:
                ui.label(t("admin.sedes.empty")).classes("stocky-muted").props(
                    'data-testid="sede-empty"'
                )
            for sede in sedes:
                _sede_card(session, sede, cajas.get(str(sede["id"]), 0))

    await draw()
    own = None if session.sees_every_sede else str(session.sede_id)
    live_refresh(session, handled(draw), entities=ENTITIES, presence=True, sede_id=own)


def _sede_card(session: AdminSession, sede: dict[str, Any], cajas: int) -> None:
    sid = str(sede["id"])
    tone = "" if sede.get("active") else "opacity-70"
    with (
        ui.card()
        .classes(f"stocky-card p-4 gap-2 grow min-w-[260px] basis-[320px] max-w-full {tone}")
        .props(f'data-testid="sede-card-{sid}"')
    ):
        with ui.row().classes("w-full items-center justify-between no-wrap gap-2"):
            ui.label(str(sede["name"])).classes("text-lg font-bold truncate").props(
                f'data-testid="sede-name-{sid}"'
            )
            with ui.row().classes("gap-1 no-wrap"):
                if not sede.get("active"):
                    badge(t("admin.sedes.closed"), "grey-8", f"sede-closed-{sid}")
                online_badge(bool(sede.get("is_online")), f"sede-online-{sid}")
        ui.label(str(sede.get("address") or t("admin.common.none"))).classes(
            "stocky-muted text-sm truncate w-full"
        )
        with ui.row().classes("w-full items-center justify-between gap-2 text-sm"):
            ui.label(
                t("admin.sedes.cajas_one" if cajas == 1 else "admin.sedes.cajas_count", n=cajas)
            ).props(f'data-testid="sede-cajas-{sid}"')
            ui.label(f"{t('admin.sedes.last_ping')}: {sede_age(sede.get('last_ping_at'))}").classes(
                "stocky-muted"
            )
        ui.button(
            t("admin.sedes.open"),
            icon="chevron_right",
            on_click=lambda: ui.navigate.to(f"/sedes/{sid}"),
        ).props(f'flat no-caps dense data-testid="sede-open-{sid}"').classes("self-end")


# ---------------------------------------------------------------- one sede


def _not_found() -> None:
    with ui.card().classes("stocky-card p-5"):
        ui.label(t("admin.error.not_found")).props('data-testid="not-found"')
        ui.link(t("admin.sedes.back"), "/sedes")


def _parse_id(args: PageArguments) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(args.path_parameters.get("sede_id")))
    except ValueError:
        return None


async def detail_body(session: AdminSession, api: AdminApi, args: PageArguments) -> None:
    sede_id = _parse_id(args)
    shown: dict[str, Any] = {}
    page = ui.column().classes("w-full gap-4")
    holder = ui.element("div")

    async def draw() -> None:
        reads = [api.get(f"/api/sedes/{sede_id}"), api.get("/api/devices", sede_id=str(sede_id))]
        if session.sees_every_sede:  # codes and installers are an admin's
            reads.append(api.get(f"/api/sedes/{sede_id}/activation-codes"))
            reads.append(api.get("/api/installers"))
        current, devices, *codes = await api.gather(*reads)
        if shown.get("detail") == (current, devices, codes):
            return  # already on screen (its own action redrew it): keep dialogs open
        shown["detail"] = (current, devices, codes)
        page.clear()
        with page:
            ui.link(f"← {t('admin.sedes.back')}", "/sedes").classes("text-sm").props(
                'data-testid="sede-back"'
            )
            with ui.row().classes("w-full items-center gap-2"):
                page_title(str(current["name"]))
                if not current.get("active"):
                    badge(t("admin.sedes.closed"), "grey-8", "sede-closed")
                online_badge(bool(current.get("is_online")), "sede-online")
            _info_card(session, api, holder, current, draw)
            if codes:
                codes_card(session, api, holder, current, codes[0], draw)
                installers_card(codes[1])
            for device in devices:  # a caja just activated has been seen, never pinged
                device["online"] = bool(current.get("is_online")) and caja_online(device)
            cajas_card(session, api, holder, devices, draw)

    try:
        if sede_id is None:
            raise ApiError(404, "not_found", "not a sede id", [])
        await draw()
    except ApiError as error:
        if error.status not in (403, 404, 422):
            raise
        with page:  # another sede's (a manager) or another tenant's: nothing of it
            page_title(t("admin.sedes.title"))
            _not_found()
        return
    live_refresh(session, handled(draw), entities=ENTITIES, presence=True, sede_id=str(sede_id))


def _field(label: str, value: str, testid: str) -> None:
    with ui.column().classes("gap-0 min-w-[160px] grow"):
        ui.label(label).classes("stocky-muted text-xs")
        ui.label(value).props(f'data-testid="{testid}"').classes("break-words")


def _info_card(
    session: AdminSession,
    api: AdminApi,
    holder: ui.element,
    sede: dict[str, Any],
    redraw: Callable[[], Awaitable[None]],
) -> None:
    zone = sede_timezone(session)
    with ui.card().classes("stocky-card w-full p-4 gap-3"):
        with ui.row().classes("w-full gap-4"):
            _field(t("admin.sedes.address"), str(sede.get("address") or "—"), "sede-info-address")
            _field(
                t("admin.sedes.timezone"),
                str(sede.get("timezone") or t("admin.sedes.timezone_tenant", zone=zone)),
                "sede-info-timezone",
            )
            _field(
                t("admin.sedes.last_ping"),
                sede_age(sede.get("last_ping_at")),
                "sede-info-last-ping",
            )
            _field(
                t("admin.sedes.last_sync"),
                format_datetime(sede.get("last_sync_at"), zone)
                if sede.get("last_sync_at")
                else t("admin.sedes.never"),
                "sede-info-last-sync",
            )

        async def saved(_: dict[str, Any]) -> None:
            await redraw()

        async def set_active(active: bool) -> None:
            if active:
                await api.patch(f"/api/sedes/{sede['id']}", {"active": True})
                ui.notify(t("admin.sedes.reopened"), type="positive")
            else:
                await api.delete(f"/api/sedes/{sede['id']}")
                ui.notify(t("admin.sedes.closed_done"), type="positive")
            await redraw()

        with ui.row().classes("w-full gap-2 justify-end"):
            ui.button(
                t("admin.sedes.edit"),
                icon="edit",
                on_click=lambda: sede_dialog(session, api, holder, sede, saved),
            ).props('outline no-caps data-testid="sede-edit"')
            if session.sees_every_sede and sede.get("active"):
                ui.button(
                    t("admin.sedes.close"),
                    icon="block",
                    on_click=lambda: confirm(
                        holder,
                        t("admin.sedes.close_confirm", name=sede["name"]),
                        lambda: set_active(False),
                    ),
                ).props('outline no-caps color=negative data-testid="sede-close"')
            elif session.sees_every_sede:
                reopen = handled(lambda: set_active(True))
                ui.button(t("admin.sedes.reopen"), icon="restart_alt", on_click=reopen).props(
                    'outline no-caps data-testid="sede-reopen"'
                )


ROUTES = {
    "/sedes": framed("/sedes", list_body),
    "/sedes/{sede_id}": framed("/sedes", detail_body, with_args=True),
}
