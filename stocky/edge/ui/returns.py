"""Returns: find a past sale by its receipt number, pick what comes back, refund it.

Only the lines and quantities typed come back (nothing typed is refused here, never sent as
a whole-ticket return); the refund split is shown as it will be written, confirmed in a
dialog, and a manager approves when the sede's rules ask for one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from nicegui import app, ui
from pydantic import ValidationError

from stocky.core.errors import StockyError
from stocky.edge.auth.session import LocalUser
from stocky.edge.pos.approval import approval_options, approver
from stocky.edge.pos.imported import CloudLookupUnavailableError, find_sale
from stocky.edge.pos.returns import record_return
from stocky.edge.pos.schemas import ManagerLogin, ReturnCreate, ReturnLineIn, SaleOut
from stocky.edge.pos.service import load_sale
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui.approval_dialog import manager_dialog, refusal_text
from stocky.edge.ui.errors import error_text, needs_manager, show_error
from stocky.edge.ui.history import RETURN_HANDOFF
from stocky.edge.ui.refund_preview import RefundPreview, refund_preview
from stocky.edge.ui.returns_dialogs import confirm_return, split_rows
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import NumberError, format_money, format_quantity, parse_decimal
from stocky.ui.i18n import t

AS_PAID = "as_paid"


@dataclass
class Pick:
    line_id: str
    name: str
    left: Decimal
    qty: str = ""


@dataclass
class ReturnForm:
    """One sale's return being filled in: what is typed per line, the method, the reason."""

    sale: SaleOut
    picks: list[Pick] = field(default_factory=list)
    method: str = AS_PAID
    reason: str = ""

    def labels(self) -> dict[str, str]:
        """Field names as the screen shows them, for error sentences."""
        names = {f"lines.{i}.quantity": p.name for i, p in enumerate(self.chosen_picks())}
        return {
            **names,
            "lines": t("returns.to_return"),
            "refund_method": t("returns.method"),
            "reason": t("returns.reason"),
        }

    def chosen_picks(self) -> list[Pick]:
        return [p for p in self.picks if p.qty.strip()]

    def too_much(self, picks: dict[str, Decimal], locale: str) -> str | None:
        """The sentence for a line asked beyond what is left of it, if any."""
        for p in self.picks:
            if picks.get(p.line_id, Decimal(0)) > p.left:
                left = format_quantity(p.left, "x", locale)
                return t("error.return_left", field=p.name, left=left)
        return None

    def chosen(self, locale: str) -> dict[str, Decimal]:
        """line id -> quantity typed (NumberError names the line; zero counts as nothing)."""
        out = {}
        for p in self.chosen_picks():
            qty = parse_decimal(p.qty, locale, field=p.name)
            if qty != 0:
                out[p.line_id] = qty
        return out


