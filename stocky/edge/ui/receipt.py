"""The receipt screen right after a sale, and its 80 mm print view (the browser prints it)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from nicegui import ui

from stocky.core.errors import NotFoundError
from stocky.edge.pos.schemas import SaleLineOut, SaleOut
from stocky.edge.pos.service import load_sale
from stocky.edge.ui import repository as repo
from stocky.edge.ui.layout import guard, top_bar
from stocky.edge.ui.status_bar import status_bar
from stocky.ui.formats import format_datetime, format_money, format_quantity
from stocky.ui.i18n import t

# Only the ticket is printed, on an 80 mm roll (72 mm printable).
PRINT_CSS = """
@media print {
  @page { size: 80mm auto; margin: 4mm; }
  body * { visibility: hidden; }
  .stocky-ticket, .stocky-ticket * { visibility: visible; }
  .stocky-ticket { position: absolute; left: 0; top: 0; width: 72mm !important;
    box-shadow: none !important; padding: 0 !important; font-size: 11px; }
}
.stocky-ticket { font-family: 'DejaVu Sans Mono', 'Courier New', monospace; width: 340px; }
"""


def amount_row(label: str, amount: str, *, testid: str | None = None) -> None:
    with ui.row().classes("w-full justify-between"):
        ui.label(label)
        value = ui.label(amount).classes("stocky-num")
        if testid:
            value.props(f'data-testid="{testid}"')


def ticket_line(line: SaleLineOut, money: Callable[[Decimal], str], locale: str) -> None:
    """ "2 x $ 16.300 = $ 32.600", then the discount as a negative line, then the net."""
    with ui.column().classes("w-full gap-0").props('data-testid="receipt-line"'):
        ui.label(line.name).classes("font-semibold")
        quantity = format_quantity(line.quantity, "x", locale)
        amount_row(f"{quantity} x {money(line.unit_price)} =", money(line.gross))
        if line.discount:
            amount_row(t("pos.discount"), money(-line.discount))
            with ui.row().classes("w-full justify-end font-semibold"):
                ui.label(money(line.total)).classes("stocky-num")


def _rate(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"


def ticket(
    sale: SaleOut,
    *,
    business: str,
    sede: str,
    legal: dict[str, str] | None = None,
    cashier: str,
    currency: str,
    locale: str,
    timezone: str,
) -> None:
    def money(value: Decimal) -> str:
        return format_money(value, currency, locale)

    with ui.column().classes("stocky-ticket stocky-card p-5 gap-1").props('data-testid="receipt"'):
        legal = legal or {}
        ui.label(legal.get("legal_name") or business).classes(
            "text-lg font-bold self-center text-center"
        ).props('data-testid="receipt-business"')
        if legal.get("tax_id"):
            ui.label(f"{t('receipt.tax_id')} {legal['tax_id']}").classes("self-center")
        if legal.get("address"):
            ui.label(legal["address"]).classes("self-center text-center")
        ui.label(sede).classes("self-center")
        ui.label(t("receipt.number", number=sale.receipt)).classes("self-center font-bold").props(
            'data-testid="receipt-number"'
        )
        ui.label(format_datetime(sale.client_ts, timezone, seconds=True)).classes("self-center")
        if sale.customer_name:
            ui.separator()
            with ui.column().classes("w-full gap-0").props('data-testid="receipt-customer"'):
                ui.label(f"{t('receipt.customer')}: {sale.customer_name}")
                if sale.customer_tax_id:
                    ui.label(f"{t('pay.customer_tax_id')}: {sale.customer_tax_id}")
        ui.separator()
        for line in sale.lines:
            ticket_line(line, money, locale)
        ui.separator()
        amount_row(t("pos.subtotal"), money(sale.subtotal))
        if sale.discount:
            amount_row(t("pos.discount"), money(-sale.discount), testid="receipt-discount")
        for tax in sale.taxes:
            with (
                ui.row()
                .classes("w-full justify-between text-sm")
                .props('data-testid="receipt-tax-rate"')
            ):
                rate = t("receipt.tax_rate", rate=_rate(tax.rate))
                ui.label(f"{rate} · {t('receipt.tax_base')} {money(tax.base)}")
                ui.label(money(tax.tax)).classes("stocky-num")
        amount_row(t("pos.tax"), money(sale.tax))
        with ui.row().classes("w-full justify-between text-xl font-bold"):
            ui.label(t("pos.total"))
            ui.label(money(sale.total)).props('data-testid="receipt-total"')
        for p in sale.payments:
            with ui.row().classes("w-full justify-between"):
                ui.label(t(f"pay.{p.method}"))
                ui.label(money(p.amount))
        with ui.row().classes("w-full justify-between font-bold"):
            ui.label(t("pay.change"))
            ui.label(money(sale.change)).props('data-testid="receipt-change"')
        ui.separator()
        ui.label(f"{t('receipt.cashier')}: {cashier}").classes("text-sm")
        ui.label(t("receipt.thanks")).classes("self-center font-semibold mt-2")


async def page(sale_id: str) -> None:
    found = await guard()
    if found is None:
        return
    runtime, user = found
    store = runtime.require_store()
    try:
        sale = await store.aread(lambda conn: load_sale(conn, sale_id))
    except NotFoundError:
        ui.navigate.to("/vender")
        return
    cashier = await store.aread(lambda conn: repo.user_name(conn, sale.user_id))
    sede = runtime.sede
    assert sede is not None
    ui.add_css(PRINT_CSS)
    top_bar(runtime, user, "/vender")
    with ui.row().classes("w-full justify-center gap-8 pt-6 pb-16 items-start"):
        ticket(
            sale,
            business=sede.tenant_name,
            sede=sede.sede_name,
            legal=sede.business,
            cashier=cashier,
            currency=sede.currency,
            locale=sede.locale,
            timezone=sede.timezone,
        )
        with ui.column().classes("gap-3 w-[320px]"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("check_circle", size="40px").classes("text-positive")
                ui.label(t("receipt.title")).classes("text-2xl font-bold").props(
                    'data-testid="receipt-title"'
                )
            ui.label(t("pay.change")).classes("text-sm font-semibold uppercase stocky-muted")
            ui.label(format_money(sale.change, sede.currency, sede.locale)).classes(
                "stocky-total text-positive"
            )
            new_sale = ui.button(
                t("receipt.new_sale"),
                icon="add_shopping_cart",
                on_click=lambda: ui.navigate.to("/vender"),
            )
            new_sale.props('unelevated size=lg no-caps autofocus data-testid="new-sale"').classes(
                "w-full stocky-big-btn"
            )
            ui.button(
                t("receipt.print"),
                icon="print",
                on_click=lambda: ui.run_javascript("window.print()"),
            ).props("outline size=lg no-caps").classes("w-full stocky-big-btn")
    status_bar(runtime, user)
