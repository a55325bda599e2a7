"""Traslados: this sede's transfers (incoming and outgoing) from the caja's copy, redrawn
live as the pull brings changes; a manager of the origin approves or rejects a pending one
(through the cloud: the buttons are off while the caja is offline). `watch_notices` puts a
toast on every screen when a transfer touching the sede is requested or changes status.
"""

from __future__ import annotations

from typing import Any, Literal

from nicegui import ui

from stocky.core.errors import StockyError
from stocky.edge.auth.session import LocalUser
from stocky.edge.sync.status import caja_status
from stocky.edge.transfers import queries, service
from stocky.edge.transfers.schemas import TransferOut
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_datetime, format_quantity
from stocky.ui.i18n import t

REFRESH_S = 1.0
# Quasar colours of each status's badge.
BADGE = {
    "pending": "amber-8",
    "processing": "blue-7",
    "completed": "positive",
    "failed": "negative",
    "rejected": "red-4",
    "cancelled": "grey-6",
}
ToastType = Literal["positive", "negative", "warning", "info"]
TOAST_TYPE: dict[str, ToastType] = {
    "pending": "info",
    "processing": "info",
    "completed": "positive",
    "failed": "negative",
    "rejected": "warning",
    "cancelled": "warning",
}


def route(transfer: TransferOut) -> str:
    return t("xfer.route", origin=transfer.from_sede_name, destination=transfer.to_sede_name)


def _who(person: Any, sede: str) -> str:
    """The person's name, or their sede's when the caja does not hold them (another sede's
    user: a caja keeps only those who may sign in at it)."""
    if person is None or not person.name:
        return t("xfer.someone", sede=sede)
    return str(person.name)


def failure_text(transfer: TransferOut, locale: str) -> str:
    """Why the cloud's job failed, in the screen's language when it says what failed."""
    if transfer.failure_code == "insufficient_stock" and transfer.shortages:
        units = {line.product_id: line.unit or "unit" for line in transfer.lines}
        items = "; ".join(
            t(
                "xfer.shortage",
                product=f"{s.sku} {s.name}",
                available=format_quantity(s.available, units.get(s.product_id, "unit"), locale),
                requested=format_quantity(s.requested, units.get(s.product_id, "unit"), locale),
            )
            for s in transfer.shortages
        )
        return t("xfer.insufficient", origin=transfer.from_sede_name, items=items)
    if transfer.failure_code == "job_error":
        return t("xfer.job_error")
    return transfer.failure_reason or ""


def _why_not(transfer: TransferOut, user: LocalUser, online: bool) -> str | None:
    """Why this person cannot decide here now (None: they can)."""
    if not user.at_least("manager"):
        return t("xfer.needs_manager")
    if not online:
        return t("xfer.needs_cloud")
    return None


