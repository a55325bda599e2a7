"""Activating a caja: ask the cloud, then seed the data dir's SQLite store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from stocky.core import activation_codes as codes
from stocky.edge.activation.store import save_activation
from stocky.edge.config import store_path
from stocky.edge.outbox import pending_count
from stocky.edge.store.cipher import is_plain_sqlite, new_cipher, read_marker
from stocky.edge.store.encrypt import encrypt_in_place
from stocky.edge.store.sede import is_activated, load_sede_info
from stocky.edge.store.store import Store
from stocky.edge.sync.cloud_address import CloudAddressError, normalize_cloud_url
from stocky.edge.tls import InsecureCloudError, check_cloud_url, httpx_verify, tls_failure

TIMEOUT_S = 30.0


class ActivationError(Exception):
    """Activation could not go ahead; the message is for a person, in one line."""


@dataclass(frozen=True)
class Activated:
    tenant_name: str
    sede_name: str
    device_id: str
    device_name: str
    cloud_url: str
    store_path: Path
    counts: dict[str, int]


def _refuse_if_activated(store: Store, force: bool) -> None:
    info = store.read(load_sede_info) if store.read(is_activated) else None
    if info is None:
        return
    if not force:
        raise ActivationError(
            f"This data dir is already activated as caja {info.device_name!r} of sede "
            f"{info.sede_name!r} ({info.tenant_name}). Use --force to activate it again."
        )
    pending = store.read(pending_count)
    if pending:
        raise ActivationError(
            f"Refusing --force: {pending} operation{'s' if pending != 1 else ''} not yet "
            "synced to the cloud would be lost. Let the caja sync first."
        )


def _cloud_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if response.status_code == 404:
        return "That activation code is not valid. Check the code and try again."
    if response.status_code == 429:
        retry = response.headers.get("Retry-After")
        wait = f" Try again in {retry} seconds." if retry else ""
        return f"Too many wrong activation codes from this caja.{wait}"
    return str(message or f"The cloud answered {response.status_code}.")


def prepare_encryption(path: Path) -> None:
    """Make the caja's db encrypted before activation writes it: a new file is created
    encrypted, an existing plain one (activating again) is encrypted in place first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = is_plain_sqlite(path)
    if plain is None and read_marker(path) is None:
        new_cipher(path)
    elif plain:
        encrypt_in_place(path)


def request_activation(
    cloud_url: str, code: str, device_name: str, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    url = cloud_url.rstrip("/") + "/api/activate"
    try:
        with httpx.Client(timeout=TIMEOUT_S, transport=transport, verify=httpx_verify()) as client:
            response = client.post(url, json={"code": code, "device_name": device_name})
    except httpx.HTTPError as exc:
        refused = tls_failure(exc)
        if refused is not None:
            raise ActivationError(f"{cloud_url}: {refused}") from exc
        raise ActivationError(f"Cannot reach the cloud at {cloud_url}: {exc}.") from exc
    if response.status_code != 200:
        raise ActivationError(_cloud_message(response))
    answer: dict[str, Any] = response.json()
    return answer


def activate(
    *,
    cloud_url: str,
    code: str,
    data_dir: Path,
    device_name: str,
    force: bool = False,
    transport: httpx.BaseTransport | None = None,
    encrypt: bool = False,
) -> Activated:
    """Register this caja with the cloud and write its identity, users and catalog."""
    canonical = codes.normalize(code)
    if canonical is None:
        raise ActivationError(codes.FORMAT_HINT)
    code = codes.display(canonical)
    try:
        reached = check_cloud_url(normalize_cloud_url(cloud_url))
    except (CloudAddressError, InsecureCloudError) as exc:
        raise ActivationError(str(exc)) from exc
    path = store_path(data_dir)
    if encrypt:
        prepare_encryption(path)
    with Store.open(path) as store:
        _refuse_if_activated(store, force)
        answer = request_activation(reached, code, device_name, transport)
        # Keep the address this caja just reached the cloud at, not the one the cloud
        # announces: its own base URL may not resolve, or not route, from the shop.
        answer["cloud_url"] = reached
        counts = store.write(lambda conn: save_activation(conn, answer))
    return Activated(
        tenant_name=answer["tenant"]["name"],
        sede_name=answer["sede"]["name"],
        device_id=answer["device"]["id"],
        device_name=answer["device"]["name"],
        cloud_url=answer["cloud_url"],
        store_path=path,
        counts=counts,
    )
