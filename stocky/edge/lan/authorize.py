"""Who may talk to this caja on the LAN: an active caja of the same tenant and sede, as the
cloud's devices feed says (sede_devices), other than this caja itself.

The certificate already proves the tenant (only the tenant's CA is trusted) and names the
device and sede; this adds what a certificate cannot know: a caja revoked, moved or deleted
since it was issued (pulled like any change). A caja the feed has not brought yet is taken
on its certificate: two cajas of a sede that went offline before they pulled each other
must still find each other (refusing it made both masters for good).
"""

from __future__ import annotations

import sqlite3

from stocky.edge.lan.identity import LanIdentity
from stocky.edge.lan.tls import PeerId


def may_join(conn: sqlite3.Connection, own: LanIdentity, peer: PeerId) -> str | None:
    """None when `peer` may talk to this caja; otherwise why not (English, naming the
    device)."""
    if peer.tenant_id != own.tenant_id:
        return f"caja {peer.device_id} belongs to another tenant ({peer.tenant_id})"
    if peer.sede_id != own.sede_id:
        return f"caja {peer.device_id} belongs to another sede ({peer.sede_id})"
    if peer.device_id == own.device_id:
        return f"caja {peer.device_id} is this caja itself"
    row = conn.execute(
        "SELECT status, revoked_at FROM sede_devices WHERE device_id = ?", (peer.device_id,)
    ).fetchone()
    if row is None:
        # Activated after this caja's last pull (it may have been offline since): the
        # certificate, which the cloud issues only to an active caja of this sede, vouches.
        return None
    status, revoked_at = row[0], row[1]
    if revoked_at is not None or status == "revoked":
        return f"caja {peer.device_id} is revoked"
    if status != "active":
        return f"caja {peer.device_id} is not active ({status})"
    return None
