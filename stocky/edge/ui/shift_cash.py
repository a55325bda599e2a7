"""The shift screen's other cards: cash in / cash out of the open drawer, and closed shifts
with their Z reports to view and reprint."""

from __future__ import annotations

import sqlite3

from nicegui import ui
from pydantic import ValidationError

from stocky.core.errors import StockyError
from stocky.edge.auth.session import LocalUser
from stocky.edge.shifts.schemas import CashMovementIn, CashMovementOut, ShiftOut
from stocky.edge.shifts.service import (
    closed_shifts,
    current_shift,
    record_cash_movement,
    shift_cash_movements,
)
from stocky.edge.store import Store
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui.errors import show_error
from stocky.edge.ui.z_report import print_button, z_report
from stocky.ui.formats import NumberError, format_datetime, format_money, parse_decimal
from stocky.ui.i18n import t


async def cash_card(store: Store, user: LocalUser, currency: str, locale: str, tz: str) -> None:
    """Cash in / cash out with a required reason, and this drawer's movements so far."""
    with ui.column().classes("stocky-card p-6 gap-3 w-[520px]"):
        ui.label(t("shift.cash_title")).classes("text-xl font-bold")
        with ui.row().classes("w-full gap-2 no-wrap"):
            kind = (
                ui.toggle({"in": t("shift.cash_in"), "out": t("shift.cash_out")}, value="in")
                .props('no-caps unelevated toggle-color=primary data-testid="cash-type"')
                .classes("shrink-0")
            )
            amount = (
                ui.input(t("shift.cash_amount"))
                .props('outlined dense inputmode=decimal data-testid="cash-amount"')
                .classes("w-40")
            )
        reason = (
            ui.input(t("shift.cash_reason"))
            .props('outlined dense data-testid="cash-reason"')
            .classes("w-full")
        )
        labels = {"amount": t("shift.cash_amount"), "reason": t("shift.cash_reason")}

        async def show() -> None:
            def read(conn: sqlite3.Connection) -> list[CashMovementOut]:
                shift = current_shift(conn)
                return [] if shift is None else shift_cash_movements(conn, shift.id)

            moves = await store.aread(read)
            listing.clear()
            with listing:
                if not moves:
                    ui.label(t("shift.cash_none")).classes("stocky-muted")
                for m in moves:
                    sign = -1 if m.type == "out" else 1
                    with ui.row().classes(
                        "w-full justify-between no-wrap border-b border-slate-200 py-1"
                    ):
                        ui.label(
                            f"{format_datetime(m.client_ts, tz)} · {t(f'shift.cash_{m.type}')}"
                            f" · {m.reason}"
                        )
                        ui.label(format_money(sign * m.amount, currency, locale)).classes(
                            "stocky-num font-medium"
                        )

        async def submit() -> None:
            if not (reason.value or "").strip():
                ui.notify(t("error.reason_needed", field=labels["reason"]), type="negative")
                return
            try:
                value = parse_decimal(amount.value or "", locale, field=labels["amount"])
                cmd = CashMovementIn(type=kind.value, amount=value, reason=reason.value.strip())
                done = await store.awrite(
                    lambda conn: record_cash_movement(conn, cmd, user_id=user.id, now=utc_now())
                )
            except (NumberError, ValidationError, StockyError) as exc:
                show_error(exc, labels, currency=currency, locale=locale)
                return
            ui.notify(
                t(
                    "shift.cash_done",
                    kind=t(f"shift.cash_{done.type}"),
                    amount=format_money(done.amount, currency, locale),
                ),
                type="positive",
            )
            amount.set_value("")
            reason.set_value("")
            await show()

        ui.button(t("shift.cash_submit"), icon="payments", on_click=submit).props(
            'unelevated no-caps data-testid="cash-submit"'
        ).classes("w-full")
        ui.separator()
        ui.label(t("shift.movements")).classes("font-semibold")
        listing = ui.column().classes("w-full gap-1").props('data-testid="cash-movements"')
        await show()


async def closed_list(store: Store, currency: str, locale: str, tz: str) -> None:
    """Closed shifts, newest first, each opening its Z report to view and reprint."""
    shifts: list[ShiftOut] = await store.aread(lambda conn: closed_shifts(conn, limit=30))
    with (
        ui.column()
        .classes("stocky-card p-6 gap-2 w-full max-w-[1000px]")
        .props('data-testid="closed-shifts"')
    ):
        ui.label(t("shift.closed_list")).classes("text-xl font-bold")
        if not shifts:
            ui.label(t("shift.closed_none")).classes("stocky-muted")
        for shift in shifts:
            z = shift.z_report
            with ui.row().classes(
                "w-full items-center gap-4 border-b border-slate-200 py-2 no-wrap"
            ):
                opened, closed = (
                    format_datetime(x, tz) for x in (shift.opened_at, shift.closed_at)
                )
                ui.label(f"{opened} → {closed}").classes("grow font-medium")
                if z is not None:
                    ui.label(z.cashier or "").classes("w-40 stocky-muted")
                    ui.label(f"{t('shift.net')}: {format_money(z.net, currency, locale)}").classes(
                        "w-48 stocky-num"
                    )
                    ui.label(
                        f"{t('shift.difference')}: {format_money(z.difference, currency, locale)}"
                    ).classes("w-48 stocky-num " + ("" if z.difference == 0 else "text-negative"))

                    def view(shift: ShiftOut = shift) -> None:
                        assert shift.z_report is not None
                        with ui.dialog() as dialog, ui.card().classes("p-4 gap-3 items-center"):
                            z_report(shift.z_report, currency, locale, tz)
                            with ui.row().classes("gap-2 stocky-no-print"):
                                ui.button(t("common.close"), on_click=dialog.close).props(
                                    "flat no-caps"
                                )
                                print_button()
                        dialog.open()

                    ui.button(t("shift.view_z"), icon="receipt_long", on_click=view).props(
                        f'outline no-caps data-testid="view-z-{shift.id}"'
                    )