class TransfersScreen:
    def __init__(self, runtime: CajaRuntime, user: LocalUser) -> None:
        self.runtime = runtime
        self.store = runtime.require_store()
        self.user = user
        sede = runtime.sede
        self.tz = sede.timezone if sede else "UTC"
        self.locale = sede.locale if sede else "es-CO"
        self.items: list[TransferOut] = []
        self.online = False
        self.seen: tuple[Any, ...] | None = None
        self.busy = False

    async def load(self) -> bool:
        """Re-read the copy; True when what the screen shows changed."""
        mark = await self.store.aread(queries.fingerprint)
        status = await self.store.aread(caja_status)
        online = bool(status["online"])
        seen = (mark, online)
        if seen == self.seen:
            return False
        self.items = await self.store.aread(lambda c: queries.list_transfers(c, limit=100))
        self.online = online
        self.seen = seen
        return True

    @ui.refreshable_method
    def draw(self) -> None:
        if not self.items:
            ui.label(t("xfer.empty")).classes("stocky-muted").props('data-testid="xfer-empty"')
            return
        for transfer in self.items:
            self.card(transfer)

    def card(self, transfer: TransferOut) -> None:
        when = format_datetime
        with (
            ui.column()
            .classes("stocky-card w-full p-4 gap-2")
            .props(f'data-testid="xfer-{transfer.id}"')
        ):
            with ui.row().classes("w-full items-center gap-3"):
                incoming = transfer.direction == "incoming"
                ui.icon("south_west" if incoming else "north_east", size="24px").classes(
                    "text-primary"
                )
                ui.badge(
                    t("xfer.incoming") if incoming else t("xfer.outgoing"),
                    color="primary" if incoming else "teal",
                ).props("outline")
                ui.label(route(transfer)).classes("text-lg font-bold text-slate-800")
                ui.badge(t(f"xfer.status.{transfer.status}"), color=BADGE[transfer.status]).props(
                    'data-testid="xfer-status"'
                ).classes("text-sm px-2")
                ui.space()
                ui.label(
                    t(
                        "xfer.requested",
                        when=when(transfer.requested_at, self.tz),
                        who=_who(transfer.requested_by, transfer.to_sede_name),
                    )
                ).classes("stocky-muted")
            with ui.column().classes("w-full gap-0 pl-9"):
                for line in transfer.lines:
                    with ui.row().classes("w-full max-w-xl justify-between"):
                        ui.label(line.name or t("xfer.unknown_product"))
                        ui.label(
                            format_quantity(line.quantity, line.unit or "unit", self.locale)
                        ).classes("stocky-num font-semibold")
            self.details(transfer)
            if transfer.direction == "outgoing" and transfer.status == "pending":
                self.actions(transfer)
            elif transfer.status == "pending":
                ui.label(t("xfer.waiting_origin", origin=transfer.from_sede_name)).classes(
                    "stocky-muted pl-9"
                )

    def details(self, transfer: TransferOut) -> None:
        lines: list[tuple[str, str]] = []
        if transfer.note:
            lines.append((t("xfer.note", note=transfer.note), "stocky-muted"))
        if transfer.decided_at:
            who = _who(transfer.decided_by, transfer.from_sede_name)
            lines.append(
                (t("xfer.decided", when=format_datetime(transfer.decided_at, self.tz), who=who), "")
            )
        if transfer.reason:
            lines.append((t("xfer.reason", reason=transfer.reason), "text-red-700"))
        if transfer.failure_reason:
            lines.append(
                (t("xfer.failure", reason=failure_text(transfer, self.locale)), "text-red-700")
            )
        if transfer.completed_at:
            when = format_datetime(transfer.completed_at, self.tz)
            lines.append((t("xfer.completed", when=when), ""))
        for text, classes in lines:
            ui.label(text).classes(f"pl-9 {classes}")

    def actions(self, transfer: TransferOut) -> None:
        why = _why_not(transfer, self.user, self.online)
        with ui.row().classes("w-full items-center gap-2 pl-9"):
            approve = ui.button(
                t("xfer.approve"), icon="check", on_click=lambda: self.approve(transfer)
            ).props('unelevated no-caps color=positive data-testid="xfer-approve"')
            reject = ui.button(
                t("xfer.reject"), icon="close", on_click=lambda: self.ask_reason(transfer)
            ).props('outline no-caps color=negative data-testid="xfer-reject"')
            if why is not None:
                for button in (approve, reject):
                    button.disable()
                    with button:
                        ui.tooltip(why)
                ui.icon("cloud_off" if not self.online else "lock").classes("text-amber-700")
                ui.label(why).classes("text-amber-800 font-medium").props(
                    'data-testid="xfer-why-not"'
                )

    async def decide(self, transfer: TransferOut, decision: service.Decision, **kw: Any) -> bool:
        if self.busy:
            return False
        self.busy = True
        try:
            await service.decide(self.runtime, self.user, transfer.id, decision, **kw)
        except service.NeedsCloudError:
            ui.notify(t("xfer.needs_cloud"), type="negative")
            return False
        except StockyError as exc:
            ui.notify(exc.message, type="negative", multi_line=True)
            return False
        finally:
            self.busy = False
        done = "xfer.approved_done" if decision == "approve" else "xfer.rejected_done"
        ui.notify(t(done), type="positive")
        return True

    async def approve(self, transfer: TransferOut) -> None:
        await self.decide(transfer, "approve")

    def ask_reason(self, transfer: TransferOut) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-[480px] gap-3"):
            ui.label(t("xfer.reject_title")).classes("text-lg font-bold")
            ui.label(route(transfer)).classes("stocky-muted")
            reason = (
                ui.textarea(t("xfer.reject_reason"))
                .props('outlined autofocus maxlength=500 data-testid="xfer-reject-reason"')
                .classes("w-full")
            )

            async def confirm() -> None:
                text = (reason.value or "").strip()
                if not text:
                    ui.notify(t("xfer.reject_needs_reason"), type="warning")
                    return
                if await self.decide(transfer, "reject", reason=text):
                    dialog.close()

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(t("common.cancel"), on_click=dialog.close).props("flat no-caps")
                ui.button(t("xfer.reject"), icon="close", on_click=confirm).props(
                    'unelevated no-caps color=negative data-testid="xfer-reject-confirm"'
                )
        dialog.open()


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    screen = TransfersScreen(runtime, user)
    with ui.row().classes("w-full items-end gap-3"):
        with ui.column().classes("gap-0"):
            ui.label(t("xfer.title")).classes("text-2xl font-bold text-slate-800")
            ui.label(t("xfer.subtitle")).classes("stocky-muted")
    await screen.load()
    with ui.column().classes("w-full gap-3").props('data-testid="xfer-list"'):
        screen.draw()

    async def refresh() -> None:
        if await screen.load():
            screen.draw.refresh()

    ui.timer(REFRESH_S, refresh)


async def watch_notices(runtime: CajaRuntime) -> None:
    """A toast for each transfer noticed by the pull after this screen opened."""
    store = runtime.require_store()
    last = {"seq": await store.aread(queries.last_notice)}

    async def check() -> None:
        found = await store.aread(lambda c: queries.notices_after(c, last["seq"]))
        for seq, transfer in found:
            last["seq"] = seq
            ui.notify(
                t(f"xfer.toast.{transfer.status}", route=route(transfer)),
                type=TOAST_TYPE.get(transfer.status, "info"),
                position="bottom-right",
                timeout=8000,
            )

    ui.timer(REFRESH_S, check)