class ReturnScreen:
    """The screen's state: the receipt number searched and, once found, the sale's form."""

    def __init__(self, runtime: CajaRuntime, user: LocalUser) -> None:
        self.store = runtime.require_store()
        self.user = user
        sede = runtime.sede
        # Formatting and parsing follow this browser's language (display_locale, inside).
        self.currency, self.locale = (sede.currency, sede.locale) if sede else ("COP", "es-CO")
        self.form: ReturnForm | None = None

    def money(self, value: Decimal) -> str:
        return format_money(value, self.currency, self.locale)

    def text(self, exc: BaseException) -> str:
        labels = self.form.labels() if self.form else None
        return error_text(exc, labels, currency=self.currency, locale=self.locale)

    def build(self) -> None:
        with ui.row().classes("stocky-card w-full p-4 items-center gap-3"):
            self.number = (
                ui.input(t("returns.find"))
                .props('outlined dense autofocus data-testid="return-number"')
                .classes("w-64")
            )
            ui.button(t("returns.find_btn"), icon="search", on_click=self.find).props(
                'unelevated no-caps data-testid="return-find"'
            )
        self.box = ui.column().classes("w-full gap-3")
        self.number.on("keydown.enter", self.find)

    async def find(self) -> None:
        text = (self.number.value or "").strip()
        self.box.clear()
        self.form = None
        try:
            # Not a ticket of this caja: another caja of the sede may have sold it (the cloud).
            sale_id = await find_sale(self.store, text)
        except CloudLookupUnavailableError:
            ui.notify(t("returns.offline"), type="warning")
            return
        if sale_id is None:
            ui.notify(t("returns.not_found", number=text), type="warning")
            return
        sale = await self.store.aread(lambda conn: load_sale(conn, sale_id))
        self.form = ReturnForm(sale)
        with self.box:
            self.sale_form(self.form)
        await self.refresh()

    def sale_form(self, form: ReturnForm) -> None:
        sale = form.sale
        with ui.row().classes("w-full gap-4 items-start no-wrap"):
            with ui.column().classes("stocky-card grow p-5 gap-1"):
                ui.label(t("receipt.number", number=sale.receipt)).classes("text-lg font-bold")
                paid = ", ".join(
                    f"{t(f'pay.{p.method}')} {self.money(p.amount)}" for p in sale.payments
                )
                ui.label(f"{self.money(sale.total)} · {paid}").classes("stocky-muted")
                for i, line in enumerate(sale.lines):
                    self.line_row(
                        form, i, line.name, line.quantity, line.returned_quantity, line.id
                    )
            with ui.column().classes("stocky-card w-[380px] p-5 gap-3"):
                methods = {m: t(f"pay.{m}") for m in ("cash", "card", "transfer")}
                ui.select(
                    {AS_PAID: t("returns.as_paid"), **methods}, label=t("returns.method")
                ).bind_value(form, "method").props(
                    'outlined dense data-testid="return-method"'
                ).classes("w-full").on_value_change(self.refresh)
                ui.input(t("returns.reason")).bind_value(form, "reason").props(
                    'outlined dense data-testid="return-reason"'
                ).classes("w-full")
                ui.separator()
                ui.label(t("returns.split_title")).classes("font-semibold")
                self.preview_box = (
                    ui.column().classes("w-full gap-1").props('data-testid="refund-preview"')
                )
                ui.button(
                    t("returns.submit"), icon="assignment_return", on_click=self.submit
                ).props('unelevated no-caps size=lg data-testid="return-submit"').classes(
                    "w-full stocky-big-btn"
                )

    def line_row(
        self, form: ReturnForm, i: int, name: str, sold: Decimal, returned: Decimal, line_id: str
    ) -> None:
        left = sold - returned
        pick = Pick(line_id=line_id, name=name, left=left)
        form.picks.append(pick)
        locale = self.locale
        with ui.row().classes("w-full items-center gap-4 border-b border-slate-200 py-2 no-wrap"):
            ui.label(name).classes("grow font-medium")
            ui.label(f"{t('returns.sold')}: {format_quantity(sold, 'x', locale)}")
            ui.label(f"{t('returns.returned')}: {format_quantity(returned, 'x', locale)}").classes(
                "stocky-muted"
            )
            qty = (
                ui.input(t("returns.to_return"))
                .bind_value(pick, "qty")
                .props(f'outlined dense inputmode=decimal data-testid="return-qty-{i}"')
                .classes("w-32")
            )
            qty.set_enabled(left > 0)
            qty.on("blur", self.refresh)
            qty.on("keydown.enter", self.refresh)

            async def all_left() -> None:
                qty.set_value(format_quantity(left, "x", locale))
                await self.refresh()

            ui.button(t("returns.all_left"), on_click=all_left).props(
                f'flat dense no-caps data-testid="return-all-{i}"'
            ).set_enabled(left > 0)

    async def current(self) -> RefundPreview | None:
        form = self.form
        if form is None:
            return None
        try:
            picks = form.chosen(self.locale)
        except NumberError:
            return None
        method = None if form.method == AS_PAID else form.method
        sale_id = form.sale.id
        return await self.store.aread(lambda conn: refund_preview(conn, sale_id, picks, method))

    async def refresh(self) -> None:
        """The refund as the service will split it, under the lines being typed."""
        preview = await self.current()
        self.preview_box.clear()
        with self.preview_box:
            if preview is None or preview.total == 0 or self.form is None:
                ui.label(t("returns.split_empty")).classes("stocky-muted")
                return
            too_much = self.form.too_much(self.form.chosen(self.locale), self.locale)
            if too_much is not None:
                ui.label(too_much).classes("text-negative")
            if preview.problem is not None:
                ui.label(self.text(preview.problem)).classes("text-negative")
            else:
                split_rows(preview.split, self.money)
            with ui.row().classes("w-full justify-between text-lg font-bold"):
                ui.label(t("common.total"))
                ui.label(self.money(preview.total)).classes("stocky-num").props(
                    'data-testid="refund-total"'
                )
            if preview.approval is not None and not self.user.at_least("manager"):
                ui.label(t(f"returns.approval_{preview.approval}")).classes(
                    "text-warning font-medium"
                )

    async def submit(self) -> None:
        form = self.form
        if form is None:
            return
        try:
            picks = form.chosen(self.locale)
        except NumberError as exc:
            ui.notify(str(exc), type="negative")
            return
        if not picks:  # never a whole-ticket return by accident
            ui.notify(t("error.return_none", field=t("returns.to_return")), type="negative")
            return
        too_much = form.too_much(picks, self.locale)
        if too_much is not None:
            ui.notify(too_much, type="negative")
            return
        preview = await self.current()
        if preview is None:
            return
        if preview.problem is not None:
            show_error(preview.problem, form.labels(), currency=self.currency, locale=self.locale)
            return
        names = {p.line_id: p.name for p in form.picks}
        items = [f"{format_quantity(q, 'x', self.locale)} × {names[i]}" for i, q in picks.items()]

        async def confirmed() -> None:
            await self.send(picks)

        confirm_return(items, preview.split, self.money(preview.total), self.money, confirmed)

    async def send(self, picks: dict[str, Decimal], approved_by: str | None = None) -> None:
        """Record the return; a refusal a manager can lift asks for one."""
        form = self.form
        assert form is not None
        user = self.user
        if approved_by is None and user.at_least("manager"):
            approved_by = user.id
        try:
            cmd = ReturnCreate(
                sale_id=form.sale.id,
                lines=[ReturnLineIn(line_id=i, quantity=q) for i, q in picks.items()],
                refund_method=None if form.method == AS_PAID else form.method,
                reason=form.reason.strip() or None,
            )
            done = await self.store.awrite(
                lambda conn: record_return(
                    conn, cmd, user_id=user.id, now=utc_now(), approved_by=approved_by
                )
            )
        except (StockyError, ValidationError) as exc:
            if needs_manager(exc):
                await self.ask_manager(picks, self.text(exc))
                return
            show_error(exc, form.labels(), currency=self.currency, locale=self.locale)
            return
        split = ", ".join(f"{t(f'pay.{r.method}')} {self.money(r.amount)}" for r in done.refunds)
        ui.notify(
            t("returns.done", amount=self.money(done.refund_total or Decimal(0)))
            + (f" ({split})" if split else ""),
            type="positive",
        )
        await self.find()

    async def ask_manager(self, picks: dict[str, Decimal], why: str) -> None:
        async def approve(login: ManagerLogin) -> str | None:
            try:
                approved = await approver(self.store, self.user, login)
            except StockyError as exc:
                return refusal_text(exc, login)
            await self.send(picks, approved_by=approved)
            return None

        manager_dialog(await self.store.aread(approval_options), why, approve)


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    screen = ReturnScreen(runtime, user)
    screen.build()
    # Started from a ticket in the history: open on it.
    handed = app.storage.user.pop(RETURN_HANDOFF, None)
    if isinstance(handed, str) and handed:
        screen.number.value = handed
        await screen.find()
