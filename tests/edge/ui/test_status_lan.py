"""The status bar tells the cashier the caja's place on the sede's LAN: alone, the main caja
(with its epoch, small) or a secondary naming its main caja; it follows the LAN node's
sync_state as the node rewrites it."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from nicegui.testing.user import User

from stocky.edge.sync.state import set_state
from stocky.ui.i18n import t
from tests.edge.factories import Caja
from tests.edge.ui.conftest import log_in

NOW = "2026-12-02T21:00:00.000Z"


@pytest.mark.asyncio
async def test_the_bar_shows_alone_main_then_secondary(user: User, caja: Caja) -> None:
    await log_in(user)
    await user.should_see(marker="status-lan", content="Sola", retries=50)
    master = str(uuid.uuid4())

    def become_master(conn: sqlite3.Connection) -> None:
        set_state(conn, lan_role="master", lan_epoch=3, lan_master_device_id=caja.sede["device_id"])

    await caja.store.awrite(become_master)
    await user.should_see(marker="status-lan", content="Principal", retries=50)
    await user.should_see(marker="status-lan-epoch", content="época 3", retries=50)

    def follow(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO sede_devices (device_id, name, caja_number, lan_rank, status, "
            "updated_at) VALUES (?, 'Caja 2', 2, 1, 'active', ?)",
            (master, NOW),
        )
        set_state(conn, lan_role="slave", lan_epoch=4, lan_master_device_id=master)

    await caja.store.awrite(follow)
    await user.should_see(marker="status-lan", content="Secundaria · principal: Caja 2", retries=50)
    await user.should_see(marker="status-lan-epoch", content="época 4", retries=50)


def test_the_lan_texts_read_in_english_too() -> None:
    from stocky.edge.ui.status_lan import lan_epoch_text, lan_role_text
    from stocky.ui.i18n import language, set_language

    before = language()
    set_language("en")
    try:
        lan = {"role": "slave", "epoch": 9, "master_device_id": "abc", "master_name": "Caja 2"}
        assert lan_role_text(lan) == "Secondary · main: Caja 2"
        assert lan_epoch_text(lan) == "epoch 9"
        assert lan_role_text({"role": "master"}) == t("status.lan.master") == "Main"
        # A master the devices feed has not named yet: the start of its id.
        unnamed = {"role": "slave", "master_device_id": "0123456789abcdef"}
        assert lan_role_text(unnamed) == "Secondary · main: 01234567"
        assert lan_epoch_text({"role": "standalone", "epoch": None}) == ""
    finally:
        set_language(before)
