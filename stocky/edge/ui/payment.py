"""The payment dialog: cash with change, card, transfer, or a mix of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from nicegui import ui

from stocky.ui.formats import format_money, parse_decimal
from stocky.ui.i18n import t

Pay = Callable[[dict[str, Decimal]], Awaitable[None]]
METHODS = ("cash", "card", "transfer")


def _bills(total: Decimal, currency: str) -> list[Decimal]:
    """Quick cash buttons: the next round amounts a customer is likely to hand over."""
    steps = [
        Decimal(s)
        for s in (
            (1000, 2000, 5000, 10000, 20000, 50000, 100000)
            if currency == "COP"
            else (1, 5, 10, 20, 50, 100)
        )
    ]
    out: list[Decimal] = []
    for step in steps:
        amount = -(-total // step) * step
        if amount > total and amount not in out:
            out.append(amount)
        if len(out) == 3:
            break
    return out


def open_payment(total: Decimal, currency: str, locale: str, on_pay: Pay) -> ui.dialog:
    def money(value: Decimal) -> str:
        return format_money(value, currency, locale)

    state: dict[str, object] = {"mode": "cash"}
    with ui.dialog().props("persistent") as dialog, ui.card().classes("p-6 gap-4 w-[520px]"):
        ui.label(t("pay.title")).classes("text-xl font-bold")
        ui.label(money(total)).classes("stocky-total").props('data-testid="pay-total"')
        mode = ui.toggle(
            {m: t(f"pay.{m}") for m in ("cash", "card", "transfer", "mixed")}, value="cash"
        ).props('no-caps spread unelevated toggle-color=primary data-testid="pay-mode"')
        mode.classes("w-full")
        cash_box = ui.column().classes("w-full gap-2")
        with cash_box:
            received = (
                ui.input(t("pay.received"))
                .props(
                    'outlined autofocus inputmode=decimal data-testid="pay-received" '
                    'input-class="text-2xl"'
                )
                .classes("w-full")
            )
            with ui.row().classes("gap-2"):
                ui.button(t("pay.exact"), on_click=lambda: received.set_value(str(total))).props(
                    "outline no-caps"
                )
                for bill in _bills(total, currency):
                    ui.button(
                        money(bill), on_click=lambda b=bill: received.set_value(str(b))
                    ).props("outline no-caps")
        mixed_box = ui.column().classes("w-full gap-2")
        mixed: dict[str, ui.input] = {}
        with mixed_box:
            for method in METHODS:
                mixed[method] = (
                    ui.input(t(f"pay.{method}"))
                    .props(f'outlined dense inputmode=decimal data-testid="pay-mixed-{method}"')
                    .classes("w-full")
                )
        mixed_box.visible = False
        summary = (
            ui.label().classes("text-2xl font-bold stocky-num").props('data-testid="pay-change"')
        )

        def amounts() -> dict[str, Decimal] | None:
            try:
                if mode.value == "cash":
                    return {"cash": parse_decimal(received.value or str(total), locale)}
                if mode.value == "mixed":
                    return {
                        m: parse_decimal(box.value, locale)
                        if (box.value or "").strip()
                        else Decimal(0)
                        for m, box in mixed.items()
                    }
                return {str(mode.value): total}
            except ValueError:
                return None

        def update() -> None:
            cash_box.visible = mode.value == "cash"
            mixed_box.visible = mode.value == "mixed"
            paid = amounts()
            if paid is None:
                summary.text = t("error.invalid_number", field=t("pay.received"))
                summary.classes(replace="text-xl font-bold text-negative")
                confirm.disable()
                return
            given = sum(paid.values(), Decimal(0))
            not_cash = given - paid.get("cash", Decimal(0))
            ok = given >= total and not_cash <= total
            if given >= total:
                summary.text = f"{t('pay.change')}: {money(given - total)}"
            else:
                summary.text = f"{t('pay.missing')}: {money(total - given)}"
            summary.classes(
                replace="text-2xl font-bold stocky-num "
                + ("text-positive" if ok else "text-negative")
            )
            confirm.set_enabled(ok)
            state["paid"] = paid

        async def submit() -> None:
            update()
            if not confirm.enabled:
                return
            confirm.props("loading")
            paid = state["paid"]
            assert isinstance(paid, dict)
            await on_pay(paid)
            dialog.close()

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat size=lg no-caps")
            confirm = (
                ui.button(t("pay.confirm"), icon="check", on_click=submit)
                .props('unelevated size=lg no-caps color=positive data-testid="pay-confirm"')
                .classes("stocky-big-btn")
            )
        for element in (mode, received, *mixed.values()):
            element.on_value_change(update)
        received.on("keydown.enter", submit)
        update()
    dialog.open()
    return dialog
