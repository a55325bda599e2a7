"""Paying at the point of sale: the payment dialog, recording the sale (the held cart ends
in the same write), and a manager's approval when the discount needs one."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from nicegui import ui

from stocky.core.errors import ForbiddenError, StockyError
from stocky.edge.pos import cart_store
from stocky.edge.pos.approval import approval_options, approver
from stocky.edge.pos.customers import CustomerHit, search_customers
from stocky.edge.pos.schemas import CustomerIn, ManagerLogin, SaleOut
from stocky.edge.pos.service import record_sale
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui.approval_dialog import manager_dialog, refusal_text
from stocky.edge.ui.payment import open_payment
from stocky.edge.ui.pos_cart import CartView
from stocky.ui.i18n import t


class Checkout(CartView):
    """Taking the money for the cart."""

    def _dialog_open(self) -> bool:
        return any(d.value for d in self.dialogs)

    def pay(self) -> None:
        if self.cart.lines and not self._dialog_open() and not self.codes:
            self.dialogs[:] = [
                open_payment(
                    self.cart.total,
                    self.currency,
                    self.locale,
                    self.record,
                    find_customers=self.find_customers,
                )
            ]

    async def find_customers(self, typed: str) -> list[CustomerHit]:
        """The synced customers matching what was typed at payment (name or NIT/CC)."""
        return await self.store.aread(lambda conn: search_customers(conn, typed))

    async def record(
        self,
        paid: dict[str, Decimal],
        customer: CustomerIn | None = None,
        approved_by: str | None = None,
    ) -> None:
        """Record the sale; a discount that needs a manager asks for one first."""
        command = self.cart.sale(paid, customer)
        user_id = self.user.id
        by = approved_by or (user_id if self.user.at_least("manager") else None)

        def write(conn: sqlite3.Connection) -> SaleOut:
            # The sale and the end of the held cart commit together: a reload never
            # brings back a cart that was already sold.
            sale = record_sale(conn, command, user_id=user_id, now=utc_now(), approved_by=by)
            cart_store.save_open_cart(conn, [], user_id=user_id, now=utc_now())
            return sale

        try:
            sale = await self.store.awrite(write)
        except ForbiddenError as exc:
            if not str(exc).startswith("manager:") or by is not None:
                self.show_error(exc)
                return
            await self.ask_manager(paid, customer)
            return
        except StockyError as exc:
            self.show_error(exc)
            return
        self.cart.clear()
        ui.navigate.to(f"/recibo/{sale.id}")

    async def ask_manager(self, paid: dict[str, Decimal], customer: CustomerIn | None) -> None:
        """A manager approves the discount (PIN or login, as the policy says); then the
        sale is recorded with their id."""

        async def approve(login: ManagerLogin) -> str | None:
            try:
                by = await approver(self.store, self.user, login)
            except StockyError as exc:
                return refusal_text(exc, login)
            await self.record(paid, customer, approved_by=by)
            return None

        options = await self.store.aread(approval_options)
        reason = t("pos.manager_needed", amount=self.money(self.cart.discount))
        manager_dialog(options, reason, approve, self.focus_scan)
