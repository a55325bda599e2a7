"""The messages cajas of one sede exchange on the LAN (JSON objects, key `t`).

Every message carries the sender's `epoch` (the LAN's fencing token): a caja refuses
anything stamped with an epoch older than the newest it knows, answering `stale`.

- `hello` {device_id, rank, role, master_device_id, join} -> `welcome` {the same of the
  answering caja}. A probe (join false) closes after the welcome; a slave (join true)
  stays connected to its master.
- `ops` slave -> master {id, ops} -> `ops.ack` {id, held: [{op_id, stored, result}]}.
- `op` master -> slaves {origin_device_id, op}: show its effect at once.
- `results` master -> the op's caja {results}: the cloud's answers for its ops.
- `pull` / `refetch` slave -> master {id, request} -> `page` {id, response} | `error`
  {id, reason}: the master asks the cloud for the slave's page.
- `changes` master -> slaves: the master pulled something new: pull now.
- `heartbeat` master -> slaves; `stale` {epoch}: refused, your epoch is old.
"""

from __future__ import annotations

from typing import Any, Final, Literal

HELLO: Final = "hello"
WELCOME: Final = "welcome"
OPS: Final = "ops"
OPS_ACK: Final = "ops.ack"
OP: Final = "op"
RESULTS: Final = "results"
PULL: Final = "pull"
REFETCH: Final = "refetch"
PAGE: Final = "page"
ERROR: Final = "error"
CHANGES: Final = "changes"
HEARTBEAT: Final = "heartbeat"
STALE: Final = "stale"

Role = Literal["standalone", "electing", "master", "slave"]


def message(kind: str, epoch: int, **fields: Any) -> dict[str, Any]:
    return {"t": kind, "epoch": epoch, **fields}


def epoch_of(msg: dict[str, Any]) -> int:
    """The message's epoch; a message without a valid one counts as the oldest."""
    value = msg.get("epoch")
    return value if isinstance(value, int) and value >= 0 else -1
