"""Sign-in, sign-up, the person's account (language, password) and sign-out."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from stocky.cloud.admin import texts as _texts  # noqa: F401 - registers the shared text
from stocky.cloud.admin.api import AdminApi, ApiError, session_from_tokens
from stocky.cloud.admin.context import api, api_for
from stocky.cloud.admin.forms import FormErrors, notify_error
from stocky.cloud.admin.language import remember_browser_language
from stocky.cloud.admin.layout import handled, page_title
from stocky.cloud.admin.session import (
    ROLES_WITH_ADMIN,
    AdminSession,
    current_session,
    end_session,
    start_session,
)
from stocky.ui.i18n import LANGUAGES, language, t

CURRENCIES = ("COP", "USD", "MXN", "PEN", "CLP", "ARS", "EUR", "GTQ", "CRC", "DOP", "BOB", "UYU")
TIMEZONES = (
    "America/Bogota",
    "America/Mexico_City",
    "America/Lima",
    "America/Santiago",
    "America/Argentina/Buenos_Aires",
    "America/Caracas",
    "America/Guayaquil",
    "America/La_Paz",
    "America/Montevideo",
    "America/Guatemala",
    "America/Costa_Rica",
    "America/Santo_Domingo",
    "America/New_York",
    "Europe/Madrid",
    "UTC",
)


async def open_session(tokens: dict[str, Any]) -> AdminSession | None:
    """Keep the tokens at this browser and read the tenant; None for a cashier."""
    session = session_from_tokens(tokens)
    if session.role not in ROLES_WITH_ADMIN:
        await _revoke(session)
        return None
    me = await api_for(session).get("/api/me")
    session.user = dict(me["user"])
    session.tenant = dict(me["tenant"])
    session.language = str(session.user.get("language") or language())
    start_session(session)
    return session


async def _revoke(session: AdminSession) -> None:
    try:
        await api_for(session).post("/api/auth/logout", {"refresh_token": session.refresh_token})
    except ApiError:
        pass  # the session ends here either way; the refresh token expires on its own


def _centered_card() -> ui.card:
    ui.query("body").classes("bg-slate-100")
    card = ui.card().classes("stocky-card w-full max-w-[440px] mx-auto mt-6 md:mt-16 p-6 gap-3")
    card.classes("[&_.q-field]:w-full")
    return card


def _language_link() -> None:
    async def switch() -> None:
        remember_browser_language("en" if language() == "es" else "es")
        ui.navigate.reload()

    ui.button(t("admin.lang.switch"), on_click=switch).props(
        'flat no-caps dense data-testid="language-toggle"'
    ).classes("self-end")


async def login_page(expired: str | None = None) -> None:
    if current_session() is not None:
        ui.navigate.to("/")
        return
    with _centered_card():
        _language_link()
        ui.label(t("admin.login.title")).classes("text-xl font-bold")
        if expired:
            ui.label(t("admin.login.expired")).classes("text-warning").props(
                'data-testid="session-expired"'
            )
        email = ui.input(t("admin.login.email")).props(
            'outlined autocomplete=username data-testid="login-email"'
        )
        password = ui.input(t("admin.login.password"), password=True).props(
            'outlined autocomplete=current-password data-testid="login-password"'
        )
        tenant = ui.select([], label=t("admin.login.tenant")).props(
            'outlined data-testid="login-tenant"'
        )
        tenant.set_visibility(False)
        message = ui.label("").classes("text-negative").props('data-testid="login-error"')
        errors = FormErrors()

        async def submit() -> None:
            errors.clear(email, password)
            message.text = ""
            address = errors.email(email, t("admin.login.email"))
            secret = errors.required(password, t("admin.login.password"))
            if not errors.ok:
                return
            body: dict[str, Any] = {"email": address, "password": secret}
            if tenant.visible and tenant.value:
                body["tenant"] = tenant.value
            try:
                tokens = await api().post("/api/auth/login", body)
            except ApiError as error:
                if error.status == 401:
                    message.text = t("admin.login.wrong")
                elif error.status == 429:
                    seconds = error.body.get("retry_after") or error.body.get("seconds") or 60
                    message.text = t("admin.login.throttled", seconds=seconds)
                elif error.status == 409 and error.body.get("tenants"):
                    tenant.set_options(list(error.body["tenants"]))
                    tenant.set_visibility(True)
                    message.text = t("admin.login.pick_tenant")
                elif errors.show_api_error(
                    error,
                    {
                        "email": (email, t("admin.login.email")),
                        "password": (password, t("admin.login.password")),
                    },
                ):
                    pass
                else:
                    notify_error(error)
                return
            if await open_session(tokens) is None:
                message.text = t("admin.login.cashier")
                return
            ui.navigate.to("/")

        password.on("keydown.enter", submit)
        ui.button(t("admin.login.submit"), on_click=submit).props(
            'unelevated no-caps size=lg data-testid="login-submit"'
        ).classes("w-full")
        ui.link(t("admin.login.signup"), "/registro").props('data-testid="to-signup"')


async def signup_page() -> None:
    with _centered_card():
        _language_link()
        ui.label(t("admin.signup.title")).classes("text-xl font-bold")
        name = ui.input(t("admin.signup.name")).props('outlined data-testid="signup-name"')
        legal = ui.input(t("admin.signup.legal_name")).props('outlined data-testid="signup-legal"')
        tax_id = ui.input(t("admin.signup.tax_id")).props('outlined data-testid="signup-tax-id"')
        with ui.row().classes("w-full gap-2 no-wrap"):
            currency = ui.select(list(CURRENCIES), value="COP", label=t("admin.signup.currency"))
            currency.props('outlined data-testid="signup-currency"').classes("w-1/3")
            zone = ui.select(list(TIMEZONES), value="America/Bogota")
            zone.props(
                f'outlined label="{t("admin.signup.timezone")}" data-testid="signup-timezone"'
            ).classes("grow")
        owner = ui.input(t("admin.signup.owner_name")).props('outlined data-testid="signup-owner"')
        email = ui.input(t("admin.signup.email")).props(
            'outlined autocomplete=username data-testid="signup-email"'
        )
        password = ui.input(t("admin.signup.password"), password=True).props(
            'outlined autocomplete=new-password data-testid="signup-password"'
        )
        errors = FormErrors()
        inputs = {
            "tenant_name": (name, t("admin.signup.name")),
            "legal_name": (legal, t("admin.signup.legal_name")),
            "tax_id": (tax_id, t("admin.signup.tax_id")),
            "owner_name": (owner, t("admin.signup.owner_name")),
            "email": (email, t("admin.signup.email")),
            "password": (password, t("admin.signup.password")),
        }

        async def submit() -> None:
            errors.clear(name, legal, tax_id, owner, email, password)
            body = {
                "tenant_name": errors.required(name, t("admin.signup.name")),
                "owner_name": errors.required(owner, t("admin.signup.owner_name")),
                "email": errors.email(email, t("admin.signup.email")),
                "password": errors.min_length(password, t("admin.signup.password"), 8),
                "currency": currency.value,
                "timezone": zone.value,
                "locale": f"{language()}-CO" if currency.value == "COP" else f"{language()}",
            }
            if not errors.ok:
                return
            try:
                created = await api().post("/api/signup", body)
            except ApiError as error:
                if not errors.show_api_error(error, inputs):
                    notify_error(error)
                return
            session = await open_session(created["tokens"])
            assert session is not None  # the owner of a new business
            details = {
                k: v
                for k, v in {"legal_name": legal.value, "tax_id": tax_id.value}.items()
                if str(v or "").strip()
            }
            if details:
                try:
                    await api_for(session).patch("/api/tenant", details)
                except ApiError as error:
                    notify_error(error)  # the business exists; the details can be set later
            ui.notify(t("admin.signup.done"), type="positive")
            ui.navigate.to("/")

        ui.button(t("admin.signup.submit"), on_click=submit).props(
            'unelevated no-caps size=lg data-testid="signup-submit"'
        ).classes("w-full")
        ui.link(t("admin.login.have_account"), "/login")


async def account_body(session: AdminSession, api_: AdminApi) -> None:
    page_title(t("admin.account.title"))
    with ui.card().classes("stocky-card w-full max-w-[520px] p-5 gap-3"):
        ui.label(str(session.user.get("name"))).classes("text-lg font-bold")
        ui.label(f"{session.user.get('email')} · {t(f'admin.role.{session.role}')}").classes(
            "stocky-muted"
        )
        chosen = ui.select(
            {lang: ("Español" if lang == "es" else "English") for lang in LANGUAGES},
            value=session.language,
            label=t("admin.account.language"),
        ).props('outlined data-testid="account-language"')

        @handled
        async def save_language() -> None:
            await set_language(session, api_, str(chosen.value))

        ui.button(t("admin.account.save"), on_click=save_language).props(
            'unelevated no-caps data-testid="account-language-save"'
        )
    with ui.card().classes("stocky-card w-full max-w-[520px] p-5 gap-3"):
        ui.label(t("admin.account.password_title")).classes("text-lg font-bold")
        current = ui.input(t("admin.account.current_password"), password=True).props(
            'outlined autocomplete=current-password data-testid="password-current"'
        )
        new = ui.input(t("admin.account.new_password"), password=True).props(
            'outlined autocomplete=new-password data-testid="password-new"'
        )
        repeat = ui.input(t("admin.account.repeat_password"), password=True).props(
            'outlined autocomplete=new-password data-testid="password-repeat"'
        )
        errors = FormErrors()

        @handled
        async def change() -> None:
            errors.clear(current, new, repeat)
            old = errors.required(current, t("admin.account.current_password"))
            fresh = errors.min_length(new, t("admin.account.new_password"), 8)
            if errors.ok and repeat.value != fresh:
                errors.add(repeat, t("admin.account.mismatch"))
            if not errors.ok:
                return
            try:
                # Our own refresh token stays: every other session of this user ends.
                await api_.put(
                    "/api/users/me/password",
                    {
                        "current_password": old,
                        "new_password": fresh,
                        "refresh_token": session.refresh_token,
                    },
                )
            except ApiError as error:
                if error.status == 403:
                    errors.add(current, t("admin.account.wrong_password"))
                    return
                placed = errors.show_api_error(
                    error,
                    {
                        "current_password": (current, t("admin.account.current_password")),
                        "new_password": (new, t("admin.account.new_password")),
                    },
                )
                if not placed:
                    raise
                return
            for element in (current, new, repeat):
                element.value = ""
            ui.notify(t("admin.account.changed"), type="positive")

        ui.button(t("admin.account.save"), on_click=change).props(
            'unelevated no-caps data-testid="password-save"'
        )


async def set_language(session: AdminSession, api_: AdminApi, lang: str) -> None:
    """The user's own language, kept in the cloud so every browser of theirs speaks it."""
    if lang not in LANGUAGES:
        return
    updated = await api_.patch("/api/users/me", {"language": lang})
    session.user = {**session.user, **(updated if isinstance(updated, dict) else {})}
    session.language = lang
    remember_browser_language(lang)
    ui.navigate.reload()


async def toggle_language() -> None:
    session = current_session()
    target = "en" if language() == "es" else "es"
    if session is None:
        remember_browser_language(target)
        ui.navigate.reload()
        return
    try:
        await set_language(session, api_for(session), target)
    except ApiError as error:
        notify_error(error)


async def log_out() -> None:
    session = end_session()
    if session is not None:
        await _revoke(session)
    ui.navigate.to("/login")
