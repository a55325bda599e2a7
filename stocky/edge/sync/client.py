"""HTTP client of the cloud's sync API, authenticated by the caja's device credential.

JSON numbers are parsed as Decimal: money and quantities never pass through a float.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import uuid
from decimal import Decimal
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel

from stocky.core.lan import CertificateRequest, CertificateResponse, LeaseRequest, LeaseResponse
from stocky.core.sale_lookup import SaleLookup
from stocky.core.sync import (
    PingOut,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RefetchRequest,
    RefetchResponse,
)
from stocky.edge.config import CloudTimeouts
from stocky.edge.tls import httpx_verify

M = TypeVar("M", bound=BaseModel)

log = logging.getLogger(__name__)

# Sent with each sync call and logged on both sides, so a caja's line and the cloud's match.
REQUEST_ID_HEADER = "X-Request-ID"


class CloudError(Exception):
    """The cloud could not be reached or did not answer well; retry later."""


class CloudUnavailableError(CloudError):
    """Network down, timeout, or a 5xx: nothing was applied (or it will answer duplicate)."""


class CredentialRefusedError(CloudError):
    """401: the caja's credential was revoked; only a new activation helps."""


class CloudRefusedError(CloudError):
    """A 4xx other than 401: the request itself is wrong; retrying the same will not help.

    `status` and `message` are the cloud's own (a route may pass them on to a person)."""

    def __init__(self, text: str, *, status: int = 400, message: str | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.message = message or text


class StaleEpochError(CloudRefusedError):
    """409 stale_epoch: the sede's LAN lease is another caja's (or newer) now; `epoch` and
    `device_id` say whose. Nothing of the push was applied: hand the ops to that master."""

    def __init__(self, text: str, *, epoch: int | None, device_id: str | None) -> None:
        super().__init__(text, status=409)
        self.epoch = epoch
        self.device_id = device_id


class CloudClient:
    def __init__(
        self,
        base_url: str,
        credential: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: CloudTimeouts | None = None,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.timeouts = timeouts or CloudTimeouts()
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {credential}"},
            transport=transport,
            verify=verify or httpx_verify(),
            timeout=self._timeout(self.timeouts.pull),
        )

    def _timeout(self, seconds: float) -> httpx.Timeout:
        # The whole call is bounded by `seconds`; connecting never takes longer than that.
        return httpx.Timeout(seconds, connect=min(self.timeouts.connect, seconds))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: BaseModel, model: type[M], seconds: float) -> M:
        request_id = uuid.uuid4().hex
        try:
            # httpx's read timeout restarts with every byte; a hung server that accepted the
            # connection must still fail within `seconds`, hence the outer deadline.
            async with asyncio.timeout(seconds):
                response = await self._http.post(
                    path,
                    content=body.model_dump_json(exclude_none=True),
                    headers={"Content-Type": "application/json", REQUEST_ID_HEADER: request_id},
                    timeout=self._timeout(seconds),
                )
        except TimeoutError as exc:
            log.info("%s request_id=%s: no answer", path, request_id)
            raise CloudUnavailableError(f"{path}: no answer within {seconds:g} s") from exc
        except httpx.HTTPError as exc:
            log.info("%s request_id=%s: %s", path, request_id, type(exc).__name__)
            raise CloudUnavailableError(f"{path}: {type(exc).__name__}: {exc}") from exc
        log.info("%s request_id=%s: HTTP %s", path, request_id, response.status_code)
        return model.model_validate(self._decode(path, response))

    @staticmethod
    def _decode(path: str, response: httpx.Response) -> Any:
        try:
            body = json.loads(response.content, parse_float=Decimal) if response.content else {}
        except ValueError:
            body = {}
        message = body.get("message") if isinstance(body, dict) else None
        if response.status_code == 401:
            raise CredentialRefusedError(message or "the cloud refused this caja's credential")
        if response.status_code >= 500 or response.status_code == 429:
            raise CloudUnavailableError(f"{path}: HTTP {response.status_code} {message or ''}")
        if (
            response.status_code == 409
            and isinstance(body, dict)
            and body.get("error") == ("stale_epoch")
        ):
            epoch = body.get("epoch")
            raise StaleEpochError(
                f"{path}: {message or 'stale LAN epoch'}",
                epoch=epoch if isinstance(epoch, int) else None,
                device_id=str(body.get("device_id") or "") or None,
            )
        if response.status_code >= 400:
            raise CloudRefusedError(
                f"{path}: HTTP {response.status_code} {message or ''}",
                status=response.status_code,
                message=message if isinstance(message, str) else None,
            )
        return body

    async def push(self, request: PushRequest) -> PushResponse:
        return await self._post("/api/sync/push", request, PushResponse, self.timeouts.push)

    async def pull(self, request: PullRequest) -> PullResponse:
        return await self._post("/api/sync/pull", request, PullResponse, self.timeouts.pull)

    async def refetch(self, request: RefetchRequest) -> RefetchResponse:
        return await self._post("/api/sync/refetch", request, RefetchResponse, self.timeouts.pull)

    async def lan_lease(self, request: LeaseRequest) -> LeaseResponse:
        return await self._post("/api/sync/lan/lease", request, LeaseResponse, self.timeouts.ping)

    async def lan_certificate(self, request: CertificateRequest) -> CertificateResponse:
        return await self._post(
            "/api/sync/lan/certificate", request, CertificateResponse, self.timeouts.push
        )

    async def ping(self, body: BaseModel) -> PingOut:
        return await self._post("/api/sync/ping", body, PingOut, self.timeouts.ping)

    async def lookup_sale(self, receipt: str, seconds: float = 4.0) -> SaleLookup | None:
        """A sale of this caja's sede by its printed number (C01-000042), as the cloud holds
        it, or None if the sede has no such sale. Short: a person waits at the counter."""
        path = "/api/sales/lookup"
        try:
            async with asyncio.timeout(seconds):
                response = await self._http.get(
                    path, params={"receipt": receipt}, timeout=self._timeout(seconds)
                )
        except TimeoutError as exc:
            raise CloudUnavailableError(f"{path}: no answer within {seconds:g} s") from exc
        except httpx.HTTPError as exc:
            raise CloudUnavailableError(f"{path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code in (404, 422):
            return None
        return SaleLookup.model_validate(self._decode(path, response))

    async def _post_json(self, path: str, body: dict[str, Any], seconds: float) -> Any:
        try:
            async with asyncio.timeout(seconds):
                response = await self._http.post(path, json=body, timeout=self._timeout(seconds))
        except TimeoutError as exc:
            raise CloudUnavailableError(f"{path}: no answer within {seconds:g} s") from exc
        except httpx.HTTPError as exc:
            raise CloudUnavailableError(f"{path}: {type(exc).__name__}: {exc}") from exc
        return self._decode(path, response)

    async def decide_transfer(
        self,
        transfer_id: str,
        decision: Literal["approve", "reject"],
        *,
        acting_user_id: str,
        reason: str | None = None,
        seconds: float = 8.0,
    ) -> dict[str, Any]:
        """Approve or reject a transfer out of this caja's sede for the manager signed in
        here (POST /api/transfers/{id}/approve|reject); the cloud's Transfer JSON.

        Short: a person waits. CloudRefusedError carries the cloud's 403/404/409/422."""
        body: dict[str, Any] = {"acting_user_id": acting_user_id}
        if reason is not None:
            body["reason"] = reason
        found = await self._post_json(f"/api/transfers/{transfer_id}/{decision}", body, seconds)
        if not isinstance(found, dict):
            raise CloudUnavailableError(f"/api/transfers/{transfer_id}: not a transfer")
        return found

    async def jwks(self) -> dict[str, Any]:
        """The cloud's public signing keys (GET /api/auth/jwks)."""
        try:
            response = await self._http.get(
                "/api/auth/jwks", timeout=self._timeout(self.timeouts.push)
            )
        except httpx.HTTPError as exc:
            raise CloudUnavailableError(f"/api/auth/jwks: {type(exc).__name__}: {exc}") from exc
        body = self._decode("/api/auth/jwks", response)
        if not isinstance(body, dict):
            raise CloudRefusedError("/api/auth/jwks: not a JWKS")
        return body
