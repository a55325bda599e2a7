"""A manager's approval at the counter, for the sale and the returns screens: the PIN first
when the caja's policy takes one (choose the manager, type their PIN), their email and
password below it (or alone) when it takes a login."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from stocky.core.errors import FieldError, RateLimitedError, StockyError
from stocky.edge.pos.approval import ApprovalOptions
from stocky.edge.pos.schemas import ManagerLogin
from stocky.ui.i18n import t

# Answers None when approved (the dialog closes), else what to tell the manager.
OnApprove = Callable[[ManagerLogin], Awaitable[str | None]]


class ManagerDialog:
    """The dialog's fields; `login()` is what was typed, as one ManagerLogin or None."""

    def __init__(self, options: ApprovalOptions, reason: str, on_approve: OnApprove) -> None:
        self.options, self.on_approve = options, on_approve
        self.pin_allowed = options.mode != "login" and bool(options.managers)
        self.login_allowed = options.mode != "pin"
        self.manager: ui.select | None = None
        self.pin: ui.input | None = None
        self.email: ui.input | None = None
        self.password: ui.input | None = None
        with ui.dialog() as self.dialog, ui.card().classes("p-6 gap-3 w-[460px]"):
            with ui.row().classes("items-center gap-2 no-wrap"):
                ui.icon("admin_panel_settings", size="32px").classes("text-warning")
                ui.label(t("pos.manager_title")).classes("text-xl font-bold")
            ui.label(reason).classes("text-base").props('data-testid="manager-reason"')
            if self.pin_allowed:
                self._pin_fields()
            elif options.mode == "pin":
                ui.label(t("approval.no_pins")).classes("text-negative")
            if self.login_allowed:
                if self.pin_allowed:
                    with ui.expansion(t("approval.with_login")).classes("w-full"):
                        self._login_fields(focus=False)
                else:
                    self._login_fields(focus=True)
            self.problem = ui.label("").classes("text-negative font-medium")
            self.problem.props('data-testid="manager-problem"')
            self.problem.visible = False
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(t("common.cancel"), on_click=self.dialog.close).props("flat no-caps")
                self.button = ui.button(
                    t("pos.manager_approve"), icon="check", on_click=self.approve
                ).props('unelevated no-caps color=warning data-testid="manager-approve"')

    def _pin_fields(self) -> None:
        names = {m.email: f"{m.name} ({m.email})" for m in self.options.managers}
        first = next(iter(names)) if len(names) == 1 else None
        self.manager = (
            ui.select(names, value=first, label=t("approval.manager"))
            .props('outlined data-testid="manager-pick"')
            .classes("w-full")
        )
        self.pin = (
            ui.input(t("approval.pin"), password=True)
            .props(
                "outlined autofocus inputmode=numeric maxlength=8 autocomplete=off"
                ' data-testid="manager-pin"'
            )
            .classes("w-full")
        )
        self.pin.on("keydown.enter", self.approve)

    def _login_fields(self, *, focus: bool) -> None:
        self.email = (
            ui.input(t("login.email"))
            .props(f"outlined {'autofocus ' if focus else ''}autocomplete=off")
            .props('data-testid="manager-email"')
            .classes("w-full")
        )
        self.password = (
            ui.input(t("login.password"), password=True)
            .props('outlined data-testid="manager-password"')
            .classes("w-full")
        )
        self.password.on("keydown.enter", self.approve)

    def login(self) -> ManagerLogin | None:
        """The PIN if one was typed, else the email and password; None if neither is whole."""
        pin = (self.pin.value or "").strip() if self.pin is not None else ""
        if pin and self.manager is not None and self.manager.value:
            if not (pin.isdigit() and 4 <= len(pin) <= 8):
                return None
            return ManagerLogin(email=str(self.manager.value), pin=pin)
        if self.email is None or self.password is None:
            return None
        email, password = (self.email.value or "").strip(), self.password.value or ""
        if len(email) < 3 or not password:
            return None
        return ManagerLogin(email=email, password=password)

    def say(self, text: str) -> None:
        self.problem.text = text
        self.problem.visible = True
        for secret in (self.pin, self.password):
            if secret is not None:
                secret.set_value("")

    async def approve(self) -> None:
        login = self.login()
        if login is None:
            self.say(t("approval.incomplete"))
            return
        self.button.props("loading")
        try:
            answer = await self.on_approve(login)
        finally:
            self.button.props(remove="loading")
        if answer is None:
            self.dialog.close()
        else:
            self.say(answer)


def manager_dialog(
    options: ApprovalOptions,
    reason: str,
    on_approve: OnApprove,
    on_hide: Callable[[], None] | None = None,
) -> ManagerDialog:
    """Open the approval dialog; it closes once `on_approve` answers None."""
    shown = ManagerDialog(options, reason, on_approve)

    def hidden() -> None:
        if on_hide is not None:
            on_hide()
        shown.dialog.delete()  # no hidden copy left for the next one

    shown.dialog.on("hide", hidden)
    shown.dialog.open()
    return shown


def refusal_text(exc: StockyError, login: ManagerLogin) -> str:
    """Why an approval was refused, in the dialog's words (never the service's English)."""
    if isinstance(exc, RateLimitedError):
        return t("approval.throttled")
    if isinstance(exc, FieldError):
        return t("approval.not_allowed")
    return t("approval.wrong_pin") if login.pin is not None else t("pos.manager_wrong")
