"""Returns: find a past sale by its receipt number, pick what comes back, refund it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nicegui import ui

from stocky.edge.auth.session import LocalUser
from stocky.edge.errors import StockyError
from stocky.edge.pos.schemas import ReturnCreate, ReturnLineIn
from stocky.edge.pos.service import load_sale, record_return
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui import repository as repo
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_money, format_quantity, parse_decimal
from stocky.ui.i18n import t


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    store = runtime.require_store()
    sede = runtime.sede
    currency, locale = (sede.currency, sede.locale) if sede else ("COP", "es-CO")
    with ui.row().classes("stocky-card w-full p-4 items-center gap-3"):
        number = (
            ui.input(t("returns.find"))
            .props('outlined dense autofocus inputmode=numeric data-testid="return-number"')
            .classes("w-64")
        )
        ui.button(t("returns.find_btn"), icon="search", on_click=lambda: find()).props(
            "unelevated no-caps"
        )
    box = ui.column().classes("w-full gap-3")

    async def find() -> None:
        text = (number.value or "").strip().lstrip("#")
        box.clear()
        sale_id = (
            await store.aread(lambda conn: repo.sale_id_by_number(conn, int(text)))
            if text.isdigit()
            else None
        )
        if sale_id is None:
            ui.notify(t("returns.not_found", number=text), type="warning")
            return
        sale = await store.aread(lambda conn: load_sale(conn, sale_id))
        picks: list[dict[str, Any]] = []
        with box, ui.column().classes("stocky-card w-full p-5 gap-2"):
            ui.label(t("receipt.number", number=sale.number)).classes("text-lg font-bold")
            for line in sale.lines:
                left = line.quantity - line.returned_quantity
                pick = {"line_id": line.id, "qty": "", "left": left}
                picks.append(pick)
                with ui.row().classes("w-full items-center gap-4 border-b py-2"):
                    ui.label(line.name).classes("grow font-medium")
                    ui.label(f"{t('returns.sold')}: {format_quantity(line.quantity, 'x', locale)}")
                    ui.label(
                        f"{t('returns.returned')}: "
                        f"{format_quantity(line.returned_quantity, 'x', locale)}"
                    ).classes("stocky-muted")
                    ui.input(t("returns.to_return")).bind_value(pick, "qty").props(
                        "outlined dense inputmode=decimal"
                    ).classes("w-32").set_enabled(left > 0)
            with ui.row().classes("w-full items-center gap-3"):
                method = (
                    ui.select(
                        {m: t(f"pay.{m}") for m in ("cash", "card", "transfer")},
                        value="cash",
                        label=t("returns.method"),
                    )
                    .props("outlined dense")
                    .classes("w-48")
                )
                reason = ui.input(t("returns.reason")).props("outlined dense").classes("grow")

                async def submit() -> None:
                    try:
                        lines = [
                            ReturnLineIn(
                                line_id=p["line_id"], quantity=parse_decimal(p["qty"], locale)
                            )
                            for p in picks
                            if (p["qty"] or "").strip()
                        ]
                        cmd = ReturnCreate(
                            sale_id=sale.id,
                            lines=lines or None,
                            refund_method=method.value,
                            reason=(reason.value or "").strip() or None,
                        )
                        done = await store.awrite(
                            lambda conn: record_return(conn, cmd, user_id=user.id, now=utc_now())
                        )
                    except (ValueError, StockyError) as exc:
                        ui.notify(str(exc), type="negative")
                        return
                    amount = format_money(done.refund_total or Decimal(0), currency, locale)
                    ui.notify(t("returns.done", amount=amount), type="positive")
                    await find()

                ui.button(t("returns.submit"), icon="assignment_return", on_click=submit).props(
                    'unelevated no-caps size=lg data-testid="return-submit"'
                ).classes("stocky-big-btn")

    number.on("keydown.enter", find)
