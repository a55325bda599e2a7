"""The Traslados screen's logic with NiceGUI's simulated user: who may decide, and a toast
when the pull brings news of a transfer (the Chromium journey is tests/edge/transfers)."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing.user import User

from stocky.core.ids import new_id_str
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.apply import apply_page
from stocky.edge.sync.state import set_state
from tests.edge.factories import Caja
from tests.edge.sync.cloud_rows import change, page
from tests.edge.sync.test_apply_transfers import line_row, transfer_row
from tests.edge.ui.conftest import log_in


def pull(caja: Caja, *rows: tuple[str, dict[str, object]]) -> None:
    changes = [change(entity, str(row["id"]), row) for entity, row in rows]
    sede = caja.sede["sede_id"]
    caja.store.write(
        lambda c: apply_page(c, page(changes), sede_id=sede, now=utc_now()), durable=False
    )


def buttons_enabled(user: User) -> list[bool]:
    return [
        b.enabled for b in user.find(kind=ui.button).elements if b.text in ("Aprobar", "Rechazar")
    ]


class TestTraslados:
    @pytest.mark.asyncio
    async def test_a_cashier_sees_it_but_may_not_decide(self, user: User, caja: Caja) -> None:
        t = transfer_row(caja)
        pull(caja, ("transfers", t), ("transfer_lines", line_row(t, caja.products[0]["id"], "3")))
        await log_in(user)
        await user.open("/traslados")
        await user.should_see("Traslados entre sedes", retries=30)
        await user.should_see("Pendiente")
        await user.should_see("Producto 0")
        await user.should_see("Solo un gerente de esta sede (la de origen) decide")
        assert buttons_enabled(user) == [False, False]

    @pytest.mark.asyncio
    async def test_a_manager_offline_is_told_the_cloud_is_needed(
        self, user: User, caja: Caja
    ) -> None:
        pull(caja, ("transfers", transfer_row(caja)))
        caja.store.write(lambda c: set_state(c, online=0))
        await log_in(user, "admin@example.com")
        await user.open("/traslados")
        await user.should_see("Requiere conexión con la nube", retries=30)
        assert buttons_enabled(user) == [False, False]

    @pytest.mark.asyncio
    async def test_news_from_the_pull_redraws_and_toasts(self, user: User, caja: Caja) -> None:
        await log_in(user)
        await user.open("/traslados")
        await user.should_see("No hay traslados de esta sede", retries=30)
        t = transfer_row(caja, from_sede_id=new_id_str(), to_sede_id=caja.sede["sede_id"])
        pull(caja, ("transfers", t))
        await user.should_see("Entrante", retries=50)
        await user.should_see("Nuevo traslado solicitado", retries=50)
        pull(caja, ("transfers", {**t, "status": "completed", "completed_at": t["updated_at"]}))
        await user.should_see("Completado", retries=50)
        await user.should_see("Traslado completado", retries=50)
