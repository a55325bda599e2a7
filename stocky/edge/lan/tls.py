"""Mutual TLS between the cajas of one sede (issue 16, seed §7.3).

Both ends present a certificate issued by the tenant's own CA and require one from the
other (CERT_REQUIRED on both sides). The tenant's CA is the ONLY trust root: a caja of
another tenant, or a laptop with no certificate or a self-made one, fails the handshake
itself. Host names are not checked: cajas find each other by IP (mDNS or a static list)
and a DHCP lease says nothing about who answers; the peer is named by the device id in its
certificate instead, and stocky.edge.lan.authorize decides whether that device may talk.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:
    from stocky.edge.lan.identity import LanIdentity


class PeerCertificateError(ValueError):
    """The peer's certificate (already verified against the CA) does not name a caja."""


@dataclass(frozen=True, slots=True)
class PeerId:
    """Who is on the other end, as the tenant's CA certified it: CN=device, O=tenant,
    OU=sede (the cloud writes the subject itself, whatever the caja asked for)."""

    device_id: str
    sede_id: str
    tenant_id: str


def _context(identity: LanIdentity, purpose: ssl.Purpose) -> ssl.SSLContext:
    protocol = (
        ssl.PROTOCOL_TLS_SERVER if purpose is ssl.Purpose.CLIENT_AUTH else ssl.PROTOCOL_TLS_CLIENT
    )
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False  # before verify_mode: peers are checked by device id
    context.verify_mode = ssl.CERT_REQUIRED
    # Only the tenant's CA: never the system's roots (a public certificate proves nothing
    # about being a caja of this tenant).
    context.load_verify_locations(cafile=str(identity.ca_path))
    context.load_cert_chain(certfile=str(identity.cert_path), keyfile=str(identity.key_path))
    return context


def server_context(identity: LanIdentity) -> ssl.SSLContext:
    """The master's side: serves this caja's certificate, demands the slave's."""
    return _context(identity, ssl.Purpose.CLIENT_AUTH)


def client_context(identity: LanIdentity) -> ssl.SSLContext:
    """A slave's (or a probe's) side: presents this caja's certificate, verifies the
    master's against the tenant's CA."""
    return _context(identity, ssl.Purpose.SERVER_AUTH)


def _one(name: x509.Name, oid: x509.ObjectIdentifier, what: str) -> str:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1 or not isinstance(values[0].value, str) or not values[0].value:
        raise PeerCertificateError(f"the peer's certificate names no single {what}")
    return values[0].value


def certificate_peer_id(certificate: x509.Certificate) -> PeerId:
    subject = certificate.subject
    return PeerId(
        device_id=_one(subject, NameOID.COMMON_NAME, "device (CN)"),
        sede_id=_one(subject, NameOID.ORGANIZATIONAL_UNIT_NAME, "sede (OU)"),
        tenant_id=_one(subject, NameOID.ORGANIZATION_NAME, "tenant (O)"),
    )


def peer_id(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> PeerId:
    """The verified peer's identity, read from its certificate (DER, parsed with
    cryptography: getpeercert()'s dict form is not meant for parsing)."""
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        raise PeerCertificateError("the peer presented no certificate")
    return certificate_peer_id(x509.load_der_x509_certificate(der))
