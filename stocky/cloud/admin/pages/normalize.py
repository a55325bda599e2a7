"""The catalog normalizer (catalog -> "Normalizar", /catalogo/normalizar): start a run over
the whole catalog, follow it on a progress bar (the screen polls GET /api/ai/runs/{id}),
then review its suggestions: accept, edit and accept, reject, one by one or the selected
ones in bulk. The run's id stays in the address (?run=); without one the latest run shows.
Nothing is applied but by a person's accept; the API decides (a stale one is refused).
"""

from __future__ import annotations

from typing import Any

from nicegui import PageArguments, ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import notify_error
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.pages import normalize_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.session import AdminSession
from stocky.ui.i18n import t

PAGE = 50
STATUSES = ("pending", "accepted", "edited", "rejected")
KINDS = ("rename", "merge")
COLOURS = {"pending": "orange-8", "accepted": "positive", "edited": "positive", "rejected": "grey"}
POLL_S = 1.0


class NormalizeScreen:
    def __init__(self, api: AdminApi, run_id: str | None) -> None:
        self.api = api
        self.run: dict[str, Any] | None = None
        self.run_id = run_id
        self.items: list[dict[str, Any]] = []
        self.cursor: str | None = None
        self.selected: set[str] = set()
        ui.label(t("admin.norm.help")).classes("stocky-muted text-sm")
        with ui.row().classes("w-full items-center gap-2 flex-wrap"):
            ui.button(
                t("admin.norm.back"),
                icon="arrow_back",
                on_click=lambda: ui.navigate.to("/catalogo"),
            ).props("flat no-caps")
            ui.space()
            self.start_button = ui.button(
                t("admin.norm.start"), icon="auto_fix_high", on_click=handled(self.start)
            ).props('unelevated no-caps data-testid="norm-start"')
        self.progress_label = ui.label(t("admin.norm.no_run")).props(
            'data-testid="norm-progress-label"'
        )
        self.progress = ui.linear_progress(value=0, show_value=False).props(
            'data-testid="norm-progress"'
        )
        self.progress.set_visibility(False)
        self.review = ui.column().classes("w-full gap-3")
        with self.review:
            with ui.row().classes("w-full items-end gap-3 flex-wrap"):
                self.status = ui.select(
                    {"": t("admin.norm.status_all")}
                    | {s: t(f"admin.norm.status.{s}") for s in STATUSES},
                    value="pending",
                    label=t("admin.norm.status"),
                    on_change=handled(self.search),
                ).props('dense outlined data-testid="norm-status"')
                self.status.classes("w-full sm:w-44")
                self.kind = ui.select(
                    {"": t("admin.norm.kind_all")} | {k: t(f"admin.norm.kind.{k}") for k in KINDS},
                    value="",
                    label=t("admin.norm.kind"),
                    on_change=handled(self.search),
                ).props('dense outlined data-testid="norm-kind"')
                self.kind.classes("w-full sm:w-48")
                ui.space()
                ui.button(t("admin.norm.select_all"), on_click=self.select_all).props(
                    'flat no-caps data-testid="norm-select-all"'
                )
                ui.button(
                    t("admin.norm.bulk_reject"), on_click=handled(lambda: self.bulk("reject"))
                ).props('outline no-caps data-testid="norm-bulk-reject"')
                ui.button(
                    t("admin.norm.bulk_accept"), on_click=handled(lambda: self.bulk("accept"))
                ).props('unelevated no-caps data-testid="norm-bulk-accept"')
            self.shown = (
                ui.label().classes("stocky-muted text-sm").props('data-testid="norm-count"')
            )
            self.list = ui.column().classes("w-full gap-2").props('data-testid="norm-list"')
            self.empty = ui.label(t("admin.norm.empty")).classes("stocky-muted")
            self.empty.props('data-testid="norm-empty"')
            self.more = ui.button(t("admin.norm.load_more"), icon="expand_more").props(
                'outline no-caps data-testid="norm-load-more"'
            )
            self.more.on_click(handled(self.load_more))
        self.review.set_visibility(False)
        self.timer = ui.timer(POLL_S, handled(self.poll), active=False)
        self.dialogs = ui.element("div")

    async def start(self, *_: object) -> None:
        run = await self.api.post("/api/ai/runs")
        self.run_id = str(run["id"])
        ui.notify(t("admin.norm.started"), type="info")
        self.show_run(run)
        # The run in the address: a reload (or a shared link) follows it again.
        ui.navigate.to(f"/catalogo/normalizar?run={self.run_id}")

    async def poll(self, *_: object) -> None:
        if self.run_id is None:
            self.timer.deactivate()
            return
        self.show_run(await self.api.get(f"/api/ai/runs/{self.run_id}"))
        if self.run is not None and self.run["status"] == "done":
            await self.search()

    def show_run(self, run: dict[str, Any]) -> None:
        self.run = run
        status, total, processed = str(run["status"]), int(run["total"]), int(run["processed"])
        self.progress.set_visibility(True)
        self.progress.set_value(1.0 if status == "done" else (processed / total if total else 0))
        self.progress_label.set_text(
            t(
                "admin.norm.progress",
                status=t(f"admin.norm.run.{status}"),
                processed=processed,
                total=total,
                suggestions=run["suggestions"],
            )
            + (f" — {run['error']}" if run.get("error") else "")
        )
        self.progress_label.props(f'data-status="{status}"')
        running = status in ("queued", "running")
        self.start_button.set_enabled(not running)
        if running:
            self.timer.activate()
        else:
            self.timer.deactivate()
        self.review.set_visibility(status == "done")

    def params(self) -> dict[str, Any]:
        return {"status": self.status.value or None, "kind": self.kind.value or None}

    async def search(self, *_: object) -> None:
        if self.run_id is None:
            return
        page = await self.api.get(
            f"/api/ai/runs/{self.run_id}/suggestions", **self.params(), limit=PAGE
        )
        self.items, self.cursor = list(page["items"]), page["next_cursor"]
        self.selected &= {str(s["id"]) for s in self.items}
        self.redraw()

    async def load_more(self, *_: object) -> None:
        if self.cursor is None or self.run_id is None:
            return
        page = await self.api.get(
            f"/api/ai/runs/{self.run_id}/suggestions",
            **self.params(),
            cursor=self.cursor,
            limit=PAGE,
        )
        self.items += list(page["items"])
        self.cursor = page["next_cursor"]
        self.redraw()

    def select_all(self) -> None:
        self.selected = {str(s["id"]) for s in self.items if s["status"] == "pending"}
        self.redraw()

    async def bulk(self, action: str) -> None:
        if not self.selected:
            return
        out = await self.api.post(
            "/api/ai/suggestions/bulk", {"ids": sorted(self.selected), "action": action}
        )
        failed = [i for i in out["items"] if i.get("error")]
        ui.notify(
            t("admin.norm.bulk_done", ok=len(out["items"]) - len(failed), failed=len(failed)),
            type="warning" if failed else "positive",
        )
        for item in failed[:3]:
            ui.notify(str(item.get("message") or item["error"]), type="negative")
        self.selected.clear()
        await self.search()

    async def decide(self, suggestion: dict[str, Any], action: str, body: Any = None) -> bool:
        try:
            await self.api.post(f"/api/ai/suggestions/{suggestion['id']}/{action}", body)
        except ApiError as error:
            notify_error(error)
            return False
        ui.notify(t(f"admin.norm.{action}ed"), type="positive")
        await self.search()
        return True

    async def act(self, suggestion: dict[str, Any], action: str) -> None:
        await self.decide(suggestion, action)

    def redraw(self) -> None:
        self.list.clear()
        with self.list:
            for suggestion in self.items:
                self._card(suggestion)
        self.shown.set_text(t("admin.norm.shown", n=len(self.items)))
        self.empty.set_visibility(not self.items)
        self.more.set_visibility(self.cursor is not None)

    def _toggle(self, sid: str, on: bool) -> None:
        if on:
            self.selected.add(sid)
        else:
            self.selected.discard(sid)

    def _card(self, s: dict[str, Any]) -> None:
        sid, status, kind = str(s["id"]), str(s["status"]), str(s["kind"])
        proposed = s.get("proposed") or {}
        with (
            ui.card()
            .classes("w-full p-3 gap-1")
            .props(f'flat bordered data-testid="suggestion-{sid}" data-kind="{kind}"')
        ):
            with ui.row().classes("w-full items-center gap-2 no-wrap"):
                if status == "pending":
                    ui.checkbox(
                        value=sid in self.selected,
                        on_change=lambda e, i=sid: self._toggle(i, bool(e.value)),
                    ).props(f'dense data-testid="select-{sid}"')
                ui.badge(t(f"admin.norm.kind.{kind}"), color="primary").props("outline")
                ui.label(t("admin.norm.confidence", pct=round(float(s["confidence"]) * 100)))
                ui.space()
                ui.badge(t(f"admin.norm.status.{status}"), color=COLOURS[status]).props(
                    f'data-testid="suggestion-status-{sid}"'
                )
            if kind == "rename":
                before = proposed.get("before") or {}
                with ui.row().classes("items-center gap-2"):
                    ui.label(str(before.get("name", ""))).classes("stocky-muted line-through")
                    ui.icon("arrow_forward")
                    ui.label(str(proposed.get("name", ""))).classes("font-semibold").props(
                        f'data-testid="suggestion-name-{sid}"'
                    )
                if before.get("category") != proposed.get("category"):
                    ui.label(
                        t(
                            "admin.norm.category",
                            before=before.get("category") or "—",
                            after=proposed.get("category") or "—",
                        )
                    ).classes("text-sm")
            else:
                names = proposed.get("names") or {}
                survivor = str(proposed.get("survivor_id"))
                for pid in s["product_ids"]:
                    keeps = str(pid) == survivor
                    with ui.row().classes("items-center gap-2"):
                        ui.icon("check_circle" if keeps else "merge").classes(
                            "text-positive" if keeps else "text-orange-8"
                        )
                        ui.label(str(names.get(str(pid), pid)))
                        ui.label(t("admin.norm.keeps" if keeps else "admin.norm.merges")).classes(
                            "stocky-muted text-sm"
                        )
            reasons = ", ".join(str(r) for r in s.get("reasons") or [])
            if reasons:
                ui.label(reasons).classes("stocky-muted text-sm")
            if status != "pending":
                return
            with ui.row().classes("gap-2"):
                ui.button(
                    t("admin.norm.accept"),
                    icon="done",
                    on_click=handled(lambda x=s: self.act(x, "accept")),
                ).props(f'flat no-caps dense color=positive data-testid="accept-{sid}"')
                if kind == "rename":
                    ui.button(
                        t("admin.norm.edit"), icon="edit", on_click=lambda x=s: self.open_edit(x)
                    ).props(f'flat no-caps dense data-testid="edit-{sid}"')
                ui.button(
                    t("admin.norm.reject"),
                    icon="close",
                    on_click=handled(lambda x=s: self.act(x, "reject")),
                ).props(f'flat no-caps dense color=negative data-testid="reject-{sid}"')

    def open_edit(self, s: dict[str, Any]) -> None:
        proposed = s.get("proposed") or {}
        with (
            self.dialogs,
            ui.dialog() as dialog,
            ui.card().classes("w-full max-w-[480px] p-5 gap-3").props('data-testid="edit-dialog"'),
        ):
            ui.label(t("admin.norm.edit_title")).classes("text-lg font-bold")
            name = ui.input(t("admin.norm.name"), value=str(proposed.get("name") or "")).props(
                'outlined data-testid="edit-name"'
            )
            name.classes("w-full")
            category = ui.input(
                t("admin.norm.category_field"), value=str(proposed.get("category") or "")
            ).props('outlined data-testid="edit-category"')
            category.classes("w-full")

            async def send(*_: object) -> None:
                body = {
                    "name": str(name.value or "").strip() or None,
                    "category": str(category.value or "").strip() or None,
                }
                if await self.decide(s, "accept", body):
                    dialog.close()

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(t("admin.norm.keep"), on_click=dialog.close).props("flat no-caps")
                ui.button(t("admin.norm.accept"), on_click=handled(send)).props(
                    'unelevated no-caps data-testid="edit-confirm"'
                )
        dialog.open()


async def body(session: AdminSession, api: AdminApi, args: PageArguments) -> None:
    page_title(t("admin.norm.title"))
    run_id = str(args.query_parameters.get("run") or "") or None
    if run_id is None:  # the latest run, if there is one
        latest = list(await api.get("/api/ai/runs", limit=1))
        run_id = str(latest[0]["id"]) if latest else None
    screen = NormalizeScreen(api, run_id)
    if run_id is not None:
        await screen.poll()


ROUTES = {"/catalogo/normalizar": framed("/catalogo", body, with_args=True)}
