"""Approving or rejecting a transfer out of this caja's sede: only the cloud decides.

The caja checks what it can (a signed-in manager or above, its own sede the origin) and
then asks the cloud with its device credential for that person (`acting_user_id`). Offline
or unreachable, the decision cannot happen here: 503 says so. What the cloud refuses (403,
404, 409, 422) is passed on with its own message. The local copy follows by pull.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, Any, Literal

from stocky.core.errors import FieldError, ForbiddenError, ServiceUnavailableError, StockyError
from stocky.edge.auth.session import LocalUser
from stocky.edge.sync.client import (
    CloudClient,
    CloudError,
    CloudRefusedError,
    CredentialRefusedError,
)
from stocky.edge.sync.state import get_state
from stocky.edge.tls import ssl_context
from stocky.edge.transfers.schemas import DecisionOut

if TYPE_CHECKING:  # the runtime composes the local API, which serves these routes
    from stocky.edge.runtime import CajaRuntime

log = logging.getLogger(__name__)

Decision = Literal["approve", "reject"]
NEEDS_CLOUD = (
    "Aprobar o rechazar un traslado requiere conexión con la nube / "
    "Approving or rejecting a transfer needs a connection to the cloud"
)


class NeedsCloudError(ServiceUnavailableError):
    code = "offline"


class CloudSaidError(StockyError):
    """The cloud's own refusal, its status and message unchanged."""

    def __init__(self, refused: CloudRefusedError) -> None:
        super().__init__(refused.message)
        self.status_code = refused.status
        self.code = _CODES.get(refused.status, "bad_request")


_CODES = {403: "forbidden", 404: "not_found", 409: "conflict", 422: "validation_error"}


def _facts(conn: sqlite3.Connection, transfer_id: str) -> tuple[str, str, str, bool, Any]:
    info = conn.execute(
        "SELECT sede_id, cloud_url, device_credential FROM sede_info WHERE id = 1"
    ).fetchone()
    if info is None:
        raise NeedsCloudError(f"{NEEDS_CLOUD}: this caja is not activated")
    row = conn.execute(
        "SELECT from_sede_id, status FROM transfers WHERE id = ?", (transfer_id,)
    ).fetchone()
    online = bool(get_state(conn, "online"))
    return str(info[0]), str(info[1]), str(info[2]), online, row


def _check(user: LocalUser, sede: str, row: Any) -> None:
    if not user.at_least("manager"):
        raise ForbiddenError(
            "Solo un gerente (o superior) aprueba o rechaza traslados / "
            "only a manager or above approves or rejects transfers"
        )
    # Unknown here (not pulled yet): the cloud checks the origin itself.
    if row is not None and str(row["from_sede_id"]) != sede:
        raise ForbiddenError(
            "Este traslado no sale de la sede de esta caja: lo decide la sede de origen / "
            "this transfer does not leave this caja's sede: its origin decides"
        )


async def decide(
    runtime: CajaRuntime,
    user: LocalUser,
    transfer_id: str,
    decision: Decision,
    reason: str | None = None,
) -> DecisionOut:
    store = runtime.require_store()
    if decision == "reject" and (reason is None or not reason.strip()):
        raise FieldError("reason", "a rejection needs a reason")
    sede, url, credential, online, row = await store.aread(lambda c: _facts(c, transfer_id))
    _check(user, sede, row)
    if not online:
        raise NeedsCloudError(f"{NEEDS_CLOUD}: esta caja está sin conexión / this caja is offline")
    engine = runtime.engine
    client = engine.client if engine is not None else None
    owned = client is None
    if client is None:
        client = CloudClient(
            runtime.settings.cloud_url or url, credential, verify=ssl_context(runtime.settings)
        )
    try:
        found = await client.decide_transfer(
            transfer_id,
            decision,
            acting_user_id=user.id,
            reason=reason.strip() if reason else None,
        )
    except CredentialRefusedError as exc:
        raise NeedsCloudError(f"{NEEDS_CLOUD}: {exc}") from exc
    except CloudRefusedError as exc:
        raise CloudSaidError(exc) from exc
    except CloudError as exc:
        log.info("transfer %s %s: the cloud could not be reached: %s", transfer_id, decision, exc)
        raise NeedsCloudError(f"{NEEDS_CLOUD}: {exc}") from exc
    finally:
        if owned:
            await client.aclose()
    if engine is not None:
        engine.pull.notify()  # the new status (and later the stock) comes back by pull
    return DecisionOut(id=str(found.get("id")), status=str(found.get("status")), transfer=found)
