"""Keyset paging for the Stock screens: the API's next_cursor forward, a stack back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from stocky.ui.i18n import t


class Pager:
    def __init__(self) -> None:
        self.cursors: list[str | None] = [None]
        self.next_cursor: str | None = None

    @property
    def cursor(self) -> str | None:
        return self.cursors[-1]

    @property
    def number(self) -> int:
        return len(self.cursors)

    def reset(self) -> None:
        self.cursors = [None]
        self.next_cursor = None

    def forward(self) -> None:
        if self.next_cursor:
            self.cursors.append(self.next_cursor)

    def back(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()


def pager_row(pager: Pager, redraw: Callable[[], Awaitable[None]], prefix: str = "stock") -> None:
    """Previous, the page's number, next; hidden when everything fits on one page."""
    if pager.number == 1 and not pager.next_cursor:
        return

    async def back(*_: object) -> None:
        pager.back()
        await redraw()

    async def forward(*_: object) -> None:
        pager.forward()
        await redraw()

    with ui.row().classes("w-full items-center justify-center gap-2"):
        ui.button(t("admin.common.previous"), icon="chevron_left", on_click=back).props(
            f'flat no-caps data-testid="{prefix}-prev"'
        ).set_enabled(pager.number > 1)
        ui.label(t("admin.stock.page", n=pager.number)).props(
            f'data-testid="{prefix}-page"'
        ).classes("stocky-muted")
        ui.button(t("admin.common.next"), icon="chevron_right", on_click=forward).props(
            f'flat no-caps data-testid="{prefix}-next"'
        ).set_enabled(bool(pager.next_cursor))
