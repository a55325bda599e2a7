"""Shift screen: open with a float; close with a count after flushing the outbox; Z report."""

from __future__ import annotations

from nicegui import ui

from stocky.core.errors import StockyError
from stocky.edge.auth.session import LocalUser
from stocky.edge.shifts.schemas import ShiftClose, ShiftOpen
from stocky.edge.shifts.service import current_shift, open_shift
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui.errors import show_error
from stocky.edge.ui.runtime import CajaRuntime
from stocky.edge.ui.shift_cash import cash_card, closed_list
from stocky.edge.ui.z_report import adopted_note, print_button, z_report
from stocky.ui.formats import format_datetime, format_money, parse_decimal
from stocky.ui.i18n import t


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    store = runtime.require_store()
    sede = runtime.sede
    currency, locale, tz = (
        (sede.currency, sede.locale, sede.timezone) if sede else ("COP", "es-CO", "UTC")
    )
    shift = await store.aread(current_shift)
    screen = ui.column().classes("w-full gap-6")
    with screen:
        box = ui.row().classes("w-full gap-6 items-start no-wrap")
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
                    opened = await store.awrite(
                        lambda conn: open_shift(conn, cmd, user_id=user.id, now=utc_now())
                    )
                except (ValueError, StockyError):
                    ui.notify(t("error.invalid_number", field=t("shift.float")), type="negative")
                    return
                if opened.adopted_sales:  # the sales made before it opened are this shift's
                    count = opened.adopted_sales
                    key = "shift.adopted_sales_one" if count == 1 else "shift.adopted_sales"
                    ui.notify(t(key, count=count), type="info")
                ui.navigate.to("/vender")

            ui.button(t("shift.open"), icon="lock_open", on_click=do_open).props(
                'unelevated size=lg no-caps data-testid="shift-open"'
            ).classes("w-full stocky-big-btn")
            with screen:
                await closed_list(store, currency, locale, tz)
            return
        with ui.row().classes("w-full justify-between"):
            ui.label(t("shift.opened_at"))
            ui.label(format_datetime(shift.opened_at, tz)).classes("font-medium")
        with ui.row().classes("w-full justify-between"):
            ui.label(t("shift.float"))
            ui.label(format_money(shift.opening_float, currency, locale)).classes("font-medium")
        adopted_note(shift.adopted_sales, shift.adopted_returns)
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
            try:  # the outbox is flushed first (best effort), as the local API does
                closed = await runtime.close_shift_flushed(cmd, user_id=user.id)
            except StockyError as exc:
                close_btn.props(remove="loading")
                close_btn.text = t("shift.close")
                show_error(
                    exc, {"counted_cash": t("shift.counted")}, currency=currency, locale=locale
                )
                return
            box.clear()
            with box:
                assert closed.z_report is not None
                z_report(closed.z_report, currency, locale, tz)
                with ui.column().classes("gap-3 stocky-no-print"):
                    print_button()
                    # The same route: reload, so the screen shows the open form again.
                    ui.button(t("shift.open"), icon="lock_open", on_click=ui.navigate.reload).props(
                        'unelevated size=lg no-caps data-testid="z-new-shift"'
                    )

        close_btn = (
            ui.button(t("shift.close"), icon="lock", on_click=do_close)
            .props('unelevated size=lg no-caps color=secondary data-testid="shift-close"')
            .classes("w-full stocky-big-btn")
        )
    with box:
        await cash_card(store, user, currency, locale, tz)
    with screen:
        await closed_list(store, currency, locale, tz)
