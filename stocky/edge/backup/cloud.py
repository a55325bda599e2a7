"""The caja's side of /api/backups: upload a snapshot, list, download, the cloud's op count.

Synchronous (httpx.Client): the CLI calls it directly and the runtime from a worker thread.
Every failure becomes a BackupError with a sentence an operator can act on.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from stocky.edge.backup.snapshot import BackupError, Snapshot, snapshot_contents

TIMEOUT = httpx.Timeout(120.0, connect=10.0)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class DeviceOps:
    ops_total: int
    ops_after: int | None
    last_op_id: str | None
    last_sale_number: int


class BackupCloud:
    """Calls to the cloud with one bearer: a caja's credential or an owner's access token."""

    def __init__(
        self, base_url: str, bearer: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=TIMEOUT,
            transport=transport,
        )

    @classmethod
    def login(cls, base_url: str, email: str, password: str) -> BackupCloud:
        """An owner's session, for a wiped machine that no longer holds the caja's credential."""
        try:
            response = httpx.post(
                f"{base_url.rstrip('/')}/api/auth/login",
                json={"email": email, "password": password},
                timeout=TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise BackupError(f"cannot reach the cloud at {base_url}: {exc}") from exc
        if response.status_code != 200:
            raise BackupError(f"the cloud refused the login of {email}: {_message(response)}")
        return cls(base_url, str(response.json()["access_token"]))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BackupCloud:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BackupError(f"cannot reach the cloud at {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            raise BackupError(
                f"the cloud answered {response.status_code} to {path}: {_message(response)}"
            )
        return response

    def upload(self, snapshot: Snapshot) -> dict[str, Any]:
        contents = snapshot_contents(snapshot.path)
        params: dict[str, Any] = {
            "sha256": file_sha256(snapshot.path),
            "reason": snapshot.reason,
            "taken_at": snapshot.taken_at.isoformat(),
            "last_op_seq": contents.last_op_seq,
        }
        if contents.last_op_id:
            params["last_op_id"] = contents.last_op_id
        with snapshot.path.open("rb") as body:
            response = self._call(
                "POST",
                "/api/backups",
                params=params,
                content=body,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(snapshot.size),
                },
            )
        uploaded: dict[str, Any] = response.json()
        return uploaded

    def list(self, *, device_id: str | None = None) -> list[dict[str, Any]]:
        params = {"device_id": device_id} if device_id else {}
        items: list[dict[str, Any]] = self._call("GET", "/api/backups", params=params).json()[
            "items"
        ]
        return items

    def download(self, backup_id: str, dest: Path) -> Path:
        """Write the backup to `dest` (aside, then renamed) after checking its sha256."""
        partial = dest.with_name(f".{dest.name}.partial")
        try:
            with self._http.stream("GET", f"/api/backups/{backup_id}/download") as response:
                if response.status_code >= 400:
                    response.read()
                    raise BackupError(
                        f"the cloud answered {response.status_code} to the download of"
                        f" {backup_id}: {_message(response)}"
                    )
                expected = response.headers.get("x-backup-sha256", "")
                with partial.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
        except httpx.HTTPError as exc:
            partial.unlink(missing_ok=True)
            raise BackupError(f"the download of {backup_id} failed: {exc}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if file_sha256(partial) != expected:
            partial.unlink(missing_ok=True)
            raise BackupError(f"the download of {backup_id} does not match its sha256")
        os.replace(partial, dest)
        return dest

    def device_ops(self, *, device_id: str | None, after_op_id: str | None) -> DeviceOps:
        params = {k: v for k, v in (("device_id", device_id), ("after_op_id", after_op_id)) if v}
        body = self._call("GET", "/api/backups/device-ops", params=params).json()
        return DeviceOps(
            body["ops_total"], body["ops_after"], body["last_op_id"], body["last_sale_number"]
        )


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text[:200]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
