"""The admin's way to the cloud: the HTTP API itself, in-process, as the signed-in user.

`httpx.ASGITransport` hands each request straight to the running FastAPI app, so an admin
page goes through exactly what a script with the user's token would: authentication, role
checks, the tenant's row-level security, validation, the audit trail and change notices.
The browser's address rides along as the request's client, so per-address throttles (login,
activation) count the person, not the admin process.

An expired access token is renewed once with the refresh token; when that fails too the
session is over (`SessionExpiredError`) and the page sends the person to the login screen.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from starlette.types import ASGIApp

from stocky.cloud.admin.session import AdminSession

BASE_URL = "http://stocky-admin.internal"
TIMEOUT_S = 30.0


@dataclass
class FieldFault:
    field: str
    message: str


class ApiError(Exception):
    """An answer of 400 or more, as the API's ErrorOut body says it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[FieldFault],
        body: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.body = body or {}

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        faults = [
            FieldFault(str(f.get("field", "")), str(f.get("message", "")))
            for f in body.get("fields") or []
            if isinstance(f, dict)
        ]
        return cls(
            response.status_code,
            str(body.get("error", "error")),
            str(body.get("message", response.reason_phrase)),
            faults,
            body,
        )

    def field_message(self, name: str) -> str | None:
        """The message for one field (its last dotted part matches too: body.price)."""
        for fault in self.fields:
            if fault.field == name or fault.field.split(".")[-1] == name:
                return fault.message
        return None


class SessionExpiredError(Exception):
    """The refresh token was refused: the person must sign in again."""


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class AdminApi:
    """The cloud API as one admin session (or nobody, for login and sign-up) sees it."""

    def __init__(self, app: ASGIApp, session: AdminSession | None, client_ip: str) -> None:
        self.app = app
        self.session = session
        self.client_ip = client_ip or "127.0.0.1"

    def _client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(self.client_ip, 0))
        return httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=TIMEOUT_S)

    async def raw(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The response as it came, after one refresh on a 401; errors are not raised."""
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        async with self._client() as client:
            if self.session is not None and self.session.access_expiring():
                await self._refresh(client, self.session.access_token)
            used = self.session.access_token if self.session is not None else None
            response = await client.request(
                method,
                path,
                params=clean,
                json=json,
                files=files,
                content=content,
                headers={**self._auth(), **(headers or {})},
            )
            if response.status_code == 401 and used is not None:
                await self._refresh(client, used)
                response = await client.request(
                    method,
                    path,
                    params=clean,
                    json=json,
                    files=files,
                    content=content,
                    headers={**self._auth(), **(headers or {})},
                )
                if response.status_code == 401:
                    raise SessionExpiredError("the API refused this session")
        return response

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON body (None for 204); an ApiError for any 4xx or 5xx."""
        response = await self.raw(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return await self.call("POST", path, json=body, **kwargs)

    async def patch(self, path: str, body: Any) -> Any:
        return await self.call("PATCH", path, json=body)

    async def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return await self.call("PUT", path, json=body, **kwargs)

    async def delete(self, path: str) -> Any:
        return await self.call("DELETE", path)

    async def gather(self, *calls: Any) -> list[Any]:
        """Several independent reads at once (a dashboard's figures)."""
        return list(await asyncio.gather(*calls))

    def _auth(self) -> dict[str, str]:
        if self.session is None:
            return {}
        return {"Authorization": f"Bearer {self.session.access_token}"}

    async def _refresh(self, client: httpx.AsyncClient, used: str) -> None:
        """Rotate the refresh token once for every request that found `used` stale.

        A page reads several things at once; each would otherwise present the same refresh
        token, and the API takes a second presentation of a rotated token as theft and
        revokes the whole family (the session would end for no reason).
        """
        session = self.session
        assert session is not None
        async with session.refresh_lock:
            if session.access_token != used:
                return  # another request renewed it meanwhile
            response = await client.post(
                "/api/auth/refresh", json={"refresh_token": session.refresh_token}
            )
            if response.status_code != 200:
                raise SessionExpiredError("the refresh token was refused")
            renew(session, response.json())


def renew(session: AdminSession, tokens: dict[str, Any]) -> None:
    """Take a TokenOut answer (login or refresh) into the session."""
    session.access_token = str(tokens["access_token"])
    session.refresh_token = str(tokens["refresh_token"])
    session.expires_at = _parse_time(str(tokens["expires_at"]))
    session.refresh_expires_at = _parse_time(str(tokens["refresh_expires_at"]))
    session.user = dict(tokens["user"])


def session_from_tokens(tokens: dict[str, Any]) -> AdminSession:
    return AdminSession(
        access_token=str(tokens["access_token"]),
        refresh_token=str(tokens["refresh_token"]),
        expires_at=_parse_time(str(tokens["expires_at"])),
        refresh_expires_at=_parse_time(str(tokens["refresh_expires_at"])),
        user=dict(tokens["user"]),
        language=str(tokens["user"].get("language") or "es"),
    )
