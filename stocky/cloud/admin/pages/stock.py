"""Placeholder: this screen is being built (issue 14)."""

from __future__ import annotations

from stocky.cloud.admin.api import AdminApi
from stocky.cloud.admin.layout import framed, page_title
from stocky.cloud.admin.session import AdminSession
from stocky.ui.i18n import t


async def body(session: AdminSession, api: AdminApi) -> None:
    page_title(t("admin.nav.stock"))


ROUTES = {"/inventario": framed("/inventario", body)}
