"""The Z report as shown and printed: who and where, the shift's times, and the figures.

Printing shows only the report (Z_PRINT_CSS hides the rest of the page, dialogs included).
"""

from __future__ import annotations

from decimal import Decimal

from nicegui import ui

from stocky.edge.shifts.schemas import ZReport
from stocky.ui.formats import format_datetime, format_money
from stocky.ui.i18n import t

Z_PRINT_CSS = """
@media print {
  @page { size: 80mm auto; margin: 4mm; }
  body * { visibility: hidden; }
  .stocky-z, .stocky-z * { visibility: visible; }
  .stocky-z { position: absolute; left: 0; top: 0; width: 72mm !important;
    box-shadow: none !important; padding: 0 !important; font-size: 11px; }
  .stocky-no-print { display: none !important; }
  .stocky-z .text-sm { font-size: 10px !important; }
  /* A reprint sits in a dialog: unclip and unposition its frames so the report prints at
     the page's top left, whole. */
  .q-dialog__inner, .q-dialog__inner > *, .q-dialog .q-card { position: static !important;
    overflow: visible !important; max-height: none !important; transform: none !important; }
}
"""
METHODS = ("cash", "card", "transfer")


def _row(label: str, value: str, testid: str | None = None, *, bold: bool = False) -> None:
    with ui.row().classes("w-full justify-between no-wrap" + (" font-bold" if bold else "")):
        ui.label(label)
        shown = ui.label(value).classes("stocky-num font-medium whitespace-nowrap text-right")
        if testid:
            shown.props(f'data-testid="{testid}"')


def z_report(report: ZReport, currency: str, locale: str, timezone: str) -> None:
    """The report card (data-testid z-report); the page adds Z_PRINT_CSS once."""

    def money(value: Decimal) -> str:
        return format_money(value, currency, locale)

    ui.add_css(Z_PRINT_CSS)
    with (
        ui.column()
        .classes("stocky-card stocky-z p-6 gap-1 w-[460px]")
        .props('data-testid="z-report"')
    ):
        ui.label(t("shift.z_title")).classes("text-xl font-bold")
        for label, value, testid in (
            (t("shift.business"), report.business, "z-business"),
            (t("shift.sede"), report.sede, "z-sede"),
            (t("shift.caja"), report.caja, "z-caja"),
            (t("shift.cashier"), report.cashier, "z-cashier"),
        ):
            if value:
                _row(label, value, testid)
        _row(
            t("shift.period"),
            f"{format_datetime(report.opened_at, timezone)} → "
            f"{format_datetime(report.closed_at, timezone)}",
            "z-period",
        )
        if report.closed_by_name and report.closed_by_name != report.cashier:
            _row(t("shift.closed_by"), report.closed_by_name)
        if report.first_receipt and report.last_receipt:
            _row(
                t("shift.receipts"),
                f"{report.first_receipt} → {report.last_receipt}",
                "z-receipts",
            )
        ui.separator()
        _row(f"{t('shift.sales')} ({report.sales_count})", money(report.total))
        _row(f"{t('shift.returns')} ({report.returns_count})", money(-report.refunds_total))
        adopted_note(report.adopted_sales, report.adopted_returns)
        _row(t("shift.net"), money(report.net), "z-net", bold=True)
        _row(t("pos.tax"), money(report.tax))
        ui.separator()
        ui.label(t("shift.by_method")).classes("font-semibold")
        # Cash as kept, net of the change handed back, so the methods add up to the sales.
        taken = {**report.payments, "cash": report.cash_in}
        for method in METHODS:
            _row(t(f"pay.{method}"), money(taken.get(method, Decimal(0))), f"z-{method}")
        if report.net_by_method:
            ui.separator()
            ui.label(t("shift.net_by_method")).classes("font-semibold")
            for method in METHODS:
                net = report.net_by_method.get(method, Decimal(0))
                _row(t(f"pay.{method}"), money(net), f"z-net-{method}")
        ui.separator()
        _row(t("shift.float"), money(report.opening_float), "z-float")
        _row(t("shift.paid_in"), money(report.paid_in), "z-paid-in")
        _row(t("shift.paid_out"), money(-report.paid_out), "z-paid-out")
        for m in report.cash_movements:
            amount = money(-m.amount if m.type == "out" else m.amount)
            with ui.row().classes("w-full justify-between no-wrap text-sm stocky-muted pl-3"):
                ui.label(f"{format_datetime(m.client_ts, timezone)} · {m.reason}")
                ui.label(amount).classes("stocky-num whitespace-nowrap")
        _row(t("shift.expected"), money(report.expected_cash), "z-expected")
        _row(t("shift.counted_short"), money(report.counted_cash), "z-counted")
        color = "text-positive" if report.difference == 0 else "text-negative"
        with ui.row().classes(f"w-full justify-between text-lg font-bold {color}"):
            ui.label(t("shift.difference"))
            ui.label(money(report.difference)).props('data-testid="z-difference"')


def adopted_note(sales: int, returns: int) -> None:
    """Say that the shift took in sales or returns made while no shift was open."""
    for count, key, testid in (
        (sales, "shift.adopted_sales", "z-adopted-sales"),
        (returns, "shift.adopted_returns", "z-adopted-returns"),
    ):
        if count:
            text = t(f"{key}_one") if count == 1 else t(key, count=count)
            ui.label(text).classes("text-sm stocky-muted").props(f'data-testid="{testid}"')


def print_button() -> None:
    ui.button(
        t("shift.print"), icon="print", on_click=lambda: ui.run_javascript("window.print()")
    ).props('outline size=lg no-caps data-testid="z-print"').classes("stocky-no-print")
