"""The Traslados screen in Chromium (issue 15 item 5): a real `stocky edge run` of the origin
sede's caja against a live cloud with its worker. A transfer requested by the other sede
appears live with a toast; its manager approves it at the caja, the cloud's job completes it
and the caja toasts that too; offline, the buttons are off and say why. Screenshots go to
artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.edge.transfers.world import PASSWORD, World, build_world
from tests.edge.ui.test_journey import _caja, _shot, expect
from tests.edge.ui.test_journey import page as chromium_tab
from tests.fixtures.cloud_process import free_port

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs chromium")
FAST = {"STOCKY_EDGE_PING_SECONDS": "0.5"}


@pytest.fixture
def tab() -> Iterator[Any]:
    yield from chromium_tab.__wrapped__()  # type: ignore[attr-defined]


def _ping_norte(world: World) -> None:
    """Norte's caja heard now: the cloud takes requests only while both sedes are online."""
    caja = world.caja_norte
    r = httpx.post(
        f"{caja.url}/api/sync/ping",
        json={},
        headers={"Authorization": f"Bearer {caja.credential}"},
    )
    assert r.status_code == 200, r.text


def _log_in(page: Any, caja: str) -> None:
    tid = page.get_by_test_id
    page.goto(f"{caja}/login")
    tid("login-email").fill("gerente.centro@example.com")
    tid("login-password").fill(PASSWORD)
    tid("login-submit").click()
    page.wait_for_url("**/vender")
    tid("nav-traslados").click()
    page.wait_for_url("**/traslados")


def _toast(page: Any, text: str) -> None:
    expect(page.locator(".q-notification", has_text=text).first).to_be_visible(timeout=30_000)


def test_a_request_shows_live_is_approved_at_the_caja_and_completes(
    jobs_cloud: str, tmp_path: Path, tab: Any
) -> None:
    page = tab
    world: World = build_world(jobs_cloud, tmp_path)
    # The caja process owns Centro's file from here; Norte's caja stays in the test.
    world.caja_centro.close()
    try:
        with _caja(tmp_path, FAST, data_dir=world.caja_centro.data_dir) as caja:
            _log_in(page, caja)
            expect(page.get_by_test_id("xfer-empty")).to_be_visible()
            expect(page.get_by_test_id("status-online")).to_contain_text("En línea")

            _ping_norte(world)
            first = world.request({world.arroz: "4", world.queso: "1.250"})
            card = page.get_by_test_id(f"xfer-{first['id']}")
            expect(card).to_be_visible(timeout=30_000)  # pushed by the cloud, no reload
            _toast(page, "Nuevo traslado solicitado: Centro → Norte")
            expect(card.get_by_test_id("xfer-status")).to_have_text("Pendiente")
            expect(card).to_contain_text("Saliente")
            expect(card).to_contain_text("Arroz Diana 1 kg")
            expect(card).to_contain_text("Queso campesino (kg)")
            expect(card).to_contain_text("Nota: reposición")
            expect(card.get_by_test_id("xfer-approve")).to_be_enabled()
            _shot(page, "transfers-01-pending.png")

            card.get_by_test_id("xfer-approve").click()
            _toast(page, "Traslado completado: Centro → Norte")
            expect(card.get_by_test_id("xfer-status")).to_have_text("Completado")
            expect(card).to_contain_text("Decidido")
            expect(card).to_contain_text("Gloria Centro")
            expect(card.get_by_test_id("xfer-approve")).to_have_count(0)
            _shot(page, "transfers-02-completed.png")

            # A second one, rejected with a reason.
            _ping_norte(world)
            second = world.request({world.arroz: "50"}, note="para el fin de semana")
            card2 = page.get_by_test_id(f"xfer-{second['id']}")
            expect(card2).to_be_visible(timeout=30_000)
            card2.get_by_test_id("xfer-reject").click()
            page.get_by_test_id("xfer-reject-confirm").click()
            _toast(page, "Escriba el motivo del rechazo")
            page.get_by_test_id("xfer-reject-reason").fill("No alcanza el arroz")
            page.get_by_test_id("xfer-reject-confirm").click()
            expect(card2.get_by_test_id("xfer-status")).to_have_text("Rechazado", timeout=30_000)
            expect(card2).to_contain_text("Motivo: No alcanza el arroz")

            # English on request.
            page.get_by_test_id("language-toggle").click()
            expect(page.get_by_text("Transfers between stores")).to_be_visible()
            expect(card.get_by_test_id("xfer-status")).to_have_text("Completed")
            _shot(page, "transfers-03-english.png", no_toasts=True)
            page.get_by_test_id("language-toggle").click()

            # A third one stays pending for the offline part.
            _ping_norte(world)
            third = world.request({world.queso: "0.5"})
            expect(page.get_by_test_id(f"xfer-{third['id']}")).to_be_visible(timeout=30_000)

        # The same caja with no cloud to reach: it goes offline, the buttons say why.
        dead = {**FAST, "STOCKY_EDGE_CLOUD_URL": f"http://127.0.0.1:{free_port()}"}
        with _caja(tmp_path, dead, data_dir=world.caja_centro.data_dir) as caja:
            _log_in(page, caja)
            expect(page.get_by_test_id("status-online")).to_contain_text(
                re.compile("sin conexión", re.IGNORECASE), timeout=20_000
            )
            card3 = page.get_by_test_id(f"xfer-{third['id']}")
            expect(card3.get_by_test_id("xfer-why-not")).to_have_text(
                "Requiere conexión con la nube"
            )
            expect(card3.get_by_test_id("xfer-approve")).to_be_disabled()
            expect(card3.get_by_test_id("xfer-reject")).to_be_disabled()
            _shot(page, "transfers-04-offline.png", no_toasts=True)
    finally:
        world.caja_norte.close()
