"""The status bar's LAN part: is this caja the sede's main one, following another, or alone.

A cashier reads it to know whether sales made while the internet is down still reach the
other cajas (a secondary names its main caja); the epoch, small, is for whoever supports
the sede (two cajas claiming to be main show different epochs).
"""

from __future__ import annotations

from typing import Any

from stocky.ui.i18n import register_texts, t

ES: dict[str, str] = {
    "status.lan.master": "Principal",
    "status.lan.slave": "Secundaria · principal: {master}",
    "status.lan.slave_unknown": "Secundaria",
    "status.lan.electing": "Buscando la principal…",
    "status.lan.standalone": "Sola",
    "status.lan.epoch": "época {epoch}",
    "status.lan.tooltip": "Red local entre las cajas de la sede",
}

EN: dict[str, str] = {
    "status.lan.master": "Main",
    "status.lan.slave": "Secondary · main: {master}",
    "status.lan.slave_unknown": "Secondary",
    "status.lan.electing": "Finding the main caja…",
    "status.lan.standalone": "Alone",
    "status.lan.epoch": "epoch {epoch}",
    "status.lan.tooltip": "Local network between the sede's cajas",
}

register_texts(ES, EN)

# A master the devices feed has not named yet is shown by the start of its id: enough to
# tell two apart on a support call.
SHORT_ID = 8


def lan_role_text(lan: dict[str, Any]) -> str:
    """The role in words, from the status JSON's `lan` block."""
    role = lan.get("role") or "standalone"
    if role == "slave":
        master = lan.get("master_name") or str(lan.get("master_device_id") or "")[:SHORT_ID]
        return t("status.lan.slave", master=master) if master else t("status.lan.slave_unknown")
    if role in ("master", "electing"):
        return t(f"status.lan.{role}")
    return t("status.lan.standalone")


def lan_epoch_text(lan: dict[str, Any]) -> str:
    """The epoch, small beside the role; nothing while there has never been one."""
    epoch = lan.get("epoch")
    return t("status.lan.epoch", epoch=epoch) if epoch is not None else ""
