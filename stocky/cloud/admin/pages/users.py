"""Users: the list (role, sede, active, approval PIN, language), create, edit (name, email,
role, sede, language), disable and enable, reset a password; live on user changes.

Who may touch whom is the API's (stocky/cloud/users/service.py): nobody grants a role at or
above their own except owners, so an admin manages managers and cashiers and a manager its
sede's cashiers. The screen offers an action where the API may allow it and shows the API's
refusal where it does not (an admin acting on the owner).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import FormErrors, notify_error
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.pages import users_text as _texts  # noqa: F401 - registers the text
from stocky.cloud.admin.pages.sedes_cards import confirm
from stocky.cloud.admin.session import AdminSession
from stocky.ui.i18n import LANGUAGES, t

ENTITIES = ("users", "sedes")
ROLES = ("owner", "admin", "manager", "cashier")
SEDE_ROLES = ("manager", "cashier")
# The roles each role may give (the API's rule: below your own, any for an owner).
GRANTS = {
    "owner": ROLES,
    "admin": ("manager", "cashier"),
    "manager": ("cashier",),
}
Input = ui.input | ui.number | ui.select | ui.textarea


def _language_names() -> dict[str, str]:
    return {lang: ("Español" if lang == "es" else "English") for lang in LANGUAGES}


def may_act_on(session: AdminSession, user: dict[str, Any]) -> bool:
    """Whether to offer actions on this row (the API has the last word)."""
    if str(user["id"]) == str(session.user_id):
        return False  # one's own account is on "Mi cuenta"
    if session.sees_every_sede:
        return True
    return user.get("role") == "cashier" and str(user.get("sede_id")) == str(session.sede_id)


def _place(errors: FormErrors, error: ApiError, inputs: Mapping[str, tuple[Input, str]]) -> bool:
    """The API's named fields on their inputs; "email: ..." messages too (a 409 names the
    field in its message)."""
    if errors.show_api_error(error, inputs):
        return True
    head, _, rest = error.message.partition(":")
    if rest and head.strip() in inputs:
        element, label = inputs[head.strip()]
        errors.add(element, f"{label}: {rest.strip()}")
        return True
    return False


def _sede_select(
    session: AdminSession, sedes: dict[str, str], value: str | None
) -> ui.select | None:
    if not session.sees_every_sede:
        return None  # a manager's users are in its own sede: no picker
    options = {"": t("admin.users.no_sede"), **sedes}
    select = ui.select(options, value=value or "")
    select.props(f'outlined label="{t("admin.users.sede")}" data-testid="user-sede"')
    return select.classes("w-full")


def _read_form(
    errors: FormErrors,
    inputs: Mapping[str, tuple[Input, str]],
    password: ui.input | None,
    sede: ui.select | None,
) -> dict[str, Any]:
    name, email, role, lang = (inputs[k][0] for k in ("name", "email", "role", "language"))
    assert isinstance(name, ui.input)
    assert isinstance(email, ui.input)
    body: dict[str, Any] = {
        "name": errors.required(name, t("admin.users.name")),
        "email": errors.email(email, t("admin.users.email")),
        "role": role.value,
        "language": lang.value,
    }
    if password is not None:
        body["password"] = errors.min_length(password, t("admin.users.password_field"), 8)
    if sede is not None and role.value in SEDE_ROLES:
        body["sede_id"] = sede.value or None
        if not sede.value:
            errors.add(sede, t("admin.form.required", field=t("admin.users.sede")))
    return body


def user_dialog(
    session: AdminSession,
    api: AdminApi,
    holder: ui.element,
    sedes: dict[str, str],
    user: dict[str, Any] | None,
    done: Callable[[], Awaitable[None]],
) -> None:
    """Create (user None) or edit a user."""
    grants = list(GRANTS.get(session.role, ()))
    if user is not None and user["role"] not in grants:
        grants.insert(0, str(user["role"]))  # shown as it is; changing it is the API's call
    current = user or {}
    holder.clear()  # a closed dialog is left behind otherwise
    with holder, ui.dialog() as dialog, ui.card().classes("w-full max-w-[520px] p-5 gap-3"):
        ui.label(t("admin.users.edit" if user else "admin.users.new")).classes("text-lg font-bold")
        name = ui.input(t("admin.users.name"), value=current.get("name") or "")
        name.props('outlined data-testid="user-name"').classes("w-full")
        email = ui.input(t("admin.users.email"), value=current.get("email") or "")
        email.props('outlined autocomplete=off data-testid="user-email"').classes("w-full")
        password = None
        if user is None:
            password = ui.input(t("admin.users.password"), password=True)
            password.props('outlined autocomplete=new-password data-testid="user-password"')
            password.classes("w-full")
        role = ui.select(
            {r: t(f"admin.role.{r}") for r in grants},
            value=current.get("role") or grants[-1],
        )
        role.props(f'outlined label="{t("admin.users.role")}" data-testid="user-role"')
        role.classes("w-full")
        sede = _sede_select(session, sedes, current.get("sede_id"))
        if sede is not None:
            sede.bind_visibility_from(role, "value", backward=lambda r: r in SEDE_ROLES)
        lang = ui.select(_language_names(), value=current.get("language") or "es")
        lang.props(f'outlined label="{t("admin.users.language")}" data-testid="user-language"')
        lang.classes("w-full")
        errors = FormErrors()
        inputs: dict[str, tuple[Input, str]] = {
            "name": (name, t("admin.users.name")),
            "email": (email, t("admin.users.email")),
            "role": (role, t("admin.users.role")),
            "language": (lang, t("admin.users.language")),
        }
        if password is not None:
            inputs["password"] = (password, t("admin.users.password_field"))
        if sede is not None:
            inputs["sede_id"] = (sede, t("admin.users.sede"))

        @handled
        async def save() -> None:
            errors.clear(*(element for element, _ in inputs.values()))
            body = _read_form(errors, inputs, password, sede)
            if not errors.ok:
                return
            try:
                await _save_user(api, user, body)
            except ApiError as error:
                if not _place(errors, error, inputs):
                    notify_error(error)
                return
            dialog.close()
            ui.notify(t("admin.users.saved" if user else "admin.users.created"), type="positive")
            await done()

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("admin.common.cancel"), on_click=dialog.close).props("flat no-caps")
            ui.button(t("admin.common.save"), on_click=save).props(
                'unelevated no-caps data-testid="user-save"'
            )
    dialog.open()


async def _save_user(api: AdminApi, user: dict[str, Any] | None, body: dict[str, Any]) -> None:
    if user is None:
        language = body.pop("language")
        created = await api.post("/api/users", body)
        if language != created.get("language"):  # not a field of the creation
            await api.patch(f"/api/users/{created['id']}", {"language": language})
        return
    changed = {k: v for k, v in body.items() if user.get(k) != v}
    if changed:
        await api.patch(f"/api/users/{user['id']}", changed)


def password_dialog(
    api: AdminApi, holder: ui.element, user: dict[str, Any], done: Callable[[], Awaitable[None]]
) -> None:
    """An admin sets a new password for someone (no current password: that is theirs)."""
    holder.clear()
    with holder, ui.dialog() as dialog, ui.card().classes("w-full max-w-[460px] p-5 gap-3"):
        ui.label(t("admin.users.password_title", name=user["name"])).classes(
            "text-lg font-bold break-words"
        )
        ui.label(t("admin.users.password_help")).classes("stocky-muted text-sm")
        new = ui.input(t("admin.users.password"), password=True, password_toggle_button=True)
        new.props('outlined autocomplete=new-password data-testid="reset-password"')
        new.classes("w-full")
        repeat = ui.input(t("admin.users.repeat"), password=True)
        repeat.props('outlined autocomplete=new-password data-testid="reset-repeat"')
        repeat.classes("w-full")
        errors = FormErrors()

        @handled
        async def save() -> None:
            errors.clear(new, repeat)
            fresh = errors.min_length(new, t("admin.users.password_field"), 8)
            if errors.ok and repeat.value != fresh:
                errors.add(repeat, t("admin.users.mismatch"))
            if not errors.ok:
                return
            try:
                await api.patch(f"/api/users/{user['id']}", {"password": fresh})
            except ApiError as error:
                if not _place(errors, error, {"password": (new, t("admin.users.password_field"))}):
                    notify_error(error)
                return
            dialog.close()
            ui.notify(t("admin.users.password_done"), type="positive")
            await done()

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("admin.common.cancel"), on_click=dialog.close).props("flat no-caps")
            ui.button(t("admin.common.save"), on_click=save).props(
                'unelevated no-caps data-testid="reset-save"'
            )
    dialog.open()


async def body(session: AdminSession, api: AdminApi) -> None:
    holder = ui.element("div")
    state: dict[str, Any] = {"sedes": {}}

    async def draw() -> None:
        users, sedes = await api.gather(api.get("/api/users"), api.get("/api/sedes"))
        if state.get("shown") == (users, sedes):
            # The notice of a change this screen already drew (its own save redraws at
            # once): rebuilding would only close the menu or dialog the person just opened.
            return
        state["shown"] = (users, sedes)
        state["sedes"] = {str(s["id"]): str(s["name"]) for s in sedes if s.get("active")}
        names = {str(s["id"]): str(s["name"]) for s in sedes}
        count.set_text(t("admin.users.count", n=len(users)))
        table.clear()
        with table:
            _table(session, api, holder, users, names, state, draw)

    with ui.row().classes("w-full items-center justify-between gap-2"):
        page_title(t("admin.users.title"))
        ui.button(
            t("admin.users.new"),
            icon="person_add",
            on_click=lambda: user_dialog(session, api, holder, state["sedes"], None, draw),
        ).props('unelevated no-caps data-testid="user-new"')
    if not session.sees_every_sede:
        ui.label(t("admin.users.read_only")).classes("stocky-muted text-sm").props(
            'data-testid="users-read-only"'
        )
    count = ui.label("").classes("stocky-muted text-sm")
    table = ui.card().classes("stocky-card w-full p-2 md:p-4")
    await draw()
    own = None if session.sees_every_sede else str(session.sede_id)
    live_refresh(session, handled(draw), entities=ENTITIES, sede_id=own)


def _table(
    session: AdminSession,
    api: AdminApi,
    holder: ui.element,
    users: list[dict[str, Any]],
    sede_names: dict[str, str],
    state: dict[str, Any],
    redraw: Callable[[], Awaitable[None]],
) -> None:
    if not users:
        ui.label(t("admin.users.empty")).classes("stocky-muted")
        return
    headers = [
        (t("admin.common.user"), ""),
        (t("admin.users.role"), ""),
        (t("admin.users.status"), ""),
        (t("admin.users.pin"), "gt-sm"),
        (t("admin.users.language"), "gt-sm"),
        ("", ""),
    ]
    with ui.element("div").classes("w-full overflow-x-auto"):
        with ui.element("table").classes("w-full text-sm border-collapse"):
            with ui.element("tr").classes("text-left stocky-muted border-b border-slate-300"):
                for label, extra in headers:
                    with ui.element("th").classes(f"py-2 pr-3 font-medium {extra}"):
                        ui.label(label)
            for user in users:
                _row(session, api, holder, user, sede_names, state, redraw)


def _row(
    session: AdminSession,
    api: AdminApi,
    holder: ui.element,
    user: dict[str, Any],
    sede_names: dict[str, str],
    state: dict[str, Any],
    redraw: Callable[[], Awaitable[None]],
) -> None:
    uid = str(user["id"])
    active = bool(user.get("active"))
    me = uid == str(session.user_id)
    tone = "" if active else "opacity-60"
    with (
        ui.element("tr")
        .classes(f"border-b border-slate-200 align-middle {tone}")
        .props(f'data-testid="user-row-{uid}"')
    ):
        with ui.element("td").classes("py-2 pr-3 max-w-[180px] md:max-w-none"):
            label = str(user["name"]) + (f" ({t('admin.users.you')})" if me else "")
            ui.label(label).classes("font-semibold truncate")
            ui.label(str(user["email"])).classes("stocky-muted text-xs truncate").props(
                f'data-testid="user-email-{uid}"'
            )
        with ui.element("td").classes("py-2 pr-3"):
            ui.label(t(f"admin.role.{user['role']}")).props(f'data-testid="user-role-{uid}"')
            sede = sede_names.get(str(user.get("sede_id") or ""), "")
            ui.label(sede or "—").classes("stocky-muted text-xs").props(
                f'data-testid="user-sede-{uid}"'
            )
        with ui.element("td").classes("py-2 pr-3"):
            ui.badge(
                t("admin.users.active" if active else "admin.users.disabled"),
                color="positive" if active else "grey-7",
            ).props(f'data-testid="user-status-{uid}"')
        with ui.element("td").classes("py-2 pr-3 gt-sm"):
            if user.get("has_pin"):
                ui.icon("pin", size="20px").classes("text-primary").tooltip(
                    t("admin.users.has_pin")
                ).props(f'data-testid="user-pin-{uid}"')
            else:
                ui.label(t("admin.users.no_pin")).classes("stocky-muted text-xs")
        with ui.element("td").classes("py-2 pr-3 gt-sm"):
            ui.label(_language_names().get(str(user.get("language")), "—"))
        with ui.element("td").classes("py-2 text-right"):
            if may_act_on(session, user):
                _actions(session, api, holder, user, state, redraw)


def _actions(
    session: AdminSession,
    api: AdminApi,
    holder: ui.element,
    user: dict[str, Any],
    state: dict[str, Any],
    redraw: Callable[[], Awaitable[None]],
) -> None:
    uid = str(user["id"])

    async def set_active(active: bool) -> None:
        await api.patch(f"/api/users/{uid}", {"active": active})
        ui.notify(
            t("admin.users.enabled_done" if active else "admin.users.disabled_done"),
            type="positive",
        )
        await redraw()

    def disable() -> None:
        confirm(
            holder,
            t("admin.users.disable_confirm", name=user["name"]),
            lambda: set_active(False),
        )

    with ui.button(icon="more_vert").props(f'flat round dense data-testid="user-actions-{uid}"'):
        with ui.menu():
            ui.menu_item(
                t("admin.users.action_edit"),
                lambda: user_dialog(session, api, holder, state["sedes"], user, redraw),
            ).props(f'data-testid="user-edit-{uid}"')
            ui.menu_item(
                t("admin.users.action_password"),
                lambda: password_dialog(api, holder, user, redraw),
            ).props(f'data-testid="user-password-{uid}"')
            if user.get("active"):
                ui.menu_item(t("admin.users.action_disable"), disable).props(
                    f'data-testid="user-disable-{uid}"'
                )
            else:
                ui.menu_item(
                    t("admin.users.action_enable"), handled(lambda: set_active(True))
                ).props(f'data-testid="user-enable-{uid}"')


ROUTES = {"/usuarios": framed("/usuarios", body)}
