"""How the caja trusts its cloud: one SSL context for every client, and no plain HTTP to a
cloud off this machine.

Every caja client of the cloud (sync, Socket.IO, activation, set-cloud, transfers, receipt
lookup, updates) takes its context from `ssl_context`, so a configured CA bundle
(STOCKY_EDGE_CA_BUNDLE) is honoured everywhere or nowhere. Without one, the operating
system's store is used through `truststore` when it is installed (it sees the CAs an IT
department deployed to the machine), else certifi's bundle. The LAN between cajas has its own
mutual TLS (stocky.edge.lan) and does not come through here.
"""

from __future__ import annotations

import ipaddress
import ssl
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from stocky.edge.config import EdgeSettings

INSECURE_MESSAGE = (
    "la nube debe usar https (STOCKY_EDGE_ALLOW_INSECURE=1 para permitir http) / "
    "the cloud must use https (STOCKY_EDGE_ALLOW_INSECURE=1 allows http)"
)


class InsecureCloudError(ValueError):
    """A plain-HTTP cloud address off this machine, with STOCKY_EDGE_ALLOW_INSECURE unset."""


class CaBundleError(ValueError):
    """STOCKY_EDGE_CA_BUNDLE names a file that is not a readable PEM bundle."""


def is_loopback_host(host: str) -> bool:
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1), never for a name
    that merely resolves there: the check must not depend on what DNS answers today."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_cloud_url(url: str, settings: EdgeSettings | None = None) -> str:
    """`url` unchanged when it is https, or http to this machine, or http with
    allow_insecure; else InsecureCloudError."""
    parts = urlsplit(url.strip())
    if parts.scheme != "http":
        return url
    allow = _settings(settings).allow_insecure
    if allow or is_loopback_host(parts.hostname or ""):
        return url
    raise InsecureCloudError(f"{INSECURE_MESSAGE}: {url}")


def check_caja_cloud(settings: EdgeSettings) -> None:
    """Before a caja starts: its cloud address (STOCKY_EDGE_CLOUD_URL, else the stored one)
    passes `check_cloud_url` and the CA bundle loads. Raises InsecureCloudError or
    CaBundleError; a store that cannot be read is left to the start to report."""
    url = settings.cloud_url
    if url is None and settings.store_path.exists():
        from stocky.edge.store.sede import cloud_address
        from stocky.edge.store.store import Store, StoreError

        try:
            with Store.open(settings.store_path) as store:
                found = store.read(cloud_address)
        except StoreError:
            found = None
        url = found[0] if found is not None else None
    if url is not None:
        check_cloud_url(url, settings)
    ssl_context(settings)


def ssl_context(settings: EdgeSettings | None = None) -> ssl.SSLContext:
    """The context every caja client verifies the cloud with (one per CA bundle, shared)."""
    bundle = _settings(settings).ca_bundle
    return _context(str(bundle) if bundle is not None else None)


def httpx_verify(settings: EdgeSettings | None = None) -> ssl.SSLContext:
    """What to pass as httpx's `verify=`."""
    return ssl_context(settings)


def describe_store(settings: EdgeSettings | None = None) -> str:
    """Which CAs the caja trusts, for status lines and errors."""
    bundle = _settings(settings).ca_bundle
    if bundle is not None:
        return f"CA bundle {bundle}"
    return "the system store (truststore)" if _truststore() is not None else "certifi"


def tls_failure(exc: BaseException) -> str | None:
    """A person's line when `exc` (from httpx or aiohttp, however wrapped) is the cloud's
    certificate being refused, else None (any other network trouble)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            reason = current.verify_message or current.reason or str(current)
            return (
                f"el certificado de la nube no es de confianza / the cloud's certificate is "
                f"not trusted: certificate verify failed: {reason} (trusting "
                f"{describe_store()}; STOCKY_EDGE_CA_BUNDLE names a CA bundle)"
            )
        certificate_error = getattr(current, "certificate_error", None)
        if isinstance(certificate_error, BaseException):
            current = certificate_error  # aiohttp's ClientConnectorCertificateError
            continue
        current = current.__cause__ or current.__context__
    return None


def _settings(settings: EdgeSettings | None) -> EdgeSettings:
    if settings is not None:
        return settings
    # The CLI flags never set these two: the environment alone decides.
    from stocky.edge.config import EdgeSettings

    return EdgeSettings()


@lru_cache(maxsize=8)
def _context(bundle: str | None) -> ssl.SSLContext:
    if bundle is not None:
        path = Path(bundle)
        try:
            bundled = ssl.create_default_context(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise CaBundleError(
                f"STOCKY_EDGE_CA_BUNDLE: {path} is not a readable PEM CA bundle ({exc})"
            ) from exc
        return bundled
    truststore = _truststore()
    if truststore is not None:
        context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _truststore() -> ModuleType | None:
    try:
        import truststore
    except ImportError:
        return None
    return truststore
