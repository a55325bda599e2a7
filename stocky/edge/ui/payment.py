"""The payment dialog: cash with change, card, transfer, or a mix of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import ROUND_CEILING, Decimal

from nicegui import ui

from stocky.edge.pos.customers import CustomerHit
from stocky.edge.pos.schemas import CustomerIn
from stocky.edge.ui.shift_guard import refuse_without_shift
from stocky.ui.formats import NumberError, format_money, format_number, parse_decimal
from stocky.ui.i18n import t

# The amounts per method, and the customer to print on the receipt (optional).
Pay = Callable[[dict[str, Decimal], CustomerIn | None], Awaitable[None]]
# The customers synced from the cloud that match what was typed (name or NIT/CC).
FindCustomers = Callable[[str], Awaitable[list[CustomerHit]]]
METHODS = ("cash", "card", "transfer")


def quick_cash_amounts(total: Decimal, currency: str) -> list[Decimal]:
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
        # Decimal's // truncates toward zero, so a ceiling needs the explicit rounding.
        amount = (total / step).to_integral_value(ROUND_CEILING) * step
        if amount > total and amount not in out:
            out.append(amount)
        if len(out) == 3:
            break
    return out


def open_payment(
    total: Decimal,
    currency: str,
    locale: str,
    on_pay: Pay,
    find_customers: FindCustomers | None = None,
) -> ui.dialog:
    """Open the payment dialog for `total`; on_pay gets the amounts per method on confirm."""
    return PaymentDialog(total, currency, locale, on_pay, find_customers).open()


class PaymentDialog:
    """The mode toggle, cash received (with quick bills) or a mixed split, change, confirm."""

    dialog: ui.dialog
    mode: ui.toggle
    cash_box: ui.column
    received: ui.input
    mixed_box: ui.column
    mixed: dict[str, ui.input]
    summary: ui.label
    confirm: ui.button
    customer_name: ui.input
    customer_tax_id: ui.input
    customer_search: ui.input
    customer_hits: ui.column

    def __init__(
        self,
        total: Decimal,
        currency: str,
        locale: str,
        on_pay: Pay,
        find_customers: FindCustomers | None = None,
    ) -> None:
        self.total, self.currency, self.locale, self.on_pay = total, currency, locale, on_pay
        self.find_customers = find_customers
        self.paid: dict[str, Decimal] = {}
        self.problem = ""
        self.picked: CustomerHit | None = None

    def money(self, value: Decimal) -> str:
        return format_money(value, self.currency, self.locale)

    def open(self) -> ui.dialog:
        with (
            ui.dialog().props("persistent") as self.dialog,
            ui.card().classes("p-6 gap-4 w-[520px]"),
        ):
            ui.label(t("pay.title")).classes("text-xl font-bold")
            ui.label(self.money(self.total)).classes("stocky-total").props(
                'data-testid="pay-total"'
            )
            self.mode = ui.toggle(
                {m: t(f"pay.{m}") for m in ("cash", "card", "transfer", "mixed")}, value="cash"
            ).props('no-caps spread unelevated toggle-color=primary data-testid="pay-mode"')
            self.mode.classes("w-full")
            self._build_cash()
            self._build_mixed()
            self._build_customer()
            self.summary = (
                ui.label()
                .classes("text-2xl font-bold stocky-num")
                .props('data-testid="pay-change"')
            )
            self._build_buttons()
            for element in (self.mode, self.received, *self.mixed.values()):
                element.on_value_change(self.update)
            self.received.on("keydown.enter", self.submit)
            self.update()
        self.dialog.open()
        return self.dialog

    def _build_cash(self) -> None:
        self.cash_box = ui.column().classes("w-full gap-2")
        with self.cash_box:
            self.received = (
                ui.input(t("pay.received"))
                .props(
                    'outlined autofocus inputmode=decimal data-testid="pay-received" '
                    'input-class="text-2xl"'
                )
                .classes("w-full")
            )
            with ui.row().classes("gap-2"):
                ui.button(t("pay.exact"), on_click=lambda: self._set_received(self.total)).props(
                    "outline no-caps"
                )
                for bill in quick_cash_amounts(self.total, self.currency):
                    ui.button(
                        self.money(bill), on_click=lambda b=bill: self._set_received(b)
                    ).props("outline no-caps")

    def _set_received(self, amount: Decimal) -> None:
        # Shown as the person would type it in their language ("20.000" / "20,000").
        places = 0 if amount == amount.to_integral_value() else 2
        self.received.set_value(format_number(amount, places, self.locale))

    def _build_mixed(self) -> None:
        self.mixed_box = ui.column().classes("w-full gap-2")
        self.mixed = {}
        with self.mixed_box:
            for method in METHODS:
                self.mixed[method] = (
                    ui.input(t(f"pay.{method}"))
                    .props(f'outlined dense inputmode=decimal data-testid="pay-mixed-{method}"')
                    .classes("w-full")
                )
        self.mixed_box.visible = False

    def _build_customer(self) -> None:
        with (
            ui.expansion(t("pay.customer"), icon="person")
            .classes("w-full")
            .props('dense data-testid="pay-customer"')
        ):
            if self.find_customers is not None:
                self._build_customer_search()
            with ui.row().classes("w-full no-wrap gap-2"):
                self.customer_name = ui.input(t("pay.customer_name")).props(
                    'outlined dense maxlength=200 data-testid="customer-name"'
                )
                self.customer_name.classes("grow")
                self.customer_tax_id = ui.input(t("pay.customer_tax_id")).props(
                    'outlined dense maxlength=40 data-testid="customer-tax-id"'
                )

    def _build_customer_search(self) -> None:
        self.customer_search = (
            ui.input(t("pay.customer_search"))
            .props('outlined dense clearable maxlength=200 data-testid="customer-search"')
            .classes("w-full")
        )
        self.customer_search.on_value_change(self._search_customers)
        self.customer_hits = ui.column().classes("w-full gap-1")

    async def _search_customers(self) -> None:
        assert self.find_customers is not None
        typed = self.customer_search.value or ""
        hits = await self.find_customers(typed) if typed.strip() else []
        if (self.customer_search.value or "") != typed:
            return  # typed on while this search ran: the newer search shows its own hits
        self.customer_hits.clear()
        with self.customer_hits:
            if typed.strip() and not hits:
                ui.label(t("pay.customer_none")).classes("text-sm text-grey-7")
            for hit in hits:
                label = hit.name if hit.tax_id is None else f"{hit.name} · {hit.tax_id}"
                ui.button(label, on_click=lambda h=hit: self.pick_customer(h)).props(
                    'flat dense no-caps align=left data-testid="customer-hit"'
                ).classes("w-full")

    def pick_customer(self, hit: CustomerHit) -> None:
        """Fill name and NIT/CC from a synced customer (they stay editable)."""
        self.picked = hit
        self.customer_name.set_value(hit.name)
        self.customer_tax_id.set_value(hit.tax_id or "")
        self.customer_hits.clear()

    def customer(self) -> CustomerIn | None:
        """The customer typed, None if none; a NIT/CC alone asks for the name (ValueError)."""
        name = " ".join((self.customer_name.value or "").split())
        tax_id = (self.customer_tax_id.value or "").strip()
        if not name and not tax_id:
            return None
        if not name:
            raise ValueError(t("pay.customer_needs_name"))
        picked = self.picked
        # The picked customer's id travels only while the receipt names that customer.
        same = picked is not None and (picked.name, picked.tax_id or "") == (name, tax_id)
        return CustomerIn(
            name=name, tax_id=tax_id or None, id=picked.id if same and picked else None
        )

    def _build_buttons(self) -> None:
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("common.cancel"), on_click=self.dialog.close).props("flat size=lg no-caps")
            self.confirm = (
                ui.button(t("pay.confirm"), icon="check", on_click=self.submit)
                .props('unelevated size=lg no-caps color=positive data-testid="pay-confirm"')
                .classes("stocky-big-btn")
            )

    def amounts(self) -> dict[str, Decimal] | None:
        """What was handed over per method, or None (and `problem` says why in words)."""
        self.problem = ""
        try:
            if self.mode.value == "cash":
                typed = (self.received.value or "").strip()
                if not typed:
                    return {"cash": self.total}
                return {"cash": parse_decimal(typed, self.locale, field=t("pay.received"))}
            if self.mode.value == "mixed":
                return {m: self._typed(m, box) for m, box in self.mixed.items()}
            return {str(self.mode.value): self.total}
        except NumberError as exc:
            self.problem = str(exc)
            return None

    def _typed(self, method: str, box: ui.input) -> Decimal:
        if not (box.value or "").strip():
            return Decimal(0)
        # Parsed in this browser's language: "20,000" in English is twenty thousand.
        return parse_decimal(box.value, self.locale, field=t(f"pay.{method}"))

    def update(self) -> None:
        self.cash_box.visible = self.mode.value == "cash"
        self.mixed_box.visible = self.mode.value == "mixed"
        paid = self.amounts()
        if paid is None:
            self.summary.text = self.problem
            self.summary.classes(replace="text-xl font-bold text-negative")
            self.confirm.disable()
            return
        given = sum(paid.values(), Decimal(0))
        not_cash = given - paid.get("cash", Decimal(0))
        ok = given >= self.total and not_cash <= self.total
        if given >= self.total:
            self.summary.text = f"{t('pay.change')}: {self.money(given - self.total)}"
        else:
            self.summary.text = f"{t('pay.missing')}: {self.money(self.total - given)}"
        self.summary.classes(
            replace="text-2xl font-bold stocky-num " + ("text-positive" if ok else "text-negative")
        )
        self.confirm.set_enabled(ok)
        self.paid = paid

    async def submit(self) -> None:
        self.update()
        if not self.confirm.enabled:
            return
        if await refuse_without_shift(dict(self.paid)):  # cash with no shift: say so first
            self.dialog.close()
            return
        try:
            customer = self.customer()
        except ValueError:
            ui.notify(t("pay.customer_needs_name"), type="negative")
            return
        self.confirm.props("loading")
        await self.on_pay(self.paid, customer)
        self.dialog.close()
