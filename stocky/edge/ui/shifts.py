"""Shift screen: open with a float; close with a count after flushing the outbox; Z report."""

from __future__ import annotations

from decimal import Decimal

from nicegui import ui

from stocky.edge.auth.session import LocalUser
from stocky.edge.errors import StockyError
from stocky.edge.shifts.schemas import ShiftClose, ShiftOpen, ZReport
from stocky.edge.shifts.service import close_shift, current_shift, open_shift
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_datetime, format_money, parse_decimal
from stocky.ui.i18n import t


def z_report(report: ZReport, currency: str, locale: str, timezone: str) -> None:
    def money(value: Decimal) -> str:
        return format_money(value, currency, locale)

    with ui.column().classes("stocky-card p-6 gap-2 w-[520px]").props('data-testid="z-report"'):
        ui.label(t("shift.z_title")).classes("text-xl font-bold")
        ui.label(
            f"{format_datetime(report.opened_at, timezone)} → "
            f"{format_datetime(report.closed_at, timezone)}"
        ).classes("stocky-muted")
        rows = [
            (f"{t('shift.sales')} ({report.sales_count})", report.total),
            (f"{t('shift.returns')} ({report.returns_count})", -report.refunds_total),
            (t("shift.net"), report.net),
            (t("pos.tax"), report.tax),
        ]
        for label, value in rows:
            with ui.row().classes("w-full justify-between"):
                ui.label(label)
                ui.label(money(value)).classes("stocky-num font-medium")
        ui.separator()
        ui.label(t("shift.by_method")).classes("font-semibold")
        # Cash as kept, net of the change handed back, so the methods add up to the sales.
        taken = {**report.payments, "cash": report.cash_in}
        for method in ("cash", "card", "transfer"):
            with ui.row().classes("w-full justify-between"):
                ui.label(t(f"pay.{method}"))
                ui.label(money(taken.get(method, Decimal(0)))).classes("stocky-num").props(
                    f'data-testid="z-{method}"'
                )
        ui.separator()
        for label, value, testid in (
            (t("shift.float"), report.opening_float, "z-float"),
            (t("shift.expected"), report.expected_cash, "z-expected"),
            (t("shift.counted_short"), report.counted_cash, "z-counted"),
        ):
            with ui.row().classes("w-full justify-between"):
                ui.label(label)
                ui.label(money(value)).classes("stocky-num font-medium").props(
                    f'data-testid="{testid}"'
                )
        color = "text-positive" if report.difference == 0 else "text-negative"
        with ui.row().classes(f"w-full justify-between text-lg font-bold {color}"):
            ui.label(t("shift.difference"))
            ui.label(money(report.difference)).props('data-testid="z-difference"')


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    store = runtime.require_store()
    sede = runtime.sede
    currency, locale, tz = (
        (sede.currency, sede.locale, sede.timezone) if sede else ("COP", "es-CO", "UTC")
    )
    shift = await store.aread(current_shift)
    box = ui.row().classes("w-full gap-6 items-start")
    with box, ui.column().classes("stocky-card p-6 gap-4 w-[440px]"):
        ui.label(t("shift.title")).classes("text-xl font-bold")
        if shift is None:
            ui.label(t("shift.none")).classes("stocky-muted")
            amount = (
                ui.input(t("shift.float"))
                .props('outlined inputmode=decimal data-testid="shift-float" input-class="text-xl"')
                .classes("w-full")
            )

            async def do_open() -> None:
                try:
                    cmd = ShiftOpen(opening_float=parse_decimal(amount.value or "0", locale))
                    await store.awrite(
                        lambda conn: open_shift(conn, cmd, user_id=user.id, now=utc_now())
                    )
                except (ValueError, StockyError):
                    ui.notify(t("error.invalid_number", field=t("shift.float")), type="negative")
                    return
                ui.navigate.to("/vender")

            ui.button(t("shift.open"), icon="lock_open", on_click=do_open).props(
                'unelevated size=lg no-caps data-testid="shift-open"'
            ).classes("w-full stocky-big-btn")
            return
        with ui.row().classes("w-full justify-between"):
            ui.label(t("shift.opened_at"))
            ui.label(format_datetime(shift.opened_at, tz)).classes("font-medium")
        with ui.row().classes("w-full justify-between"):
            ui.label(t("shift.float"))
            ui.label(format_money(shift.opening_float, currency, locale)).classes("font-medium")
        counted = (
            ui.input(t("shift.counted"))
            .props('outlined inputmode=decimal data-testid="shift-counted" input-class="text-xl"')
            .classes("w-full")
        )

        async def do_close() -> None:
            try:
                cmd = ShiftClose(counted_cash=parse_decimal(counted.value or "", locale))
            except ValueError:
                ui.notify(t("error.invalid_number", field=t("shift.counted")), type="negative")
                return
            close_btn.props("loading")
            close_btn.text = t("shift.closing")
            # Same order as the local API: flush the outbox (best effort), then close.
            for hook in runtime.shift_close_hooks():
                await hook()
            try:
                closed = await store.awrite(
                    lambda conn: close_shift(conn, cmd, user_id=user.id, now=utc_now())
                )
            except StockyError as exc:
                ui.notify(str(exc), type="negative")
                return
            box.clear()
            with box:
                assert closed.z_report is not None
                z_report(closed.z_report, currency, locale, tz)
                with ui.column().classes("gap-3"):
                    ui.button(
                        t("shift.print"),
                        icon="print",
                        on_click=lambda: ui.run_javascript("window.print()"),
                    ).props("outline size=lg no-caps")
                    ui.button(
                        t("shift.open"), icon="lock_open", on_click=lambda: ui.navigate.to("/turno")
                    ).props("unelevated size=lg no-caps")

        close_btn = (
            ui.button(t("shift.close"), icon="lock", on_click=do_close)
            .props('unelevated size=lg no-caps color=secondary data-testid="shift-close"')
            .classes("w-full stocky-big-btn")
        )
