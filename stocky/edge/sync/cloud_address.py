"""Where a caja finds its cloud, and how an operator moves it.

A caja keeps the address it reached the cloud at when it was activated: that one is known to
work from this machine. The address the cloud announces (its own base URL) may be a name the
shop's network cannot resolve, or sit behind a proxy the caja does not use. When the cloud
moves, or a proxy appears, `stocky edge set-cloud URL` changes the stored address after
checking that the cloud there knows this caja; STOCKY_EDGE_CLOUD_URL overrides it for one
run without touching the store.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from stocky.core.sync import PingIn
from stocky.edge.config import CloudTimeouts
from stocky.edge.store.sede import cloud_address, set_cloud_url
from stocky.edge.store.store import Store
from stocky.edge.sync.client import (
    CloudClient,
    CloudError,
    CloudUnavailableError,
    CredentialRefusedError,
)
from stocky.edge.tls import InsecureCloudError, check_cloud_url, tls_failure


class CloudAddressError(ValueError):
    """The address is malformed, or the cloud there does not answer or know this caja."""


def normalize_cloud_url(url: str) -> str:
    """`url` as the caja stores it: http(s), a host, no query or fragment, no trailing slash."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CloudAddressError(
            f"the cloud address must look like https://cloud.example.com (got {url!r})"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise CloudAddressError(f"the cloud address takes no user, query or fragment (got {url!r})")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked for it
    except ValueError as exc:
        raise CloudAddressError(f"the cloud address has a bad port (got {url!r})") from exc
    return text.rstrip("/")


async def check_cloud(url: str, credential: str, timeouts: CloudTimeouts | None = None) -> None:
    """Ping the cloud at `url` with this caja's credential; raise unless it answers as ours."""
    client = CloudClient(url, credential, timeouts=timeouts)
    try:
        await client.ping(PingIn())
    except CredentialRefusedError as exc:
        raise CloudAddressError(
            f"the cloud at {url} does not know this caja (its credential was refused): "
            "is it the same cloud, or was the caja revoked?"
        ) from exc
    except CloudUnavailableError as exc:
        refused = tls_failure(exc)
        if refused is not None:
            raise CloudAddressError(f"{url}: {refused}") from exc
        raise CloudAddressError(f"no answer from a cloud at {url}: {exc}") from exc
    except CloudError as exc:
        raise CloudAddressError(f"the cloud at {url} refused the check: {exc}") from exc
    finally:
        await client.aclose()


def move_cloud(
    store: Store, url: str, *, check: bool = True, timeouts: CloudTimeouts | None = None
) -> str:
    """Store `url` as this caja's cloud (checked first unless `check` is False); returns it."""
    address = normalize_cloud_url(url)
    try:
        check_cloud_url(address)
    except InsecureCloudError as exc:
        raise CloudAddressError(str(exc)) from exc
    current = store.read(cloud_address)
    if current is None:
        raise CloudAddressError("this caja is not activated: there is no cloud to move")
    if check:
        asyncio.run(check_cloud(address, current[1], timeouts))
    store.write(lambda conn: set_cloud_url(conn, address))
    return address
