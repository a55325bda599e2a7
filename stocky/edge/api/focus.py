"""POST /local/focus: a second `stocky edge run` on the same data dir asks this one to come
to front, instead of opening the store a second time.

No login (the second launch has none), so it is fenced three ways: the Host check of the
whole caja app (no DNS rebinding), loopback peers only, and the per-run token the caja
wrote into its owner-only instance file, sent in a custom header (a web page can neither
read the file nor send that header cross-origin without a preflight this app never grants).
Its only effect is raising a window or opening a tab.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.responses import JSONResponse

from stocky.edge.desktop.single_instance import FOCUS_HEADER, FOCUS_PATH
from stocky.edge.desktop.window import Focuser

router = APIRouter()


def _refused(message: str) -> JSONResponse:
    return JSONResponse({"error": "forbidden", "message": message}, status_code=403)


def _is_loopback(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


@router.post(FOCUS_PATH, include_in_schema=False, response_model=None)
async def focus(
    request: Request,
    token: Annotated[str | None, Header(alias=FOCUS_HEADER, max_length=200)] = None,
) -> dict[str, Any] | JSONResponse:
    focuser: Focuser = request.app.state.focuser
    if not _is_loopback(request.client.host if request.client else None):
        return _refused("only this computer may bring the caja to front")
    if token is None or not secrets.compare_digest(token.encode(), focuser.token.encode()):
        return _refused(f"{FOCUS_HEADER}: missing or wrong token (see the data dir's instance)")
    # webbrowser.open may wait on a launcher process: off the event loop.
    focused = await asyncio.to_thread(focuser.focus)
    return {"mode": focuser.mode.value, "focused": focused, "requests": focuser.requests}
